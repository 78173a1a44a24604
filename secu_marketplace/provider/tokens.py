"""The OAuth access token, shared by every process through Django's cache.

- The cache key names the API host and the client id, so a sandbox token is never sent to the
  testing host and two marketplaces on one cache never mix.
- A token is kept ``expires_in - TOKEN_SAFETY_MARGIN`` seconds: it is never used in its last
  minutes, when it could expire in flight.
- Refresh is single-flight: ``cache.add`` is the lock, so sixteen workers with a cold cache ask
  secuconnect for one token, not sixteen; the others wait for it briefly.
- A rejected token is dropped only if it is still the cached one, so one worker's retry never
  throws away the fresh token another worker just stored.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import BaseCache, caches

logger = logging.getLogger(__name__)

POLL_INTERVAL = 0.05


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: float  # epoch seconds, already shortened by the safety margin


class TokenCache:
    def __init__(
        self, *, api_url: str, client_id: str, cache_alias: str, margin: int, lock_seconds: float
    ) -> None:
        digest = hashlib.sha256(f"{api_url}|{client_id}".encode()).hexdigest()[:24]
        self.key = f"secu_marketplace:token:{digest}"
        self.lock_key = f"{self.key}:refresh"
        self.cache_alias = cache_alias
        self.margin = margin
        self.lock_seconds = lock_seconds

    @property
    def cache(self) -> BaseCache:
        return caches[self.cache_alias]

    def cached(self) -> Token | None:
        data = self.cache.get(self.key)
        if not isinstance(data, dict):
            return None
        if data.get("expires_at", 0) <= time.time():
            return None
        return Token(value=str(data["value"]), expires_at=float(data["expires_at"]))

    def store(self, value: str, expires_in: int) -> Token:
        lifetime = max(int(expires_in) - self.margin, 1)
        token = Token(value=value, expires_at=time.time() + lifetime)
        self.cache.set(self.key, {"value": value, "expires_at": token.expires_at}, timeout=lifetime)
        return token

    def get(self, fetch: Callable[[], tuple[str, int]]) -> tuple[Token, bool]:
        """The cached token, or a new one from ``fetch``; the flag says whether it is new."""
        token = self.cached()
        if token is not None:
            return token, False
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + self.lock_seconds
        while True:
            if self.cache.add(self.lock_key, owner, timeout=self.lock_seconds):
                try:
                    token = self.cached()  # someone may have finished just before we got the lock
                    if token is not None:
                        return token, False
                    value, expires_in = fetch()
                    return self.store(value, expires_in), True
                finally:
                    if self.cache.get(self.lock_key) == owner:
                        self.cache.delete(self.lock_key)
            time.sleep(POLL_INTERVAL)
            token = self.cached()
            if token is not None:
                return token, False
            if time.monotonic() > deadline:
                # The lock holder is stuck or gone: fetch ourselves rather than fail the payment.
                logger.warning("token refresh lock held too long; fetching a token without it")
                value, expires_in = fetch()
                return self.store(value, expires_in), True

    def discard(self, value: str) -> None:
        """Forget ``value`` if it is still the cached token (it was rejected)."""
        token = self.cached()
        if token is not None and token.value == value:
            self.cache.delete(self.key)
