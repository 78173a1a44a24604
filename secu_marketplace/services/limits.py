"""Counters and claims in the shared cache (``CACHE_ALIAS``), for the limits that keep pushes
from turning into a flood: how many a key has stored, and who makes the next read. Every
process must share the cache (Redis, the database cache) for the limits to hold across them;
docs/security.md says so."""

from __future__ import annotations

from django.core.cache import BaseCache, caches

from secu_marketplace.conf import app_settings


def shared() -> BaseCache:
    return caches[app_settings.CACHE_ALIAS]


def count_up(key: str, *, keep_for: float) -> int | None:
    """Count one more under ``key`` (kept ``keep_for`` seconds); the count, or None when the
    cache lost the key between creating and counting it (the caller lets it through)."""
    cache = shared()
    cache.add(key, 0, timeout=keep_for)
    try:
        return int(cache.incr(key))
    except ValueError:  # evicted between add and incr
        return None


def claim(key: str, *, for_seconds: float) -> bool:
    """Take ``key`` for ``for_seconds`` (True), unless someone holds it (False)."""
    return bool(shared().add(key, 1, timeout=for_seconds))


def release(key: str) -> None:
    shared().delete(key)
