"""A partner's API tokens. The partner itself (name, contact) and which series it scores are the
evaluation's records (evaluation.models.Partner, ModelSeries.partner); this app is its API.

A token is shown once, when it is issued, and stored as its sha256 only (with its first characters,
to tell tokens apart in the admin). Issuing a new token revokes the partner's others."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from evaluation.models import Partner


class PartnerToken(models.Model):
    PREFIX_SHOWN = 8

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="tokens")
    key_hash = models.CharField(max_length=64, unique=True, help_text="sha256 of the token (the token is never stored).")
    prefix = models.CharField(max_length=16, help_text="The token's first characters, to tell tokens apart.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", help_text="Empty: issued with manage.py partner_token.")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["partner", "-created_at"]
        verbose_name = "partner API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.partner}{', revoked' if self.revoked_at else ''})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
