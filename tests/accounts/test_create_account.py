"""`manage.py create_account`: organizers make reviewer, validator and organizer accounts; idempotent."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection

from portal import accounts
from tests import factories, live

pytestmark = pytest.mark.django_db


def create_account(*args):
    out = StringIO()
    call_command("create_account", *args, stdout=out)
    return out.getvalue().strip()


def test_the_password_comes_from_the_environment_and_a_second_run_updates(monkeypatch):
    monkeypatch.setenv("PORTAL_NEW_PASSWORD", "first-long-password")
    assert create_account("rita", "--role", "reviewer", "--email", "rita@example.org") == \
        "Created reviewer account rita <rita@example.org>."
    rita = User.objects.get(username="rita")
    assert (rita.profile.role, rita.is_staff, rita.check_password("first-long-password")) == ("reviewer", False, True)
    assert accounts.email_confirmed(rita)

    monkeypatch.setenv("PORTAL_NEW_PASSWORD", "second-long-password")
    assert create_account("rita", "--role", "organizer", "--email", "rita@university.example") == \
        "Updated organizer account rita <rita@university.example>."
    rita.refresh_from_db()
    assert (rita.profile.role, rita.email, rita.is_staff, rita.is_superuser) == (
        "organizer", "rita@university.example", True, True)
    assert rita.check_password("second-long-password")
    assert User.objects.filter(username="rita").count() == 1


def test_a_validator_account_is_made_with_the_validator_role(monkeypatch):
    monkeypatch.setenv("PORTAL_NEW_PASSWORD", "a-long-enough-password")
    assert create_account("vera", "--role", "validator", "--email", "vera@example.org") == \
        "Created validator account vera <vera@example.org>."
    vera = User.objects.get(username="vera")
    assert (vera.profile.role, vera.is_staff, vera.is_superuser) == ("validator", False, False)
    with pytest.raises(CommandError) as unknown:
        create_account("vera", "--role", "checker", "--email", "vera@example.org")
    assert str(unknown.value) == ("Error: argument --role: invalid choice: 'checker' (choose from 'contestant', "
                                  "'reviewer', 'validator', 'organizer')")


def test_refusals_say_what_to_do(monkeypatch):
    factories.contestant(username="ada", email="ada@example.org")
    monkeypatch.setenv("PORTAL_NEW_PASSWORD", "a-long-enough-password")
    with pytest.raises(CommandError, match=r"^Another account already uses ADA@example.org; "):
        create_account("bob", "--role", "reviewer", "--email", "ADA@example.org")
    monkeypatch.setenv("PORTAL_NEW_PASSWORD", "12345")
    with pytest.raises(CommandError) as weak:
        create_account("bob", "--role", "reviewer", "--email", "bob@example.org")
    assert str(weak.value) == ("This password is too short. It must contain at least 8 characters. "
                               "This password is too common. This password is entirely numeric.")
    monkeypatch.delenv("PORTAL_NEW_PASSWORD")
    with pytest.raises(CommandError) as no_terminal:  # pytest's stdin is not a terminal
        create_account("bob", "--role", "reviewer", "--email", "bob@example.org")
    assert str(no_terminal.value) == ("Set the password in the PORTAL_NEW_PASSWORD environment variable, or run "
                                      "this command on a terminal to type it.")
    assert not User.objects.filter(username="bob").exists()


def test_an_email_that_is_not_one_is_refused_before_the_password_is_asked_for(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_NEW_PASSWORD", "a-long-enough-password")
    for email in ("foo", "foo@", "@example.org", "a b@example.org"):
        with pytest.raises(CommandError) as refused:
            create_account("bob", "--role", "reviewer", "--email", email)
        assert str(refused.value) == f"{email!r} is not an email address; give one like name@example.org."
    assert not User.objects.filter(username="bob").exists()

    env = live.laptop_env(tmp_path / "var")  # no PORTAL_NEW_PASSWORD and no terminal: the email is refused first
    env.pop("PORTAL_NEW_PASSWORD", None)
    done = subprocess.run([sys.executable, "manage.py", "create_account", "bob", "--role", "reviewer", "--email", "foo"],
                          env=env, cwd=live.ROOT, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert (done.returncode, done.stdout, done.stderr) == (
        1, "", "CommandError: 'foo' is not an email address; give one like name@example.org.\n")


@pytest.mark.django_db(transaction=True)
def test_on_a_terminal_the_password_is_asked_for_twice(tmp_path):
    env = live.laptop_env(tmp_path / "var", DJANGO_SETTINGS_MODULE="tests.settings",
                          DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}")
    pid, terminal = pty.fork()
    if pid == 0:  # the child runs the command with the pseudo-terminal as its controlling terminal
        os.chdir(live.ROOT)
        os.execve(sys.executable, [sys.executable, "manage.py", "create_account", "orla", "--role", "organizer",
                                   "--email", "orla@example.org"], env)
    transcript = b""
    for _ in range(2):
        transcript += read_until(terminal, b": ")
        os.write(terminal, b"typed-long-password\n")
    transcript += read_until(terminal, b"\n", after=b"Created")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, transcript.decode(errors="replace")
    assert b"Password: " in transcript and b"Password (again): " in transcript
    assert b"Created organizer account orla <orla@example.org>." in transcript
    assert b"typed-long-password" not in transcript  # not echoed
    assert User.objects.get(username="orla").check_password("typed-long-password")


def read_until(fd: int, end: bytes, *, after: bytes = b"", timeout: float = 60) -> bytes:
    data, deadline = b"", time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        if select.select([fd], [], [], left)[0]:
            data += os.read(fd, 1024)
        if data.endswith(end) and after in data:
            return data
    raise AssertionError(f"no {end!r} in {data!r}")
