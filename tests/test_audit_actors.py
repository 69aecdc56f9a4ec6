"""Who the access log names: the organization a caller acted for, and only when its role acts
for one (issue 11, point 10)."""

from __future__ import annotations

import uuid

import pytest

from . import people
from .support import gql, post_graphql
from .test_audit import ask, events
from .test_my_record import link

READ = "query($id: ID!) { client(id: $id) { identity { lastName } } }"
HISTORY = "{ myRecord { accessHistory { organization { name } action } } }"


@pytest.mark.parametrize("role", ["hmis_admin", "auditor"])
async def test_an_organization_claim_is_ignored_for_roles_acting_for_none(
    api, token, sessions, role
):
    world = await people.coc(sessions)
    ada = await people.fully_recorded_client(sessions, world)
    await link(sessions, ada, "ada-login")
    # A partner's ID, and an ID of no organization: neither is logged for them.
    for org in (world.outreach.id, uuid.uuid4()):
        caller = token(role, org=org, sub=f"{role}-1")
        _, request_id = await ask(api, READ, {"id": str(ada.id)}, token=caller)
        (event,) = await events(sessions, request_id=request_id)
        assert event.organization_id is None and event.client_id == ada.id
        me = await gql(api, "{ me { organization { name } } }", token=caller)
        assert me == (200, {"data": {"me": {"organization": None}}})
    # The client's accounting names no organization that never acted.
    status, body = await gql(api, HISTORY, token=token("client", sub="ada-login"))
    assert status == 200, body
    history = body["data"]["myRecord"]["accessHistory"]
    assert history and all(entry["organization"] is None for entry in history), history


async def test_staff_are_logged_as_their_real_organization_and_no_other(api, token, sessions):
    world = await people.coc(sessions)
    ada = await people.fully_recorded_client(sessions, world)
    staff = token("agency_staff", org=world.outreach.id, sub="outreach-1")
    _, request_id = await ask(api, READ, {"id": str(ada.id)}, token=staff)
    (event,) = await events(sessions, request_id=request_id)
    assert event.organization_id == world.outreach.id
    # Staff acting for an organization that does not exist get nothing, and log nothing.
    response = await post_graphql(api, READ, {"id": str(ada.id)},
                                  token=token("agency_staff", org=uuid.uuid4()))  # fmt: skip
    assert response.status_code == 403
    assert len(await events(sessions)) == 1
