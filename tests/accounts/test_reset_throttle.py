"""Password-reset mail is throttled per email and per client address (portal.throttle): the first
request for an email is mailed at once, the next ones within 15 minutes are refused with a message that
does not say whether the email has an account, and a different email still gets its mail at once; one
client address may ask for 10 in an hour."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from tests import factories

pytestmark = pytest.mark.django_db

AGAIN = ("A new password for {email} was asked for less than 15 minutes ago; if an account uses that address, "
         "its link is on the way: look in the inbox and the spam folder. You can ask again later.")
FROM_ADDRESS = "Too many new passwords were asked for from your address in the last 60 minutes; try again later."


def ask(client, email: str, address: str = "10.1.0.1"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_nine_requests_in_a_row_send_one_mail_and_another_email_gets_its_own_at_once(client, mailoutbox):
    factories.contestant(email="ada@example.org")
    factories.contestant(email="grace@example.org")
    answers = [ask(client, "ada@example.org") for _ in range(9)]
    assert [a.status_code for a in answers] == [302] + [429] * 8
    assert [m.to for m in mailoutbox] == [["ada@example.org"]]
    assert escape(AGAIN.format(email="ada@example.org")) in answers[-1].content.decode()

    assert ask(client, "grace@example.org").status_code == 302
    assert [m.to for m in mailoutbox] == [["ada@example.org"], ["grace@example.org"]]


def test_an_email_without_an_account_is_answered_the_same(client, mailoutbox):
    factories.contestant(email="ada@example.org")
    for email in ("ada@example.org", "nobody@example.org"):
        assert ask(client, email).status_code == 302
        again = ask(client, email.upper())  # the same address, whatever its case
        assert again.status_code == 429
        assert escape(AGAIN.format(email=email.upper())) in again.content.decode()
    assert [m.to for m in mailoutbox] == [["ada@example.org"]]


def test_one_client_address_asks_for_ten_in_an_hour(client, mailoutbox):
    for n in range(10):
        factories.contestant(email=f"user{n}@example.org")
    assert [ask(client, f"user{n}@example.org").status_code for n in range(10)] == [302] * 10
    refused = ask(client, "someone@example.org")
    assert refused.status_code == 429
    assert escape(FROM_ADDRESS) in refused.content.decode()
    assert ask(client, "someone-else@example.org", address="10.1.0.2").status_code == 302  # another address
    assert len(mailoutbox) == 10
