"""Upload limits from the settings, shared by the submission form and the validate_submission command."""

from __future__ import annotations

from django.conf import settings

from evaluation.engine.taskfile import Limits


def limits_from_settings() -> Limits:
    return Limits(
        max_compressed_bytes=settings.UPLOAD_MAX_COMPRESSED_BYTES,
        max_uncompressed_bytes=settings.UPLOAD_MAX_UNCOMPRESSED_BYTES,
        max_entries=settings.UPLOAD_MAX_ENTRIES,
        max_compression_ratio=settings.UPLOAD_MAX_COMPRESSION_RATIO,
    )
