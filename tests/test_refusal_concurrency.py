"""A refusal and an update of the same client, as two real concurrent requests on PostgreSQL:
whichever commits second, a partner sees the update only if it committed before the refusal.

Both requests are sent while a third transaction holds the client's row lock, and each is
seen waiting on it (pg_stat_activity) before the next is sent, so PostgreSQL's lock queue
fixes the order: the first sent is granted the lock first and holds it until it commits,
while the second waits. Without the lock (`history.begin_write`), the update's time would be
taken before the refusal committed and its write shown to partners as if made before it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import pytest
from sqlalchemy import select, text

from hmis.db import history, models

from .support import gql
from .writes import build_world, mutation

REFUSE = mutation("recordSharingRefusal", "refusal { recordedAt }")
RENAME = mutation("updateClient", "client { identity { lastName } }")
VIEW = "query($id: ID!) { client(id: $id) { identity { lastName } } }"
WAITING = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND wait_event_type = 'Lock' AND state = 'active'"
)


async def waiting_for_locks(engine, count: int) -> None:
    """Until `count` sessions wait on a lock (at most 10 s). A new transaction each time:
    PostgreSQL keeps one snapshot of pg_stat_activity per transaction."""
    for _ in range(1000):
        async with engine.connect() as connection:
            if await connection.scalar(WAITING) >= count:
                return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} requests never waited on the client's lock")


@pytest.mark.parametrize("first", ["refusal", "update"])
async def test_a_write_after_a_refusal_is_never_shown_as_made_before_it(
    api, token, engine, sessions, first
):
    if engine.dialect.name != "postgresql":
        pytest.skip(
            "PostgreSQL only: SQLite has one writer at a time, so the two transactions "
            "cannot overlap (CI runs this with HMIS_TEST_DATABASE_URL)"
        )
    world = await build_world(api, token)
    ada = await world.new_client()
    shelter, partner = world.staff["Shelter"], world.staff["Outreach"]
    requests = {
        "refusal": lambda: gql(api, REFUSE, {"input": {"clientId": ada}}, token=shelter),
        "update": lambda: gql(
            api, RENAME, {"input": {"id": ada, "lastName": "Byron"}}, token=shelter
        ),
    }
    second = "update" if first == "refusal" else "refusal"

    tasks = {}
    async with sessions() as gate, gate.begin():
        await history.begin_write(gate, clients=[uuid.UUID(ada)])  # hold Ada's row lock
        tasks[first] = asyncio.create_task(requests[first]())
        await waiting_for_locks(engine, 1)
        tasks[second] = asyncio.create_task(requests[second]())
        await waiting_for_locks(engine, 2)  # both requests queue on the lock, in order
    # The gate is gone: the first request takes the lock and holds it until it commits.
    (_, refused), (_, renamed) = await asyncio.gather(tasks["refusal"], tasks["update"])
    assert refused["data"]["recordSharingRefusal"]["refusal"], refused
    assert renamed["data"]["updateClient"]["client"], renamed

    refused_at = datetime.fromisoformat(
        refused["data"]["recordSharingRefusal"]["refusal"]["recordedAt"]
    )
    async with sessions() as s:
        (renamed_at,) = await s.scalars(
            select(models.RecordVersion.recorded_at).where(
                models.RecordVersion.record_id == uuid.UUID(ada),
                models.RecordVersion.kind == "update",
            )
        )
    _, body = await gql(api, VIEW, {"id": ada}, token=partner)
    seen = body["data"]["client"]["identity"]["lastName"]
    if first == "refusal":
        # The update waited for the refusal: stamped after R, hidden from partners.
        assert renamed_at > refused_at and seen == "Lovelace"
    else:
        # The update committed before the refusal: stamped before R, part of what partners see.
        assert renamed_at < refused_at and seen == "Byron"
    _, body = await gql(api, VIEW, {"id": ada}, token=shelter)
    assert body["data"]["client"]["identity"]["lastName"] == "Byron"  # the owner: current
