"""The per-request context: built once from the verified token, read by every resolver."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from hmis.access_log import AccessLog, Purpose
from hmis.auth.principal import Principal
from hmis.config import Settings


@dataclass
class RequestContext:
    request: Request
    response: Response
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    principal: Principal | None
    # The `HMIS-Purpose` header (checked by the view); None means the role's default.
    purpose: Purpose | None = None
    # Why a verified caller has no principal (no HMIS role, unknown organization): read only
    # by hmis.auth.guards.require_principal, which answers 403 with it.
    auth_denied: str | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    operation_name: str | None = None
    # What this request returned and wrote, for the audit log (outlives `cache.clear()`).
    access_log: AccessLog = field(default_factory=AccessLog)
    # Per-request caches (DataLoaders, page decisions) live here, created lazily by name.
    cache: dict[str, Any] = field(default_factory=dict)
    _session: AsyncSession | None = None
    # Field resolvers run concurrently; one session serves one statement at a time.
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _read_failed: bool = False
    _closed: bool = False

    async def session(self) -> AsyncSession:
        """One session per request; mutations commit it, queries only read."""
        if self._session is None:
            self._session = self.sessions()
        return self._session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """The request's session, held by one resolver at a time."""
        async with self._lock:
            self._check_open()
            try:
                yield await self.session()
            except BaseException:
                self._read_failed = True  # its transaction may be aborted (PostgreSQL)
                raise

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """One transaction for a whole mutation: committed at the end, rolled back on any
        error, so a failed request changes nothing.

        It carries on the transaction of the request's reads (at READ COMMITTED each
        statement reads what is committed when it starts, as in a new transaction): two
        round trips fewer for the audit events of every page. Unless a read failed in it,
        which may have aborted it: then it is ended first."""
        async with self._lock:
            self._check_open()
            session = await self.session()
            if self._read_failed and session.in_transaction():
                await session.rollback()
            self._read_failed = False
            if not session.in_transaction():
                await session.begin()
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    def _check_open(self) -> None:
        if self._closed:  # a late task (a DataLoader batch) must not open a new session
            raise RuntimeError("the request has ended")

    async def close(self) -> None:
        """Give back everything the request holds, whatever its execution did.

        A resolver may still hold the session when the reply is ready: graphql-core cancels
        the siblings of a failed field, but a DataLoader's batch runs in a task of its own and
        goes on reading. Closing the session under it left its connection checked out for
        good (and the pool empty after 15 such requests), so the close waits for the session
        first; shielded, so a cancelled request still returns its connection."""
        # The caches refer back to this context (a cycle): emptied, a page's rows are freed
        # at once instead of waiting for the cyclic garbage collector, whose every pass then
        # walked them (on a page of 100 clients that cost more than the page's SQL).
        self.cache.clear()
        self._closed = True
        await asyncio.shield(self._release())

    async def _release(self) -> None:
        async with self._lock:
            session, self._session = self._session, None
            if session is not None:
                await session.close()
