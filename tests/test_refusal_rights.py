"""Who may record and revoke a sharing refusal (issue 11, point 1; POLICY.md): administrators,
staff of an organization that serves the client (recording) or that recorded it (revoking).
Everyone else gets the same answer whether or not a refusal exists, and a form covers only
clients who share a household with the signer."""

from __future__ import annotations

import pytest

from . import people
from .support import call

CREATE = """mutation($input: CreateClientInput!) { createClient(input: $input) {
  client { id } errors { code } } }"""
ENROLL = """mutation($input: CreateEnrollmentInput!) { createEnrollment(input: $input) {
  enrollment { household { householdId } } errors { field code } } }"""
REFUSE = """mutation($input: RecordSharingRefusalInput!) { recordSharingRefusal(input: $input) {
  refusal { id recordedAt coveredClientIds } errors { field message code } } }"""
REVOKE = """mutation($id: ID!) { revokeSharingRefusal(input: {clientId: $id}) {
  refusal { id recordedAt revokedAt } errors { field message code } } }"""
VIEW = "query($id: ID!) { client(id: $id) { identity { lastName } } }"
UPDATE = """mutation($id: ID!, $name: String) { updateClient(input: {id: $id, lastName: $name}) {
  errors { code } } }"""


@pytest.fixture
async def world(sessions, api, token):
    """The shelter serves Ada and Ben (one household) and Cara (her own); the outreach partner
    and the housing organization never served any of them."""
    world = await people.coc(sessions)
    world.api = api
    world.tokens = {name: token("agency_staff", org=getattr(world, name).id, sub=f"{name}-1")
                    for name in ("shelter", "outreach", "housing")}  # fmt: skip
    world.tokens["admin"] = token("hmis_admin", sub="admin-1")
    world.ids = {}
    for name in ("Ada", "Ben", "Cara", "Dan"):
        payload = await call(world, "shelter", CREATE, {"input": {"lastName": name}})
        world.ids[name] = payload["client"]["id"]
    household = await enroll(world, "Ada", None)
    await enroll(world, "Ben", household)
    await enroll(world, "Cara", None)
    return world


async def enroll(world, name: str, household: str | None) -> str:
    given = {"clientId": world.ids[name], "projectId": str(world.shelter_project.id),
             "entryDate": "2025-01-10"}  # fmt: skip
    if household:
        given.update(householdId=household, relationshipToHoH="CHILD")
    payload = await call(world, "shelter", ENROLL, {"input": given})
    assert payload["errors"] == [], payload
    return payload["enrollment"]["household"]["householdId"]


async def refuse(world, who: str, signer: str, *members: str) -> dict:
    given = {"clientId": world.ids[signer], "householdMemberIds": [world.ids[m] for m in members]}
    return await call(world, who, REFUSE, {"input": given})


async def revoke(world, who: str, name: str) -> dict:
    return await call(world, who, REVOKE, {"id": world.ids[name]})


def codes(payload: dict) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def test_the_serving_organization_records_for_its_household(world):
    payload = await refuse(world, "shelter", "Ada", "Ben")
    assert payload["errors"] == []
    covered = set(payload["refusal"]["coveredClientIds"])
    assert covered == {world.ids["Ada"], world.ids["Ben"]}


async def test_a_member_outside_the_signers_household_is_refused(world):
    payload = await refuse(world, "shelter", "Ada", "Ben", "Cara")
    assert codes(payload) == [(["input", "householdMemberIds", "1"], "NOT_IN_HOUSEHOLD")]
    assert payload["refusal"] is None
    # Nothing was written: Cara's record still changes for partners.
    await call(world, "shelter", UPDATE, {"id": world.ids["Ada"], "name": "Later"})
    assert (await call(world, "outreach", VIEW, {"id": world.ids["Ada"]}))["identity"] == {
        "lastName": "Later"
    }


async def test_a_household_seen_only_in_another_organizations_records_does_not_count(world):
    """Households are not shared: the outreach partner cannot learn that Ada and Ben share
    one by naming Ben, even once it serves Ada."""
    stay = {"clientId": world.ids["Ada"], "projectId": str(world.outreach_project.id),
            "entryDate": "2025-02-01"}  # fmt: skip
    assert (await call(world, "outreach", ENROLL, {"input": stay}))["errors"] == []
    payload = await refuse(world, "outreach", "Ada", "Ben")
    assert codes(payload) == [(["input", "householdMemberIds", "0"], "NOT_IN_HOUSEHOLD")]
    # The administrator sees every household.
    assert (await refuse(world, "admin", "Ada", "Ben"))["errors"] == []


async def test_an_organization_that_never_served_the_client_cannot_freeze_it(world):
    payload = await refuse(world, "housing", "Dan")
    assert codes(payload) == [(["input", "clientId"], "NOT_SERVED")]
    assert (await refuse(world, "admin", "Dan"))["errors"] == []


async def test_the_household_list_is_capped(world):
    many = [f"00000000-0000-0000-0000-{i:012d}" for i in range(21)]
    payload = await call(world, "shelter", REFUSE, {"input": {
        "clientId": world.ids["Ada"], "householdMemberIds": many}})  # fmt: skip
    assert codes(payload) == [(["input", "householdMemberIds"], "TOO_MANY")]


async def test_another_organization_cannot_detect_date_or_lift_a_refusal(world):
    """The housing organization asks to revoke for Ada (refused) and Cara (not): the same
    answer, no refusal ID or time, and Ada stays frozen."""
    await refuse(world, "shelter", "Ada", "Ben")
    await call(world, "shelter", UPDATE, {"id": world.ids["Ada"], "name": "Byron"})
    refused, unrefused = (
        await revoke(world, "housing", "Ada"),
        await revoke(world, "housing", "Cara"),
    )
    assert refused == unrefused
    assert refused["refusal"] is None
    assert codes(refused) == [(["input", "clientId"], "NOT_REFUSED")]
    assert "recorded by your organization" in refused["errors"][0]["message"]
    for who in ("housing", "outreach"):
        seen = await call(world, who, VIEW, {"id": world.ids["Ada"]})
        assert seen["identity"]["lastName"] == "Ada"


async def test_the_recording_organization_and_administrators_revoke(world):
    recorded = (await refuse(world, "shelter", "Ada", "Ben"))["refusal"]
    payload = await revoke(world, "shelter", "Ada")
    assert payload["errors"] == []
    assert payload["refusal"]["id"] == recorded["id"]
    assert payload["refusal"]["revokedAt"] >= recorded["recordedAt"]
    # Ben stays covered until revoked for him; an administrator may do it.
    assert (await revoke(world, "admin", "Ben"))["errors"] == []
    assert codes(await revoke(world, "admin", "Ben")) == [(["input", "clientId"], "NOT_REFUSED")]


async def test_an_organization_cannot_lift_another_organizations_refusal_through_its_own(world):
    """The partner starts serving Ada, records a refusal of its own and revokes it: the
    shelter's refusal still covers her, for the partner and for everyone else."""
    await refuse(world, "shelter", "Ada")
    await call(world, "shelter", UPDATE, {"id": world.ids["Ada"], "name": "Byron"})
    stay = {"clientId": world.ids["Ada"], "projectId": str(world.outreach_project.id),
            "entryDate": "2025-02-01"}  # fmt: skip
    assert (await call(world, "outreach", ENROLL, {"input": stay}))["errors"] == []
    assert (await refuse(world, "outreach", "Ada"))["errors"] == []
    assert (await revoke(world, "outreach", "Ada"))["errors"] == []
    for who in ("outreach", "housing"):
        seen = await call(world, who, VIEW, {"id": world.ids["Ada"]})
        assert seen["identity"]["lastName"] == "Ada"
    # The shelter's own refusal is the shelter's to revoke; then Ada is shared again.
    assert (await revoke(world, "shelter", "Ada"))["errors"] == []
    assert (await call(world, "housing", VIEW, {"id": world.ids["Ada"]}))["identity"] == {
        "lastName": "Byron"
    }


async def test_editing_a_shared_profile_does_not_make_an_organization_the_clients(world):
    await call(world, "housing", UPDATE, {"id": world.ids["Dan"], "name": "Danson"})
    assert codes(await refuse(world, "housing", "Dan")) == [(["input", "clientId"], "NOT_SERVED")]
