"""Issuing, revoking and checking partner tokens (stored hashed, shown once)."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from evaluation.models import Partner

from . import audit
from .models import PartnerToken

TOKEN_START = "ispp_"  # every partner token starts so (a leaked one is recognisable)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def issue(*, partner: Partner, by=None) -> str:
    """A new token for the partner (returned once, never stored), revoking its others."""
    key = TOKEN_START + secrets.token_urlsafe(32)
    with transaction.atomic():
        revoked = revoke(partner=partner, by=by, log=False)
        PartnerToken.objects.create(partner=partner, key_hash=digest(key), prefix=key[:PartnerToken.PREFIX_SHOWN],
                                    created_by=by)
        audit.token_issued(partner=partner, by=by, prefix=key[:PartnerToken.PREFIX_SHOWN], revoked=revoked)
    return key


def revoke(*, partner: Partner, by=None, log: bool = True) -> int:
    """Revoke every active token of the partner; how many."""
    count = PartnerToken.objects.filter(partner=partner, revoked_at=None).update(revoked_at=timezone.now())
    if count and log:
        audit.tokens_revoked(partner=partner, by=by, count=count)
    return count


class BadToken(Exception):
    pass


def partner_for(key: str) -> Partner:
    """The partner whose active token this is; BadToken saying why not."""
    token = PartnerToken.objects.select_related("partner").filter(key_hash=digest(key)).first()
    if token is None:
        raise BadToken("Unknown token: give the partner token the organizers issued (Authorization: Bearer TOKEN).")
    if token.revoked_at is not None:
        raise BadToken("This token was revoked; ask the organizers for a new one.")
    return token.partner
