"""A request gives back every connection it took, whatever its execution did (issue 12.1).

Sibling fields that read the database while another fails: graphql-core cancels the siblings,
and a DataLoader's batch can still be reading when the reply is ready. Before the fix the
request context closed its session under that read, the connection never went back to the
pool, and after a pool's worth of such requests every request waited and failed.
"""

from __future__ import annotations

import asyncio

from .support import gql
from .writes import build_world

# Two sibling fields that read (contact, caseManager) and one that fails (first > 200).
SHAPE = """query($id: ID!) { client(id: $id) { contact { email } caseManager { lastName }
  enrollments(first: 500) { totalCount } } }"""


async def test_failing_sibling_fields_leave_no_connection_behind(app, api, token):
    world = await build_world(api, token)
    shelter = world.staff["Shelter"]
    client_id = await world.new_client()
    await world.ok(shelter, "setContact", {"clientId": client_id, "email": "a@b.org"}, "version")
    pool = app.state.engine.pool
    # More rounds than the pool has connections (5 + 10 overflow), some at once.
    for _ in range(4):
        replies = await asyncio.gather(
            *(gql(api, SHAPE, {"id": client_id}, token=shelter) for _ in range(8))
        )
        for _status, body in replies:
            assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert pool.checkedout() == 0
    status, body = await asyncio.wait_for(
        gql(api, "{ client(id: $id) { id } }".replace("$id", f'"{client_id}"'), token=shelter),
        timeout=10,
    )
    assert status == 200 and body["data"]["client"]["id"] == client_id, body
    ready = await api.get("/readyz")
    assert ready.status_code == 200
