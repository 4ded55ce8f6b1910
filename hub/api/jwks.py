"""The identity provider's signing keys (JWKS) for bearer JWTs: cached, fetched once at a time, bounded.

No caller can make the hub fetch on every request, and no caller waits on the JWKS endpoint on the event loop
or on a worker thread of its own: the key set is cached (`jwks_cache_seconds`); no fetch for an unknown `kid`
within `unknown_kid_seconds` of the last fetch, and an unknown `kid` is remembered that long; one fetch runs at
a time on one thread while every other caller awaits it on the event loop; each fetch is bounded by
`jwks_timeout_seconds`; after a failed fetch none is tried for `jwks_retry_after_seconds` (JWTs whose key is
not cached get a 503 at once meanwhile).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict

import jwt
import structlog
from starlette.concurrency import run_in_threadpool

from hub.settings import JwtSettings

log = structlog.get_logger("afsprakenhub.auth")
#: How many unknown key ids are remembered at most (the oldest is forgotten first).
MAX_UNKNOWN_KIDS = 1024


class JwksUnavailable(Exception):
    """The key set could not be fetched (now, or within `retry_after_seconds` of a failed fetch)."""


class UnknownKey(Exception):
    """The token names a key id the identity provider does not publish."""


class JwksKeys:
    """Signing keys of one JWKS URL, looked up by `kid` without letting callers drive fetches."""

    def __init__(self, cfg: JwtSettings) -> None:
        assert cfg.jwks_url
        self.url = cfg.jwks_url
        self.timeout = cfg.jwks_timeout_seconds
        self.retry_after = cfg.jwks_retry_after_seconds
        self.unknown_ttl = cfg.unknown_kid_seconds
        # PyJWKClient fetches (bounded by its timeout) and caches the key set for `lifespan`; the lookups by kid,
        # the single flight and the back-off are here, so no caller waits on a thread of its own.
        self._client = jwt.PyJWKClient(cfg.jwks_url, cache_jwk_set=True, lifespan=cfg.jwks_cache_seconds,
                                       timeout=cfg.jwks_timeout_seconds)
        self._unknown: OrderedDict[str, float] = OrderedDict()
        self._failed_at: float | None = None
        self._fetched_at: float | None = None
        self._inflight: asyncio.Future[jwt.PyJWKSet] | None = None

    async def key(self, kid: str) -> jwt.PyJWK:
        """The signing key for `kid`; raises UnknownKey (answer 401) or JwksUnavailable (answer 503)."""
        found = self._cached(kid)
        if found is not None:
            return found
        now = time.monotonic()
        if self._unknown.get(kid, 0.0) > now:
            raise UnknownKey(kid)
        if self._fetched_at is not None and now - self._fetched_at < self.unknown_ttl and self._has_fresh_set():
            self._remember_unknown(kid)  # the set was fetched just now: a fetch would not find it either
            raise UnknownKey(kid)
        if self._failed_at is not None and now - self._failed_at < self.retry_after:
            raise JwksUnavailable(self.url)
        keys = await self._refresh()
        found = _match(keys, kid)
        if found is None:
            self._remember_unknown(kid)
            raise UnknownKey(kid)
        return found

    def _has_fresh_set(self) -> bool:
        cache = self._client.jwk_set_cache
        return cache is not None and cache.get() is not None

    def _cached(self, kid: str) -> jwt.PyJWK | None:
        cache = self._client.jwk_set_cache
        current = cache.get() if cache is not None else None
        return _match(current, kid) if current is not None else None

    def _remember_unknown(self, kid: str) -> None:
        self._unknown[kid] = time.monotonic() + self.unknown_ttl
        self._unknown.move_to_end(kid)
        while len(self._unknown) > MAX_UNKNOWN_KIDS:
            self._unknown.popitem(last=False)

    async def _refresh(self) -> jwt.PyJWKSet:
        """One fetch at a time: later callers await the fetch in flight (on this event loop)."""
        loop = asyncio.get_running_loop()
        inflight = self._inflight
        if inflight is None or inflight.done() or inflight.get_loop() is not loop:
            inflight = self._inflight = asyncio.ensure_future(run_in_threadpool(self._fetch))
        try:
            # shield: a caller that goes away does not cancel the fetch the others wait on
            return await asyncio.wait_for(asyncio.shield(inflight), timeout=self.timeout + 1.0)
        except TimeoutError:  # the fetch outlived its own timeout (a peer dribbling bytes): give up waiting
            self._failed(TimeoutError())
            raise JwksUnavailable(self.url) from None
        except (jwt.PyJWTError, OSError):  # logged once by the fetch, not by every caller that awaited it
            raise JwksUnavailable(self.url) from None

    def _fetch(self) -> jwt.PyJWKSet:
        try:
            keys = self._client.get_jwk_set(refresh=True)
        except (jwt.PyJWTError, OSError) as exc:
            self._failed(exc)
            raise
        self._fetched_at = time.monotonic()
        self._failed_at = None
        return keys

    def _failed(self, exc: BaseException) -> None:
        self._failed_at = time.monotonic()
        log.warning("jwks_unreachable", jwks_url=self.url, reason=type(exc).__name__)


def _match(keys: jwt.PyJWKSet, kid: str) -> jwt.PyJWK | None:
    for key in keys.keys:
        if key.key_id == kid and key.public_key_use in ("sig", None):
            return key
    return None


_KEYS: dict[tuple[str, float, float, float, int], JwksKeys] = {}


def keys_for(cfg: JwtSettings) -> JwksKeys:
    """The process-wide key cache for these settings (one per JWKS URL and limits)."""
    assert cfg.jwks_url
    ident = (cfg.jwks_url, cfg.jwks_timeout_seconds, cfg.jwks_cache_seconds, cfg.unknown_kid_seconds,
             cfg.jwks_retry_after_seconds)
    if ident not in _KEYS:
        _KEYS[ident] = JwksKeys(cfg)
    return _KEYS[ident]


__all__ = ["JwksKeys", "JwksUnavailable", "UnknownKey", "keys_for"]
