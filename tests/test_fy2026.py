"""HUD FY2026 data standards on the API: 4.21 Sex (DEMOGRAPHICS, with history and the refusal
rule like every profile field) and the race renamed Hispanic/Latina/o."""

from __future__ import annotations

import pytest

from hmis.db import models

from . import factories as f
from . import people
from .test_read_api import grant_research

CREATE = """
mutation($input: CreateClientInput!) { createClient(input: $input) {
  client { id demographics { sex race } } errors { field message code } } }
"""
UPDATE = """
mutation($input: UpdateClientInput!) { updateClient(input: $input) {
  client { demographics { sex race } } errors { field message code } } }
"""
READ = """query($id: ID!) { client(id: $id) { demographics { sex race } } }"""


@pytest.fixture
async def world(sessions, api, token):
    world = await people.coc(sessions)
    world.api, world.token = api, token
    return world


def staff(world, org):
    return world.token("agency_staff", org=getattr(world, org).id, sub=f"staff-{org}")


async def call(world, gql, query, variables, token):
    status, body = await gql(world.api, query, variables, token=token)
    assert status == 200, body
    return body


async def test_sex_is_written_and_read_with_the_renamed_race(world, gql):
    shelter = staff(world, "shelter")
    body = await call(world, gql, CREATE, {"input": {"firstName": "Ada", "sex": "FEMALE",
                      "race": ["HISPANIC_LATINAEO", "WHITE"]}}, shelter)  # fmt: skip
    created = body["data"]["createClient"]["client"]
    # The deprecated name is accepted and answered with FY2026's.
    assert created["demographics"] == {"sex": "FEMALE", "race": ["WHITE", "HISPANIC_LATINAO"]}
    body = await call(world, gql, UPDATE, {"input": {"id": created["id"], "sex": "MALE"}}, shelter)
    assert body["data"]["updateClient"]["client"]["demographics"]["sex"] == "MALE"
    body = await call(world, gql, CREATE, {"input": {"firstName": "Bo"}}, shelter)
    assert body["data"]["createClient"]["client"]["demographics"]["sex"] == "DATA_NOT_COLLECTED"


async def test_who_sees_sex(world, gql, sessions):
    """DEMOGRAPHICS: the entering organization, partners, administrators, auditors and
    researchers see Sex; aggregate readers and other clients get no row."""
    body = await call(world, gql, CREATE, {"input": {"firstName": "Ada", "sex": "FEMALE"}},
                      staff(world, "shelter"))  # fmt: skip
    client_id = body["data"]["createClient"]["client"]["id"]
    await grant_research(sessions, "researcher-1")
    for token in (
        staff(world, "shelter"),
        staff(world, "outreach"),
        world.token("hmis_admin"),
        world.token("auditor"),
    ):
        body = await call(world, gql, READ, {"id": client_id}, token)
        assert body["data"]["client"]["demographics"]["sex"] == "FEMALE"
    # A researcher knows the client by its pseudonym only.
    researcher = world.token("researcher", sub="researcher-1")
    body = await call(world, gql, "{ clients { edges { node { demographics { sex } } } } }",
                      {}, researcher)  # fmt: skip
    (edge,) = body["data"]["clients"]["edges"]
    assert edge["node"]["demographics"]["sex"] == "FEMALE"
    for role in ("aggregate_reader", "client"):
        body = await call(world, gql, READ, {"id": client_id}, world.token(role, sub=role))
        assert body["data"] is None or body["data"]["client"] is None
        assert "errors" in body


async def test_a_partner_sees_sex_as_of_the_refusal(world, gql, sessions):
    shelter = world.writer(world.shelter)
    async with sessions() as s, s.begin():
        ada = await f.client(s, shelter, sex=0)
    await people.refuse(sessions, world, ada)
    await people.update(sessions, shelter, models.Client, ada.id, sex=1)
    seen = {}
    for name, token in (("outreach", staff(world, "outreach")),
                        ("shelter", staff(world, "shelter")),
                        ("admin", world.token("hmis_admin"))):  # fmt: skip
        body = await call(world, gql, READ, {"id": str(ada.id)}, token)
        seen[name] = body["data"]["client"]["demographics"]["sex"]
    assert seen == {"outreach": "FEMALE", "shelter": "MALE", "admin": "MALE"}


async def test_profiles_from_before_fy2026_have_no_sex(world, gql, sessions):
    """A profile recorded without Sex reads null, whatever its gender says."""
    async with sessions() as s, s.begin():
        bo = await f.client(s, world.writer(world.shelter), man=1)
    body = await call(world, gql, READ, {"id": str(bo.id)}, world.token("hmis_admin"))
    assert body["data"]["client"]["demographics"]["sex"] is None
