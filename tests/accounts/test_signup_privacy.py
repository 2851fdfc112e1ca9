"""Sign-up does not tell anyone which emails have accounts: a sign-up with an email an account uses
gets the very answer a new email gets (status, redirect, cookies, page), makes no account, and mails
the address's owner that someone tried, with a link that sets a new password."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/\S+)")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def sign_up(client, *, username: str, email: str):
    return client.post(reverse("signup"), {"username": username, "email": email,
                                           "password1": factories.PASSWORD, "password2": factories.PASSWORD})


def answer(client, response, email: str) -> tuple:
    """Everything the answer shows, with the email given replaced (it is echoed back) and the CSRF token left out."""
    page = client.get(response["Location"])
    text = CSRF.sub("", page.content.decode()).replace(email, "EMAIL")
    return (response.status_code, response["Location"], sorted(response.cookies), page.status_code,
            sorted(page.cookies), text)


def test_a_taken_email_gets_the_answer_a_new_one_gets_and_its_owner_is_told(mailoutbox):
    owner = factories.contestant(username="ada", email="Ada@Example.org")
    new_client, taken_client = Client(), Client()
    new = sign_up(new_client, username="newbie", email="newbie@example.org")
    taken = sign_up(taken_client, username="someone", email="ada@example.ORG")

    assert answer(new_client, new, "newbie@example.org") == answer(taken_client, taken, "ada@example.ORG")
    assert (new.status_code, new["Location"]) == (302, reverse("login"))
    page = new_client.get(reverse("login")).content.decode()  # the message is shown once
    assert "We sent a message to" not in page
    assert "sessionid" not in new.cookies and "sessionid" not in taken.cookies  # nobody is logged in
    assert sorted(User.objects.values_list("username", flat=True)) == ["ada", "newbie"]

    confirmation, attempt = mailoutbox
    assert (confirmation.to, confirmation.subject) == (["newbie@example.org"],
                                                       "Confirm your email address for the Inverse Scaling Prize")
    assert (attempt.to, attempt.subject) == (
        ["Ada@Example.org"], "Someone tried to sign up to the Inverse Scaling Prize with your address")
    assert attempt.body.startswith(
        "Hello ada,\n\nSomeone (perhaps you) tried to sign up to the Inverse Scaling Prize portal with this "
        "address, Ada@Example.org.\nYour account already uses it, so no new account was made and nothing "
        "changed on yours.\n\nIf it was you, log in as ada:\n\nhttp://testserver/accounts/login/\n\n"
        "Forgot your password? Follow this link to choose a new one:\n\nhttp://testserver/accounts/reset/")

    reset = [link for link in LINK.findall(attempt.body) if link.startswith("/accounts/reset/")][0]
    form_page = taken_client.get(reset, follow=True)
    assert form_page.context["validlink"] is True
    done = taken_client.post(form_page.redirect_chain[-1][0], {
        "new_password1": "a-new-long-password", "new_password2": "a-new-long-password"})
    assert (done.status_code, done["Location"]) == (302, reverse("password_reset_complete"))
    owner.refresh_from_db()
    assert owner.check_password("a-new-long-password")


def test_the_page_text_is_the_same_for_both(client):
    factories.contestant(username="ada", email="ada@example.org")
    new = sign_up(Client(), username="newbie", email="newbie@example.org")
    taken = sign_up(client, username="someone", email="ada@example.org")
    text = client.get(taken["Location"]).content.decode()
    assert ("Thank you. We sent a message to ada@example.org: follow the link in it to confirm the address, "
            "then log in here.") in text
    assert "already" not in text
    assert new["Location"] == taken["Location"]


def test_the_owner_is_told_at_most_once_in_15_minutes(client, mailoutbox):
    factories.contestant(username="ada", email="ada@example.org")
    answers = {sign_up(client, username=f"someone{n}", email="ada@example.org")["Location"] for n in range(5)}
    assert answers == {reverse("login")}
    assert [m.to for m in mailoutbox] == [["ada@example.org"]]
