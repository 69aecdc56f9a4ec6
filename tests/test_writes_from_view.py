"""Writes answer from the writer's view (POLICY.md, the refusal rule, point 4): a partner's
version, its diff, its derived data quality and the corrections it sees are computed from
what it can see of a refused client, never from the hidden current row. Everything here goes
through GraphQL over HTTP with real tokens."""

from __future__ import annotations

import uuid

import pytest

from hmis.db import models

from . import people
from .support import call

CREATE = """mutation($input: CreateClientInput!) { createClient(input: $input) {
  client { id } errors { field code } } }"""
UPDATE = """mutation($input: UpdateClientInput!) { updateClient(input: $input) {
  client { identity { firstName lastName ssn nameDataQuality } demographics { gender } }
  errors { field message code } } }"""
VIEW = """query($id: ID!) { client(id: $id) {
  identity { firstName lastName ssn nameDataQuality ssnDataQuality } demographics { gender } } }"""
REQUEST = """mutation($input: RequestCorrectionInput!) { requestCorrection(input: $input) {
  correctionRequest { id } errors { field code } } }"""
RESOLVE = """mutation($input: ResolveCorrectionInput!) { resolveCorrection(input: $input) {
  correctionRequest { status } errors { field code } } }"""


@pytest.fixture
async def frozen(sessions, api, token):
    """The shelter enters Ada (no first name, no SSN) through the API; she refuses sharing;
    then the shelter names her, renames her, adds an SSN and a gender: all hidden from the
    outreach partner."""
    world = await people.coc(sessions)
    world.api = api
    world.tokens = {name: token("agency_staff", org=getattr(world, name).id, sub=f"{name}-1")
                    for name in ("shelter", "outreach", "housing")}  # fmt: skip
    world.tokens["admin"] = token("hmis_admin", sub="admin-1")
    payload = await call(world, "shelter", CREATE, {"input": {"lastName": "Lovelace"}})
    world.ada = payload["client"]["id"]
    async with sessions() as s:
        ada = await s.get(models.Client, uuid.UUID(world.ada))
    await people.refuse(sessions, world, ada)
    edit = await call(world, "shelter", UPDATE, {"input": {
        "id": world.ada, "firstName": "Ann", "lastName": "Byron", "ssn": "234567890",
        "gender": ["WOMAN", "NON_BINARY"]}})  # fmt: skip
    assert edit["errors"] == [], edit
    return world


async def seen(world, who: str) -> dict:
    return await call(world, who, VIEW, {"id": world.ada})


async def update(world, who: str, **fields) -> dict:
    return await call(world, who, UPDATE, {"input": {"id": world.ada, **fields}})


async def test_the_partner_sees_the_record_as_of_the_refusal(frozen):
    client = await seen(frozen, "outreach")
    assert client["identity"] == {"firstName": None, "lastName": "Lovelace", "ssn": None,
                                  "nameDataQuality": "PARTIAL",
                                  "ssnDataQuality": "DATA_NOT_COLLECTED"}  # fmt: skip


async def test_the_optimistic_lock_counts_only_versions_the_partner_sees(frozen):
    """Point 2: the shelter's hidden edit is version 2; the partner's record is at 1."""
    stale = await update(frozen, "outreach", version=999, middleName="Q")
    assert stale["errors"][0]["code"] == "STALE_VERSION"
    assert "the record is at 1" in stale["errors"][0]["message"]
    ok = await update(frozen, "outreach", version=1, middleName="Q")
    assert ok["errors"] == []
    again = await update(frozen, "outreach", version=1, middleName="R")
    assert "the record is at 2" in again["errors"][0]["message"]
    # The shelter sees its own two versions; the partner's, after the refusal, is hidden.
    shelter = await call(frozen, "shelter", UPDATE, {"input": {"id": frozen.ada, "version": 999}})
    assert "the record is at 2" in shelter["errors"][0]["message"]


@pytest.mark.parametrize("guess", ["Byron", "Miller"])
async def test_a_write_is_recorded_whether_or_not_it_matches_the_hidden_value(frozen, guess):
    """Points 3 and 14: writing the hidden value (a hit) and another value (a miss) behave
    alike: the write is recorded and the partner sees its own value."""
    payload = await update(frozen, "outreach", version=1, lastName=guess)
    assert payload["errors"] == []
    assert payload["client"]["identity"]["lastName"] == guess
    assert (await seen(frozen, "outreach"))["identity"]["lastName"] == guess
    # Its version moved on either way: version 1 is now stale for it.
    stale = await update(frozen, "outreach", version=1, lastName="Other")
    assert "the record is at 2" in stale["errors"][0]["message"]


async def test_a_list_equal_to_a_hidden_list_is_recorded(frozen):
    """Point 14: the partner writes the gender list the shelter wrote after the refusal."""
    payload = await update(frozen, "outreach", gender=["WOMAN", "NON_BINARY"])
    assert sorted(payload["client"]["demographics"]["gender"]) == ["NON_BINARY", "WOMAN"]
    third = await seen(frozen, "housing")  # the partner's write is hidden from others
    assert third["demographics"]["gender"] == []


async def test_derived_data_quality_comes_from_the_partners_view(frozen, sessions):
    """Point 4: a client refuses with no name at all; the shelter adds a first name after the
    refusal (hidden); the partner enters the last name. For the partner the name is partial
    (its view has no first name), never full; those who see current data see it full."""
    nameless = await call(frozen, "shelter", CREATE, {"input": {"veteranStatus": "NO"}})
    frozen.ada = nameless["client"]["id"]
    async with sessions() as s:
        row = await s.get(models.Client, uuid.UUID(frozen.ada))
    await people.refuse(sessions, frozen, row)
    await update(frozen, "shelter", firstName="Ann")
    payload = await update(frozen, "outreach", lastName="Lovelace")
    assert payload["client"]["identity"]["nameDataQuality"] == "PARTIAL"
    assert payload["client"]["identity"]["firstName"] is None
    assert (await seen(frozen, "outreach"))["identity"]["nameDataQuality"] == "PARTIAL"
    admin = await seen(frozen, "admin")
    assert (admin["identity"]["firstName"], admin["identity"]["lastName"]) == ("Ann", "Lovelace")
    assert admin["identity"]["nameDataQuality"] == "FULL"
    # Nothing of either write reaches a third organization.
    third = await seen(frozen, "housing")
    assert third["identity"]["nameDataQuality"] == "DATA_NOT_COLLECTED"


async def correct(world, field: str, value: str) -> None:
    request = await call(world, "outreach", REQUEST, {"input": {
        "clientId": world.ada, "field": field, "requestedValue": value}})  # fmt: skip
    assert request["errors"] == [], request
    resolved = await call(world, "shelter", RESOLVE, {"input": {
        "id": request["correctionRequest"]["id"], "approve": True}})  # fmt: skip
    assert resolved["errors"] == [] and resolved["correctionRequest"]["status"] == "APPROVED"


async def test_a_correction_equal_to_the_current_value_still_reaches_partners(frozen):
    """Point 14: the last name is Byron now (hidden); a correction to Byron is approved: the
    inaccurate value partners had is replaced."""
    await correct(frozen, "lastName", "Byron")
    assert (await seen(frozen, "outreach"))["identity"]["lastName"] == "Byron"
    assert (await seen(frozen, "housing"))["identity"]["lastName"] == "Byron"


async def test_a_correction_replaces_a_value_shared_then_that_the_viewer_emptied(frozen):
    """Point 14: the last name was shared at the refusal; the partner cleared it since; a
    correction compares with the value at the refusal, so the partner sees it."""
    await update(frozen, "outreach", lastName=None)
    assert (await seen(frozen, "outreach"))["identity"]["lastName"] is None
    await correct(frozen, "lastName", "Lovelace-King")
    assert (await seen(frozen, "outreach"))["identity"]["lastName"] == "Lovelace-King"


async def test_a_correction_of_a_field_empty_at_the_refusal_leaves_the_viewers_own_entry(frozen):
    """Point 14: the SSN was empty at the refusal; the partner entered one since; another
    organization's correction of it is post-refusal data: the partner keeps its own."""
    await update(frozen, "outreach", ssn="345678901")
    await correct(frozen, "ssn", "456789012")
    assert (await seen(frozen, "outreach"))["identity"]["ssn"] == "345678901"
    assert (await seen(frozen, "housing"))["identity"]["ssn"] is None
    assert (await seen(frozen, "admin"))["identity"]["ssn"] == "456789012"


async def test_a_correction_carries_no_data_quality_derived_from_hidden_values(frozen):
    """The SSN was empty at the refusal (quality: not collected); the shelter added one and
    corrected it; the last name is corrected while the first name added after the refusal is
    hidden: the partner sees neither quality the hidden values imply."""
    await correct(frozen, "ssn", "456789012")
    await correct(frozen, "lastName", "Lovelace-King")
    identity = (await seen(frozen, "outreach"))["identity"]
    assert identity["ssn"] is None and identity["ssnDataQuality"] == "DATA_NOT_COLLECTED"
    assert identity["lastName"] == "Lovelace-King" and identity["nameDataQuality"] == "PARTIAL"
    admin = (await seen(frozen, "admin"))["identity"]
    assert admin["ssnDataQuality"] == "FULL" and admin["nameDataQuality"] == "FULL"


SEARCH = """query($input: ClientSearchInput!) { searchClients(input: $input) {
  client { id identity { lastName } } } }"""


@pytest.mark.parametrize("first", [1, 2, 3])
async def test_hidden_matches_never_crowd_out_visible_ones(frozen, sessions, first):
    """Point 5: eight refused clients renamed Zorn after their refusal (entered first, so
    they come first in any scan), then two clients called Zorn all along: a partner asking
    for the first N Zorns gets the visible ones, however many hidden ones there are."""
    for i in range(8):
        made = await call(frozen, "shelter", CREATE, {"input": {"lastName": f"Before{i}"}})
        frozen.ada = made["client"]["id"]
        async with sessions() as s:
            row = await s.get(models.Client, uuid.UUID(frozen.ada))
        await people.refuse(sessions, frozen, row)
        await update(frozen, "shelter", lastName="Zorn")
    zorns = set()
    for _ in range(2):
        made = await call(frozen, "shelter", CREATE, {"input": {"lastName": "Zorn"}})
        zorns.add(made["client"]["id"])
    found = await call(frozen, "outreach", SEARCH, {"input": {"lastName": "Zorn", "first": first}})
    ids = [m["client"]["id"] for m in found]
    assert len(ids) == min(first, 2) and set(ids) <= zorns
    assert ids == sorted(ids, key=uuid.UUID)
    # The shelter sees its renames: they are its own data.
    mine = await call(frozen, "shelter", SEARCH, {"input": {"lastName": "Zorn", "first": 20}})
    assert len(mine) == 10
