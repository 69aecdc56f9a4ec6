"""Corrections and derived data quality after a refusal, found by an adversarial review: a
correction approved after the refusal tells a partner nothing through data quality or the
version number, and a partner's write that changes nothing for it changes nothing at all."""

from __future__ import annotations

import uuid

import pytest

from hmis.db import models

from . import people
from .test_writes_from_view import CREATE, REQUEST, RESOLVE, call, update

VIEW = """query($id: ID!) { client(id: $id) {
  identity { firstName lastName ssn dob nameDataQuality ssnDataQuality dobDataQuality } } }"""


async def setup(sessions, api, token, **create):
    world = await people.coc(sessions)
    world.api = api
    world.tokens = {
        name: token("agency_staff", org=getattr(world, name).id, sub=f"{name}-1")
        for name in ("shelter", "outreach", "housing")
    }
    world.tokens["admin"] = token("hmis_admin", sub="admin-1")
    payload = await call(world, "shelter", CREATE, {"input": create})
    world.ada = payload["client"]["id"]
    async with sessions() as s:
        ada = await s.get(models.Client, uuid.UUID(world.ada))
    await people.refuse(sessions, world, ada)
    return world


async def seen(world, who):
    return (await call(world, who, VIEW, {"id": world.ada}))["identity"]


async def correct_by(world, requester, field, value, resolver="shelter"):
    request = await call(
        world,
        requester,
        REQUEST,
        {"input": {"clientId": world.ada, "field": field, "requestedValue": value}},
    )
    assert request["errors"] == [], request
    resolved = await call(
        world,
        resolver,
        RESOLVE,
        {"input": {"id": request["correctionRequest"]["id"], "approve": True}},
    )
    assert resolved["errors"] == [], resolved


@pytest.mark.parametrize(
    "field,value,dq",
    [
        ("ssn", "234567890", "ssnDataQuality"),
        ("dob", "1980-02-03", "dobDataQuality"),
        ("firstName", "Ann", "nameDataQuality"),
    ],
)
async def test_a_correction_of_a_field_empty_at_the_refusal_changes_nothing_for_partners(
    sessions, api, token, field, value, dq
):
    world = await setup(sessions, api, token, lastName="Lovelace")
    before = await seen(world, "housing")
    stale = await update(world, "housing", version=999)
    await correct_by(world, "shelter", field, value)
    after = await seen(world, "housing")
    stale2 = await update(world, "housing", version=999)
    # the field itself stays hidden (policy)...
    assert after[field] is None
    # ...so nothing else may change either
    problems = []
    if after != before:
        problems.append(("view", before, after))
    if stale["errors"] != stale2["errors"]:
        problems.append(("version", stale["errors"], stale2["errors"]))
    assert not problems, problems


async def test_a_name_correction_implies_no_hidden_last_name(sessions, api, token):
    world = await setup(sessions, api, token, firstName="Ada")
    await update(world, "shelter", lastName="Byron")  # hidden from partners
    before = await seen(world, "housing")
    await correct_by(world, "shelter", "firstName", "Ann")
    after = await seen(world, "housing")
    print(before, after)
    assert after["firstName"] == "Ann" and after["lastName"] is None
    assert after["nameDataQuality"] == "PARTIAL", after


async def test_an_administrators_name_correction_implies_no_hidden_last_name(sessions, api, token):
    world = await setup(sessions, api, token, firstName="Ada")
    await update(world, "shelter", lastName="Byron")  # hidden from partners
    await correct_by(world, "outreach", "firstName", "Ann", resolver="admin")
    after = await seen(world, "outreach")
    print(after)
    assert after["lastName"] is None and after["nameDataQuality"] == "PARTIAL", after


async def test_a_partner_write_that_changes_nothing_for_it_leaves_current_quality_alone(
    sessions, api, token
):
    world = await setup(sessions, api, token, lastName="Lovelace")
    await update(world, "shelter", firstName="Ann")  # hidden; current quality FULL
    await update(world, "outreach", firstName=None)  # partner already sees None: no-op for it
    admin = await seen(world, "admin")
    assert admin["nameDataQuality"] == "FULL", admin
