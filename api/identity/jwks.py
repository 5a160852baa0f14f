"""`JwksCache`: the public keys of Backstage's plugins, fetched over HTTP and kept.

A key id (`kid`) not in the cached set fetches the set again (Backstage makes new keys when
it restarts), but one URL is fetched at most once per `refetch_interval_s`, so tokens with
made-up `kid`s cannot make the pool flood Backstage. Concurrent misses share one fetch.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from collections.abc import Callable

import httpx
import jwt

log = logging.getLogger(__name__)

MAX_JWKS_BYTES = 256 * 1024
"""A key set larger than this is refused (a Backstage JWKS holds a few keys)."""


class JwksUnavailableError(Exception):
    """The key set could not be fetched or read."""


@dataclasses.dataclass
class _Entry:
    keys: dict[str, jwt.PyJWK] = dataclasses.field(default_factory=dict)
    fetched_at_s: float | None = None
    attempted_at_s: float | None = None
    failure: JwksUnavailableError | None = None
    lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)


class JwksCache:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        refetch_interval_s: float,
        max_age_s: float,
        fetch_timeout_s: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.http = http
        self.refetch_interval_s = refetch_interval_s
        self.max_age_s = max_age_s
        self.fetch_timeout_s = fetch_timeout_s
        self.monotonic = monotonic
        self.entries: dict[str, _Entry] = {}
        self.fetches = 0

    async def key(self, url: str, kid: str) -> jwt.PyJWK | None:
        """The key `kid` of the set at `url`, or None when the set (fetched again if it may
        be) does not hold it. Raises `JwksUnavailableError` when the set cannot be fetched."""
        entry = self.entries.setdefault(url, _Entry())
        if kid in entry.keys and not self._stale(entry):
            return entry.keys[kid]
        async with entry.lock:
            if kid in entry.keys and not self._stale(entry):
                return entry.keys[kid]
            if self._may_fetch(entry):
                await self._refresh(url, entry, kid)
            elif entry.failure is not None and kid not in entry.keys:
                raise entry.failure  # the last fetch failed: the same answer until the next
            if entry.failure is not None and self._expired(entry):
                raise entry.failure  # held keys outlive a failing Backstage only so long
        return entry.keys.get(kid)

    async def _refresh(self, url: str, entry: _Entry, kid: str) -> None:
        """Fetch the set again; if that fails, a key already held is used a while longer
        (a Backstage that is briefly down does not lock every caller out)."""
        entry.attempted_at_s = self.monotonic()
        try:
            entry.keys = await self._fetch(url)
        except JwksUnavailableError as exc:
            entry.failure = exc
            if kid not in entry.keys:
                raise
            return
        entry.failure = None
        entry.fetched_at_s = entry.attempted_at_s

    def _stale(self, entry: _Entry) -> bool:
        fetched = entry.fetched_at_s
        return fetched is None or self.monotonic() - fetched >= self.max_age_s

    def _expired(self, entry: _Entry) -> bool:
        """Keys held longer than twice their age limit are not used, fetch failing or not
        (a key Backstage dropped must stop working some time)."""
        fetched = entry.fetched_at_s
        return fetched is None or self.monotonic() - fetched >= 2 * self.max_age_s

    def _may_fetch(self, entry: _Entry) -> bool:
        attempted = entry.attempted_at_s
        return attempted is None or self.monotonic() - attempted >= self.refetch_interval_s

    async def _fetch(self, url: str) -> dict[str, jwt.PyJWK]:
        self.fetches += 1
        try:
            async with asyncio.timeout(self.fetch_timeout_s):
                body = await self._read(url)
            document = json.loads(body)
            if not isinstance(document, dict):
                raise ValueError("the key set is not a JSON object")
            key_set = jwt.PyJWKSet.from_dict(document)
        except (httpx.HTTPError, ValueError, TimeoutError, jwt.PyJWKSetError) as exc:
            log.warning("JWKS %s could not be fetched: %s", url, exc)
            raise JwksUnavailableError(f"{url}: {exc}") from exc
        return {k.key_id: k for k in key_set.keys if k.key_id}

    async def _read(self, url: str) -> bytes:
        """The answer's body, refused past `MAX_JWKS_BYTES` as it arrives."""
        body = bytearray()
        async with self.http.stream("GET", url, headers={"Accept": "application/json"}) as r:
            r.raise_for_status()
            async for chunk in r.aiter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise ValueError(f"the key set is larger than {MAX_JWKS_BYTES} bytes")
        return bytes(body)
