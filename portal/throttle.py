"""How often an action that sends mail may be repeated, counted in Django's cache (Redis when
REDIS_URL is set, so every web process counts together; the laptop's in-memory cache per process).

A Throttle allows `limit` actions per key (an email address, a client address) within `seconds` of
the first one: the first action starts the window (`cache.add`, which expires with it) and each
later one counts in it (`cache.incr`, atomic). The first action of a key is always allowed at once;
once the window ends the key starts afresh. Keys are stored hashed (an email address never appears
in the cache's key space).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Throttle:
    name: str
    limit: int
    seconds: int

    def _cache_key(self, key: str) -> str:
        return f"portal:throttle:{self.name}:{hashlib.sha256(key.encode('utf-8')).hexdigest()}"

    def allow(self, key: str) -> bool:
        """Count one action for `key`: True if it is within the limit, False if it is one too many."""
        cache_key = self._cache_key(key)
        if cache.add(cache_key, 1, self.seconds):
            return True
        try:
            return cache.incr(cache_key) <= self.limit
        except ValueError:  # the window ended between add and incr
            cache.add(cache_key, 1, self.seconds)
            return True

    @property
    def minutes(self) -> int:
        return max(1, round(self.seconds / 60))
