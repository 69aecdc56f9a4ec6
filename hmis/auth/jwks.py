"""The issuer's public signing keys: fetched over HTTP, cached, refreshed when keys rotate.

`RemoteKeys` finds the JWKS through OIDC discovery (or a configured URL), keeps it for a TTL, and
refetches once when a token names a key it does not know, so a key rotation at the identity
provider needs no restart. Refetches are single-flight (one request fetches, the others wait for
its result) and rate-limited, so a flood of tokens with made-up key IDs cannot turn the API into
a traffic amplifier against the provider. When the provider is down, the keys already cached keep
working; only with no keys at all is the API unavailable (`KeysUnavailable`, HTTP 503).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, Key

from .errors import KeysUnavailable

log = logging.getLogger("hmis.auth")

# Only asymmetric keys verify tokens; an "oct" (HMAC) key in a JWKS is never used.
ASYMMETRIC_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})
MAX_JWKS_BYTES = 256 * 1024


class KeySource(Protocol):
    async def key_for(self, kid: str | None) -> Key | None:
        """The verification key with this ID, or None when the issuer does not publish it."""


def parse_jwks(document: Any) -> list[Key]:
    """The usable signature keys of a JWKS document; keys we cannot or must not use are skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWK set (no 'keys' list)")
    keys = []
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("kty") not in ASYMMETRIC_KEY_TYPES:
            continue
        if entry.get("use", "sig") != "sig":
            continue
        try:
            keys.append(JWKRegistry.import_key(entry))
        except (JoseError, ValueError, TypeError):
            log.warning("ignoring a key of the issuer's JWKS that cannot be imported")
    return keys


def find_key(keys: list[Key], kid: str | None) -> Key | None:
    if kid is None:
        # A token without `kid` is only unambiguous when the issuer has a single key.
        return keys[0] if len(keys) == 1 else None
    return next((key for key in keys if key.kid == kid), None)


class StaticKeys:
    """A key set held in memory (the development issuer's own key): nothing to fetch."""

    def __init__(self, keys: list[Key]):
        self.keys = keys

    async def key_for(self, kid: str | None) -> Key | None:
        return find_key(self.keys, kid)


class RemoteKeys:
    """The JWKS of a remote issuer, cached for `ttl` seconds and refetched on an unknown `kid`."""

    def __init__(
        self,
        *,
        issuer: str,
        jwks_url: str | None = None,
        ttl: float = 600.0,
        min_refetch_interval: float = 30.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.issuer = issuer
        self.configured_url = jwks_url
        self.ttl = ttl
        self.min_refetch_interval = min_refetch_interval
        self.timeout = httpx.Timeout(timeout)
        self.clock = clock
        self._keys: list[Key] | None = None
        self._jwks_url: str | None = jwks_url
        self._fetched_at = 0.0
        self._last_failure: float | None = None
        self._last_unknown_kid_refetch: float | None = None
        # Counts finished fetch attempts; a request that waited on the lock sees it move and
        # uses the result instead of fetching again (single flight).
        self._attempts = 0
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str | None) -> Key | None:
        attempts = self._attempts
        if self._needs_refresh():
            await self._refresh()
        key = find_key(self._keys or [], kid)
        tried_already = self._attempts != attempts
        if key is None and not tried_already:
            # Perhaps the issuer rotated its keys: look once more (if not done just now).
            await self._refresh(unknown_kid=True)
            key = find_key(self._keys or [], kid)
        if self._keys is None:
            raise KeysUnavailable()
        return key

    def _needs_refresh(self) -> bool:
        if self._keys is None:
            return True  # nothing to serve with, so every request may try (single-flight)
        now = self.clock()
        expired = now - self._fetched_at >= self.ttl
        # After a failed refresh, keep using the cached keys a while before trying again.
        failed = self._last_failure
        backing_off = failed is not None and now - failed < self.min_refetch_interval
        return expired and not backing_off

    def _may_refetch_for_unknown_kid(self) -> bool:
        last = self._last_unknown_kid_refetch
        return last is None or self.clock() - last >= self.min_refetch_interval

    async def _refresh(self, *, unknown_kid: bool = False) -> None:
        """Fetch the key set, unless another request fetched while this one waited."""
        seen = self._attempts
        async with self._lock:
            if self._attempts != seen:
                return
            # Decided under the lock, so requests queued behind a refetch use its result.
            if unknown_kid and not self._may_refetch_for_unknown_kid():
                return
            now = self.clock()
            if unknown_kid:
                self._last_unknown_kid_refetch = now
            try:
                keys = await self._fetch()
            except (httpx.HTTPError, ValueError) as error:
                # The reason is about the provider, never about a caller's token.
                log.warning(
                    "could not fetch the signing keys of %s (%s); %s",
                    self.issuer,
                    error,
                    "keeping the cached keys" if self._keys else "no keys cached",
                )
                self._jwks_url = self.configured_url  # rediscover next time
                self._last_failure = now
                return
            finally:
                self._attempts += 1
            self._keys = keys
            self._fetched_at = now
            self._last_failure = None

    async def _fetch(self) -> list[Key]:
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as http:
            if self._jwks_url is None:
                self._jwks_url = await self._discover(http)
            keys = parse_jwks(await _get_json(http, self._jwks_url))
        if not keys:
            raise ValueError("the key set has no usable signature keys")
        return keys

    async def _discover(self, http: httpx.AsyncClient) -> str:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = await _get_json(http, url)
        # OpenID Connect Discovery 1.0, section 4.3: the document must name the same issuer.
        if not isinstance(document, dict) or document.get("issuer") != self.issuer:
            raise ValueError(f"the discovery document at {url} is for another issuer")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri:
            raise ValueError(f"the discovery document at {url} has no jwks_uri")
        return jwks_uri


async def _get_json(http: httpx.AsyncClient, url: str) -> Any:
    response = await http.get(url, headers={"Accept": "application/json"})
    response.raise_for_status()
    if len(response.content) > MAX_JWKS_BYTES:
        raise ValueError(f"the document at {url} is too large")
    return response.json()
