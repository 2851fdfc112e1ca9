"""Accounts: sign-up with an email confirmed by a link, accounts that organizers make, and the
hooks django-axes calls when it throttles logins.

Only the sign-up page makes an account whose email is unconfirmed (`Profile.email_confirmed` is
False); every other way of making one (the admin, createsuperuser, seed_demo, create_account, the
ORM) gives a confirmed account, because an account without that flag set to False is confirmed.
The confirmation link carries a token from Django's own token generator (the one behind password
reset), bound to the account's email and confirmation state, so it stops working once used or once
the email changes, and expires after PASSWORD_RESET_TIMEOUT.

The email is unique ignoring case: enforced by the database (a unique index on lower(email) over
non-empty emails, migration 0004) for sign-ups that race, and checked here. The sign-up page does not
say that an email is taken (that would tell anyone which addresses have accounts): it answers as for a
new address, and mails the address's owner that someone tried, with a link to set a new password.
Accounts made by organizers (the admin, create_account) get the clear message instead.

Password-reset mail is throttled per email and per client address (portal.throttle, in the cache);
the first request for an address is mailed at once.

Failed logins (django-axes, AXES_HANDLER below) lock an account and, separately, the address they
come from. A successful login forgets only the failures at that account from that address, so
logging into one's own account never frees an address that guessed at someone else's; a new
password (a completed reset, say) forgets every failure at the account, which lifts its lock, and
revokes the account's API tokens.
"""

from __future__ import annotations

import logging
import smtplib

from axes.handlers.database import AxesDatabaseHandler
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework.authtoken.models import Token

from . import errors
from .models import Profile
from .refusals import Refused
from .roles import CONTESTANT, ORGANIZER, ROLE_CHOICES
from .throttle import Throttle

logger = logging.getLogger(__name__)

CONFIRMATION_RESEND_SECONDS = 60
NOT_SENT_MESSAGE = ("We could not send the confirmation email just now. Log in and ask for a new link on the "
                    "confirmation page in a few minutes.")


def signed_up_message(email: str) -> str:
    """What the sign-up page says after every valid sign-up, whether or not the email had an account."""
    return (f"Thank you. We sent a message to {email}: follow the link in it to confirm the address, then "
            "log in here.")


class AccountRefused(Refused):
    """An account cannot be made or changed this way; the message says why and what to do."""


class EmailNotSent(Exception):
    """The mail server did not take the message (logged); the account asks for a new link later."""


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "portal.accounts.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user, timestamp) -> str:
        return f"{user.pk}{user.email}{email_confirmed(user)}{timestamp}"


confirmation_tokens = EmailConfirmationTokenGenerator()


def email_confirmed(user) -> bool:
    profile = getattr(user, "profile", None)
    return profile is None or profile.email_confirmed


def ensure_email_free(*, email: str, account: User | None = None) -> None:
    """Refuse an email that another account (any but `account`) already uses, ignoring case. An empty
    email is never taken (accounts made in the admin may have none)."""
    others = User.objects.filter(email__iexact=email)
    if account is not None and account.pk is not None:
        others = others.exclude(pk=account.pk)
    if email and others.exists():
        raise AccountRefused(f"Another account already uses {email}; log in to it (or reset its password), "
                             "or use another address.", field="email")


def _taken_meanwhile(*, username: str, email: str, account: User | None = None) -> AccountRefused | None:
    """After an IntegrityError: which unique index refused the save, said as the form says it. The
    username, or (migration 0004's index on lower(email)) the email, was taken by another request
    between the checks and the insert. None if neither was."""
    others = User.objects.all() if account is None or account.pk is None else User.objects.exclude(pk=account.pk)
    if others.filter(username=username).exists():
        return AccountRefused(f"The username {username} was taken a moment ago; choose another.", field="username")
    try:
        ensure_email_free(email=email, account=account)
    except AccountRefused as refused:
        return refused
    return None


def sign_up(*, username: str, email: str, password: str, request: HttpRequest) -> User | None:
    """What the sign-up page does; the page answers every outcome the same, so it never tells whether an
    email already has an account.

    - A new email: a contestant account whose email must be confirmed, and the confirmation link is
      mailed to it. Returns the account.
    - An email another account uses (ignoring case), checked first or found taken by a racing sign-up:
      no account; the address is mailed that someone tried to sign up with it, with a link that sets a
      new password for the account it has (at most one such mail per SIGNUP_ATTEMPT_MAILS window).
      Returns None.
    A username taken by a racing sign-up is refused (AccountRefused, as the form refuses a taken one);
    EmailNotSent if the mail server did not take either mail."""
    owner = User.objects.filter(email__iexact=email).first() if email else None
    if owner is not None:
        make_password(password)  # about as long as a new account takes, so the answer's timing says nothing
        _mail_signup_attempt(owner=owner, email=email, request=request)
        return None
    try:
        with transaction.atomic():
            user = User.objects.create_user(username, email, password)
            Profile.objects.create(user=user, role=CONTESTANT, email_confirmed=False)
    except IntegrityError:  # another sign-up took the username or the email after the checks
        refused = _taken_meanwhile(username=username, email=email)
        if refused is None:
            raise
        if refused.field != "email":
            raise refused from None
        owner = User.objects.filter(email__iexact=email).first()
        if owner is None:
            raise
    if owner is not None:  # the racing sign-up took the email: answered as a taken one
        _mail_signup_attempt(owner=owner, email=email, request=request)
        return None
    send_confirmation(user=user, request=request)
    return user


SIGNUP_ATTEMPT_MAILS = Throttle("signup-attempt-mail", limit=1, seconds=15 * 60)


def _mail_signup_attempt(*, owner: User, email: str, request: HttpRequest) -> None:
    """Tell the owner of `email` that someone tried to sign up with it, with a link that sets a new
    password for their account (Django's own reset token); throttled per address."""
    if not SIGNUP_ATTEMPT_MAILS.allow(owner.email.lower()):
        return
    uid = urlsafe_base64_encode(force_bytes(owner.pk))
    reset = request.build_absolute_uri(reverse("password_reset_confirm",
                                               args=[uid, default_token_generator.make_token(owner)]))
    context = {"owner": owner, "email": owner.email, "login": request.build_absolute_uri(reverse("login")),
               "reset": reset}
    subject = render_to_string("registration/signup_attempt_subject.txt", context).strip()
    _send(subject, render_to_string("registration/signup_attempt.txt", context), to=owner.email,
          what=f"The sign-up attempt email to {owner.email} (account {owner.pk})")


def _send(subject: str, body: str, *, to: str, what: str) -> None:
    try:
        send_mail(subject, body, None, [to])
    except (smtplib.SMTPException, OSError) as failure:
        logger.exception("%s was not sent", what)
        raise EmailNotSent(str(failure)) from failure


# Password-reset mail: the first request for an address is mailed at once; then no more than one per
# address every 15 minutes, and no more than 10 asked from one client address in an hour.
RESET_MAILS_PER_EMAIL = Throttle("password-reset-email", limit=1, seconds=15 * 60)
RESET_MAILS_PER_ADDRESS = Throttle("password-reset-address", limit=10, seconds=60 * 60)


def count_password_reset(*, email: str, address: str | None) -> None:
    """Count a request for a password-reset mail; AccountRefused (429) if it is one too many for the
    email (the message does not say whether the email has an account) or for the client's address.
    A request refused for its email is not counted against the address."""
    if not RESET_MAILS_PER_EMAIL.allow(email.strip().lower()):
        raise AccountRefused(
            f"A new password for {email} was asked for less than {RESET_MAILS_PER_EMAIL.minutes} minutes ago; "
            "if an account uses that address, its link is on the way: look in the inbox and the spam folder. "
            "You can ask again later.", field="email", status=429)
    if address and not RESET_MAILS_PER_ADDRESS.allow(address):
        raise AccountRefused(
            f"Too many new passwords were asked for from your address in the last "
            f"{RESET_MAILS_PER_ADDRESS.minutes} minutes; try again later.", field="email", status=429)


def _resend_key(user: User) -> str:
    return f"portal:confirmation-sent:{user.pk}"


def resend_confirmation(*, user: User, request: HttpRequest) -> bool:
    """Send a new link, unless one went to this account less than CONFIRMATION_RESEND_SECONDS ago
    (then send nothing and return False)."""
    if not cache.add(_resend_key(user), True, CONFIRMATION_RESEND_SECONDS):
        return False
    send_confirmation(user=user, request=request)
    return True


def send_confirmation(*, user: User, request: HttpRequest) -> None:
    """Email the account a link that confirms its address; EmailNotSent if the mail server fails."""
    cache.set(_resend_key(user), True, CONFIRMATION_RESEND_SECONDS)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = request.build_absolute_uri(reverse("confirm-email", args=[uid, confirmation_tokens.make_token(user)]))
    context = {"user": user, "link": link}
    subject = render_to_string("registration/confirm_email_subject.txt", context).strip()
    try:
        _send(subject, render_to_string("registration/confirm_email.txt", context), to=user.email,
              what=f"The confirmation email to {user.email} (account {user.pk})")
    except EmailNotSent:
        cache.delete(_resend_key(user))
        raise


def confirm_email(*, uidb64: str, token: str) -> User | None:
    """Confirm the account's email if the link is valid; None if it is not (or no longer)."""
    try:
        user = User.objects.select_related("profile").get(pk=int(urlsafe_base64_decode(uidb64)))
    except (ValueError, OverflowError, User.DoesNotExist):
        return None
    if not confirmation_tokens.check_token(user, token):
        return None
    Profile.objects.filter(user=user).update(email_confirmed=True)
    return user


def ensure_valid_email(*, email: str) -> None:
    """Refuse what Django's EmailValidator refuses, saying what was given."""
    try:
        validate_email(email)
    except ValidationError:
        raise AccountRefused(f"{email!r} is not an email address; give one like name@example.org.",
                             field="email") from None


def create_or_update_account(*, username: str, role: str, email: str, password: str) -> tuple[User, bool]:
    """An account made by an organizer (confirmed); run again, it updates the role, email and password.
    Returns (user, created)."""
    if role not in dict(ROLE_CHOICES):
        raise AccountRefused(f"Unknown role {role!r}; choose one of {', '.join(dict(ROLE_CHOICES))}.")
    ensure_valid_email(email=email)
    user = User.objects.filter(username=username).first() or User(username=username)
    ensure_email_free(email=email, account=user)
    user.email = email
    try:
        validate_password(password, user)
    except ValidationError as invalid:
        raise AccountRefused(" ".join(invalid.messages), field="password") from None
    user.set_password(password)
    user.is_staff = user.is_superuser = role == ORGANIZER
    created = user.pk is None
    try:
        with transaction.atomic():
            user.save()
            Profile.objects.update_or_create(user=user, defaults={"role": role, "email_confirmed": True})
    except IntegrityError:  # another request took the username or the email after the checks
        refused = _taken_meanwhile(username=username, email=email, account=user)
        if refused is None:
            raise
        raise refused from None
    return user, created


def forget_failed_logins(*, username: str, address: str | None = None) -> int:
    """Delete the failed logins (django-axes' records) at this account: those from `address` only, or,
    with no address, from every address. Returns how many records went."""
    if not username:  # axes' reset with neither a username nor an address would forget every record
        return 0
    return axes_reset(username=username, ip=address)


class AxesHandler(AxesDatabaseHandler):
    """django-axes' database handler (settings.AXES_HANDLER), with AXES_RESET_ON_SUCCESS off: a
    successful login forgets only the failures at that account from that address. (Axes' own reset
    on success also forgets every failure from the address, whatever account it guessed at, so an
    attacker could guess at a victim, log into an account of their own from the same address, and
    start again.)"""

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        if request.axes_ip_address:  # an unknown address vouches for nothing
            forget_failed_logins(username=user.get_username(), address=request.axes_ip_address)


def revoke_api_tokens(*, user: User) -> int:
    """Delete the account's API tokens (DRF's authtoken); its next POST /api/auth/token/ makes a new
    one. Returns how many went."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted


class NewPasswordResetsAccess:
    """Listed in AUTH_PASSWORD_VALIDATORS for the hook Django calls once a new password is saved (a
    completed password reset, the change form, the admin, create_account): the account's failed
    logins are forgotten, so a lock on the account lifts, and its API tokens are revoked, so a token
    taken with the old password (by whoever knew it) stops working. It refuses no password."""

    def validate(self, password: str, user=None) -> None:
        return None

    def get_help_text(self) -> str:
        return ("Setting a new password also unlocks the account if too many failed logins locked it, and "
                "revokes its API tokens (log in to the API again for a new one).")

    def password_changed(self, password: str, user=None) -> None:
        if user is not None and user.pk is not None:
            forget_failed_logins(username=user.get_username())
            revoke_api_tokens(user=user)


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return (f"Too many failed logins: this account, or the address you log in from, is locked for "
            f"{minutes} minutes. Try again later, reset your password (that unlocks the account, not the "
            "address), or ask an organizer to unlock it.")


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What django-axes answers while an account or address is locked (AXES_LOCKOUT_CALLABLE)."""
    return errors.error_response(request, status=429, detail=lockout_message())


def client_ip(request: HttpRequest) -> str | None:
    """The client's address for throttling (AXES_CLIENT_IP_CALLABLE): behind TRUSTED_PROXY_COUNT
    proxies that each append to X-Forwarded-For, the entry the outermost one added."""
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    return forwarded[-count] if len(forwarded) >= count else remote
