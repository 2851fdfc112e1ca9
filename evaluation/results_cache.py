"""The cache that trends and figures are kept in (Redis in production, Django's local memory otherwise), keyed
by everything they read, and never in the way: when it is unreachable a page computes what it needs itself
rather than fail. Values are kept with no expiry (a key names its exact inputs, so a value never goes stale)."""

from __future__ import annotations

import logging

from django.core.cache import cache

log = logging.getLogger(__name__)


def get(key: str):
    """The cached value, or None when it is not cached or the cache is down (the caller then computes it)."""
    try:
        return cache.get(key)
    except Exception as exc:
        log.warning("results cache unreachable (%s: %s); computing %s", type(exc).__name__, exc, key.split(":")[0])
        return None


def put(key: str, value) -> None:
    """Keep `value` under `key`; nothing when the cache is down."""
    try:
        cache.set(key, value, timeout=None)
    except Exception as exc:
        log.warning("results cache unreachable (%s: %s); not caching %s", type(exc).__name__, exc, key.split(":")[0])
