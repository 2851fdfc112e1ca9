"""Accounts: login throttling (django-axes) and unlocking, sign-up with a unique email confirmed by
a link before submitting, password reset by email, and accounts made any other way being confirmed."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import escape

from portal import accounts, services
from portal.models import Submission
from tests import factories, live
from tests.portal.test_submissions import form_data, submit

pytestmark = pytest.mark.django_db

LOCKED = ("Too many failed logins: this account, or the address you log in from, is locked for 15 minutes. "
          "Try again later, reset your password (that unlocks the account, not the address), or ask an "
          "organizer to unlock it.")
LINK = re.compile(r"http://testserver(/\S+)")


def log_in(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_ten_failed_logins_lock_the_account_until_an_organizer_unlocks_it(client):
    user = factories.contestant()
    for attempt in range(9):
        refused = log_in(client, user.username, "wrong-password")
        assert refused.status_code == 200, attempt  # the form again, with its error
    locked = log_in(client, user.username, "wrong-password")
    assert locked.status_code == 429
    assert escape(LOCKED) in locked.content.decode()
    assert "error.html" in [t.name for t in locked.templates]
    # the right password is refused too while the lock lasts, from another address as well
    assert log_in(client, user.username, factories.PASSWORD, REMOTE_ADDR="10.9.9.9").status_code == 429

    organizer = factories.organizer(is_superuser=True)
    admin = client.__class__()
    admin.force_login(organizer)
    attempts = list(AccessAttempt.objects.filter(username=user.username).values_list("pk", flat=True))
    unlocked = admin.post(reverse("admin:axes_accessattempt_changelist"),
                          {"action": "delete_selected", "_selected_action": attempts, "post": "yes"})
    assert unlocked.status_code == 302
    assert AccessAttempt.objects.count() == 0
    assert log_in(client, user.username, factories.PASSWORD).status_code == 302  # logged in


def test_ten_failed_logins_from_one_address_lock_that_address_only(client):
    user = factories.contestant()
    for n in range(10):
        log_in(client, f"guess{n}", "wrong-password", REMOTE_ADDR="10.0.0.1")
    assert log_in(client, user.username, factories.PASSWORD, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert log_in(client, user.username, factories.PASSWORD, REMOTE_ADDR="10.0.0.2").status_code == 302


def failures() -> list[tuple[str, str, int]]:
    return list(AccessAttempt.objects.order_by("username", "ip_address")
                .values_list("username", "ip_address", "failures_since_start"))


def test_logging_into_ones_own_account_does_not_free_an_address_that_guessed_at_another(client):
    victim, attacker = factories.contestant(username="victim"), factories.contestant(username="attacker")
    for attempt in range(9):
        assert log_in(client, victim.username, "wrong-password", REMOTE_ADDR="10.0.0.7").status_code == 200, attempt
    assert log_in(client, attacker.username, factories.PASSWORD, REMOTE_ADDR="10.0.0.7").status_code == 302
    assert failures() == [("victim", "10.0.0.7", 9)]  # the attacker's own login forgot nothing of them
    client.logout()
    locked = log_in(client, victim.username, "wrong-password", REMOTE_ADDR="10.0.0.7")
    assert (locked.status_code, escape(LOCKED) in locked.content.decode()) == (429, True)
    assert log_in(client, victim.username, factories.PASSWORD, REMOTE_ADDR="10.0.0.8").status_code == 429


def test_an_address_that_guessed_at_many_accounts_stays_counted_after_a_login_to_its_own(client):
    attacker = factories.contestant(username="attacker")
    for n in range(9):
        log_in(client, f"guess{n}", "wrong-password", REMOTE_ADDR="10.0.0.7")
    assert log_in(client, attacker.username, factories.PASSWORD, REMOTE_ADDR="10.0.0.7").status_code == 302
    client.logout()
    locked = log_in(client, "guess9", "wrong-password", REMOTE_ADDR="10.0.0.7")
    assert (locked.status_code, escape(LOCKED) in locked.content.decode()) == (429, True)


def test_the_owners_login_forgets_their_own_failures_from_that_address_only(client):
    owner = factories.contestant(username="owner")
    for _ in range(3):  # someone else, elsewhere
        assert log_in(client, owner.username, "wrong-password", REMOTE_ADDR="10.0.0.66").status_code == 200
    for _ in range(6):
        assert log_in(client, owner.username, "wrong-password", REMOTE_ADDR="10.0.0.1").status_code == 200
    assert log_in(client, owner.username, factories.PASSWORD, REMOTE_ADDR="10.0.0.1").status_code == 302
    assert failures() == [("owner", "10.0.0.66", 3)]
    client.logout()
    for attempt in range(6):  # 3 + 6 = 9: not locked yet
        assert log_in(client, owner.username, "wrong-password", REMOTE_ADDR="10.0.0.1").status_code == 200, attempt
    assert log_in(client, owner.username, "wrong-password", REMOTE_ADDR="10.0.0.1").status_code == 429


def reset_password(client, mailoutbox, email: str, new_password: str) -> None:
    assert client.post(reverse("password_reset"), {"email": email}).status_code == 302
    link = LINK.search(mailoutbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is True
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert (done.status_code, done["Location"]) == (302, reverse("password_reset_complete"))


def test_a_password_reset_unlocks_the_account_but_not_an_address(client, mailoutbox):
    user = factories.contestant(username="ada", email="ada@example.org")
    for _ in range(10):
        log_in(client, user.username, "wrong-password", REMOTE_ADDR="10.0.0.8")
    for n in range(10):
        log_in(client, f"guess{n}", "wrong-password", REMOTE_ADDR="10.0.0.9")
    assert log_in(client, user.username, factories.PASSWORD).status_code == 429  # the account is locked

    reset_password(client, mailoutbox, "ada@example.org", "another-long-password")
    assert failures() == [(f"guess{n}", "10.0.0.9", 1) for n in range(10)]  # the account's are forgotten
    assert log_in(client, user.username, "another-long-password", REMOTE_ADDR="10.0.0.9").status_code == 429
    assert log_in(client, user.username, "another-long-password").status_code == 302


def test_behind_a_proxy_the_address_is_the_one_it_appended_to_x_forwarded_for(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    user = factories.contestant()
    for n in range(10):  # an attacker behind the proxy, trying to pass for someone else
        log_in(client, f"guess{n}", "wrong-password", REMOTE_ADDR="172.18.0.5",
               HTTP_X_FORWARDED_FOR="192.0.2.7, 203.0.113.66")
    assert AccessAttempt.objects.values_list("ip_address", flat=True).distinct().get() == "203.0.113.66"
    assert log_in(client, user.username, factories.PASSWORD, REMOTE_ADDR="172.18.0.5",
                  HTTP_X_FORWARDED_FOR="192.0.2.7").status_code == 302


def test_the_api_token_endpoint_is_throttled_the_same_way(client):
    user = factories.contestant()
    for _ in range(9):
        refused = client.post("/api/auth/token/", {"username": user.username, "password": "wrong"})
        assert refused.status_code == 400
    locked = client.post("/api/auth/token/", {"username": user.username, "password": "wrong"})
    assert (locked.status_code, locked.json()) == (429, {"detail": LOCKED})
    right = client.post("/api/auth/token/", {"username": user.username, "password": factories.PASSWORD})
    assert (right.status_code, right.json()) == (429, {"detail": LOCKED})


def sign_up(client, username="newbie", email="newbie@example.org"):
    return client.post(reverse("signup"), {"username": username, "email": email,
                                           "password1": factories.PASSWORD, "password2": factories.PASSWORD})


EMAIL_INDEX = "portal_auth_user_email_lower_uniq"  # migration portal 0004


def test_the_database_refuses_a_second_account_with_the_same_email_ignoring_case():
    User.objects.create_user("ada", "Ada@Example.org", factories.PASSWORD)
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        User.objects.create_user("ada2", "ada@example.ORG", factories.PASSWORD)
    assert f'duplicate key value violates unique constraint "{EMAIL_INDEX}"' in str(refused.value)
    User.objects.create_user("no-email-1", "", factories.PASSWORD)  # accounts with no email do not clash
    User.objects.create_user("no-email-2", "", factories.PASSWORD)
    assert sorted(User.objects.values_list("username", flat=True)) == ["ada", "no-email-1", "no-email-2"]


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_sign_up_that_loses_the_race_for_an_email_is_answered_as_for_a_taken_one(client, mailoutbox):
    inserted, release, saw_the_wait = threading.Event(), threading.Event(), threading.Event()

    def first_sign_up():  # another request, on its own connection, has inserted but not yet committed
        try:
            with transaction.atomic():
                User.objects.create_user("first", "Race@Example.org", factories.PASSWORD)
                inserted.set()
                release.wait(60)
        finally:
            connection.close()

    def commit_once_the_second_waits():  # the second insert waits on the email index, then this commits
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if waiting_on_a_lock():
                    saw_the_wait.set()
                    break
                time.sleep(0.05)
        finally:
            release.set()
            connection.close()

    first = threading.Thread(target=first_sign_up)
    first.start()
    assert inserted.wait(30)
    watcher = threading.Thread(target=commit_once_the_second_waits)
    watcher.start()
    response = sign_up(client, username="second", email="race@example.ORG")  # its check saw no "first" yet
    first.join(30)
    watcher.join(30)

    assert saw_the_wait.is_set()
    assert (response.status_code, response["Location"]) == (302, reverse("login"))  # as for a new email
    assert list(User.objects.values_list("username", flat=True)) == ["first"]
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["Race@example.org"], "Someone tried to sign up to the Inverse Scaling Prize with your address")]


# The account's page in the admin carries its role (a Profile inline): its formset's fields as posted.
NO_PROFILE_FORM = {"profile-TOTAL_FORMS": "0", "profile-INITIAL_FORMS": "0", "profile-MIN_NUM_FORMS": "0",
                   "profile-MAX_NUM_FORMS": "1"}


def profile_form(user) -> dict[str, str]:
    return {**NO_PROFILE_FORM, "profile-TOTAL_FORMS": "1", "profile-INITIAL_FORMS": "1",
            "profile-0-id": str(user.profile.pk), "profile-0-user": str(user.pk),
            "profile-0-role": user.profile.role, "profile-0-email_confirmed": "on"}


def test_the_admin_refuses_an_email_another_account_uses(client):
    factories.contestant(username="ada", email="ada@example.org")
    bob = factories.contestant(username="bob", email="bob@example.org", first_name="", last_name="")
    client.force_login(factories.organizer(is_superuser=True))
    url = reverse("admin:auth_user_change", args=[bob.pk])

    def change_email(email: str):
        return client.post(url, {"username": "bob", "email": email, "first_name": "", "last_name": "",
                                 "is_active": "on", "date_joined_0": "2026-01-05", "date_joined_1": "10:00:00",
                                 "last_login_0": "", "last_login_1": "", **profile_form(bob)})

    refused = change_email("ADA@example.org")
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors == {"email": [
        "Another account already uses ADA@example.org; log in to it (or reset its password), or use another address."]}
    bob.refresh_from_db()
    assert bob.email == "bob@example.org"
    assert change_email("Bob@Example.org").status_code == 302  # its own email, in other letters
    assert change_email("").status_code == 302  # no email: never taken
    assert User.objects.filter(email="").count() == 1


@pytest.mark.integration  # migrates a SQLite database forwards, back and forwards in processes of its own
def test_on_sqlite_too_the_email_index_refuses_and_migrating_back_drops_it(tmp_path):
    env = live.laptop_env(tmp_path / "var")
    live.manage(env, "migrate", "--noinput", "-v", "0")
    duplicate = ("import json\nfrom django.contrib.auth.models import User\nfrom django.db import IntegrityError\n"
                 "User.objects.create_user('ada', 'Ada@Example.org', 'x')\n"
                 "try:\n    User.objects.create_user('ada2', 'ada@example.ORG', 'x')\n    print(json.dumps('saved'))\n"
                 "except IntegrityError as error:\n    print(json.dumps(str(error)))")
    assert live.query(env, duplicate) == f"UNIQUE constraint failed: index '{EMAIL_INDEX}'"

    live.manage(env, "shell", "-c", "from django.contrib.auth.models import User; User.objects.all().delete()")
    live.manage(env, "migrate", "portal", "0003", "--noinput", "-v", "0")  # the reverse SQL drops the index
    assert live.query(env, duplicate) == "saved"
    again = subprocess.run([sys.executable, str(live.ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
                           env=env, cwd=live.ROOT, capture_output=True, text=True, timeout=180)
    assert again.returncode == 1
    assert again.stderr.strip().splitlines()[-1] == (
        "RuntimeError: These accounts share an email (ignoring case), which is no longer allowed: "
        "ada@example.org: ada, ada2. Give each account its own email in the admin, then run migrate again.")


def test_a_signed_up_contestant_confirms_the_email_by_link_before_submitting(client, contest, mailoutbox,
                                                                              syllogism_zip):
    assert sign_up(client).status_code == 302
    assert log_in(client, "newbie", factories.PASSWORD).status_code == 302
    user = User.objects.get(username="newbie")
    assert (user.profile.role, user.profile.email_confirmed) == ("contestant", False)
    assert [m.to for m in mailoutbox] == [["newbie@example.org"]]
    link = LINK.search(mailoutbox[0].body).group(1)

    refusal = ("Confirm your email address before submitting: follow the link we sent to newbie@example.org. "
               "No email? Send yourself a new link from the confirmation page.")
    page = client.get(reverse("submission-create", args=[contest.slug]))
    assert (page.status_code, page.context["message"]) == (403, refusal)
    assert reverse("confirmation-status") in page.content.decode()
    assert submit(client, contest, zip_bytes=syllogism_zip).status_code == 403
    assert Submission.objects.count() == 0

    client.logout()  # the link works without a session (another browser, say)
    confirmed = client.get(link)
    assert confirmed.status_code == 200
    assert "newbie@example.org is confirmed" in confirmed.content.decode()
    assert client.get(link).status_code == 400  # used once, then no longer valid
    user.refresh_from_db()
    assert user.profile.email_confirmed

    client.force_login(user)
    assert submit(client, contest, zip_bytes=syllogism_zip).status_code == 302
    assert Submission.objects.get().owner == user


def test_a_tampered_link_or_a_changed_email_does_not_confirm(client, mailoutbox):
    sign_up(client)
    link = LINK.search(mailoutbox[0].body).group(1)
    assert client.get(link[:-3] + "xyz/").status_code == 400
    user = User.objects.get(username="newbie")
    user.email = "other@example.org"
    user.save()
    assert client.get(link).status_code == 400
    user.profile.refresh_from_db()
    assert not user.profile.email_confirmed


def test_a_new_link_on_request_at_most_once_a_minute(client, mailoutbox):
    sign_up(client)
    log_in(client, "newbie", factories.PASSWORD)
    status = client.get(reverse("confirmation-status"))
    assert "newbie@example.org is not confirmed yet" in status.content.decode()
    client.post(reverse("confirmation-status"))
    assert len(mailoutbox) == 1  # the sign-up's link went out seconds ago
    cache.delete(f"portal:confirmation-sent:{User.objects.get(username='newbie').pk}")
    client.post(reverse("confirmation-status"))
    assert len(mailoutbox) == 2
    assert client.get(LINK.search(mailoutbox[1].body).group(1)).status_code == 200


def test_password_reset_by_email(client, mailoutbox):
    user = factories.contestant(email="ada@example.org")
    done = client.post(reverse("password_reset"), {"email": "ADA@example.org"})
    assert done.status_code == 302
    assert [m.to for m in mailoutbox] == [["ada@example.org"]]
    link = LINK.search(mailoutbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is True
    set_password = client.post(form_page.redirect_chain[-1][0], {
        "new_password1": "another-long-password", "new_password2": "another-long-password"})
    assert set_password.status_code == 302
    assert client.get(set_password["Location"]).context["request"].path == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("another-long-password")
    assert log_in(client, user.username, "another-long-password").status_code == 302


def test_accounts_made_any_other_way_are_confirmed(client, contest, syllogism_zip, monkeypatch):
    orm = User.objects.create_user("orm-user", "orm@example.org", factories.PASSWORD)
    assert accounts.email_confirmed(orm)
    submission = services.create_submission(user=orm, contest=contest, zip_file=syllogism_zip,
                                            data=factories.submission_data())
    assert submission.current_version.number == 1

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", factories.PASSWORD)
    call_command("createsuperuser", "--noinput", "--username", "root", "--email", "root@example.org")
    assert accounts.email_confirmed(User.objects.get(username="root"))

    admin = factories.organizer(is_superuser=True)
    client.force_login(admin)
    added = client.post(reverse("admin:auth_user_add"), {
        "username": "by-admin", "password1": factories.PASSWORD, "password2": factories.PASSWORD,
        "usable_password": "true", **NO_PROFILE_FORM})
    assert added.status_code == 302, added.content.decode()[:3000]
    assert accounts.email_confirmed(User.objects.get(username="by-admin"))
    assert factories.contestant().profile.email_confirmed


def test_an_organizer_cannot_open_the_edit_form_of_a_submission(client, contest, syllogism_zip):
    owner = factories.contestant()
    submission = services.create_submission(user=owner, contest=contest, zip_file=syllogism_zip,
                                            data=factories.submission_data())
    client.force_login(factories.organizer())
    page = client.get(reverse("submission-edit", args=[submission.pk]))
    assert page.status_code == 403
    assert page.context["message"] == "Only the contestant who created a submission can edit it."
    assert b'id="submission-form"' not in page.content
    detail = client.get(reverse("submission-detail", args=[submission.pk]))
    assert reverse("submission-edit", args=[submission.pk]) not in detail.content.decode()
    assert client.post(reverse("submission-edit", args=[submission.pk]), form_data()).status_code == 403


def test_a_username_taken_at_the_same_moment_is_a_form_error_not_a_500():
    factories.contestant(username="twin")  # as if another sign-up won the race after the form's check
    with pytest.raises(accounts.AccountRefused) as refused:
        accounts.sign_up(username="twin", email="twin2@example.org", password=factories.PASSWORD,
                         request=RequestFactory().post(reverse("signup")))
    assert (refused.value.field, refused.value.message) == (
        "username", "The username twin was taken a moment ago; choose another.")
    assert User.objects.filter(email="twin2@example.org").count() == 0


def test_when_the_mail_server_is_down_sign_up_still_works_and_says_to_ask_again(client, settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", live.free_port(), 5  # nothing listens
    response = sign_up(client)
    assert (response.status_code, response["Location"]) == (302, reverse("login"))
    assert escape(accounts.NOT_SENT_MESSAGE) in client.get(response["Location"]).content.decode()
    assert log_in(client, "newbie", factories.PASSWORD).status_code == 302
    page = client.get(reverse("confirmation-status"))
    assert "newbie@example.org is not confirmed yet" in page.content.decode()
    assert "The confirmation email to newbie@example.org" in caplog.text
    again = client.post(reverse("confirmation-status"), follow=True)  # not throttled: nothing went out
    assert escape(accounts.NOT_SENT_MESSAGE) in again.content.decode()
