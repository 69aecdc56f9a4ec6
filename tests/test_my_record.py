"""A signed-in client inspects their own record (POLICY.md, Rights)."""

from __future__ import annotations

from datetime import UTC, datetime

from hmis.db import models

from . import people
from .support import gql

MINE = """{ myRecord {
  client { id identity { lastName } contact { phone } caseNotes { text }
           access { group visible basis } }
  disclosures { recipient recipientType groups }
  accessHistory { organization { name } action groups }
} }"""


async def link(sessions, client, subject):
    async with sessions() as s, s.begin():
        s.add(models.ClientLogin(client_id=client.id, subject=subject, created_by="admin",
                                 created_at=datetime.now(UTC)))  # fmt: skip


async def test_client_reads_every_group_of_their_own_record_but_legal_notes(api, token, sessions):
    world = await people.coc(sessions)
    ada = await people.fully_recorded_client(sessions, world)
    await people.fully_recorded_client(sessions, world, first_name="Someone", last_name="Else")
    await link(sessions, ada, "ada-login")
    async with sessions() as s, s.begin():
        s.add(models.Disclosure(client_id=ada.id, recipient="County Coroner",
                                recipient_type="CORONER_OR_MEDICAL_EXAMINER",
                                legal_basis="statute", groups=["IDENTITY"], recorded_by="admin",
                                recorded_at=datetime.now(UTC)))  # fmt: skip
    status, body = await gql(api, MINE, token=token("client", sub="ada-login"))
    assert status == 200 and "errors" not in body, body
    mine = body["data"]["myRecord"]
    assert mine["client"]["id"] == str(ada.id)
    assert mine["client"]["identity"]["lastName"] == "Lovelace"
    assert mine["client"]["contact"]["phone"] == "6305550199"
    assert [n["text"] for n in mine["client"]["caseNotes"]] == ["Intake done."]
    assert {a["basis"] for a in mine["client"]["access"]} == {"SELF"}
    assert mine["disclosures"] == [{"recipient": "County Coroner",
                                    "recipientType": "CORONER_OR_MEDICAL_EXAMINER",
                                    "groups": ["IDENTITY"]}]  # fmt: skip


async def test_unlinked_login_has_no_record_and_other_roles_are_refused(api, token, sessions):
    _, body = await gql(api, MINE, token=token("client", sub="nobody"))
    assert body["data"] == {"myRecord": None}
    status, body = await gql(api, MINE, token=token("hmis_admin"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_my_record_decides_as_the_client_whatever_other_roles_the_token_carries(
    api, token, sessions
):
    world = await people.coc(sessions)
    ada = await people.fully_recorded_client(sessions, world)
    await link(sessions, ada, "ada-login")
    # No research agreement: the researcher role must not decide (nor be needed) here.
    for roles in (["client", "researcher"], ["client", "aggregate_reader"]):
        status, body = await gql(api, MINE, token=token(roles, sub="ada-login"))
        assert status == 200 and "errors" not in body, body
        client = body["data"]["myRecord"]["client"]
        assert client["identity"]["lastName"] == "Lovelace"
        assert client["contact"]["phone"] == "6305550199"
        assert [n["text"] for n in client["caseNotes"]] == ["Intake done."]
        assert {a["basis"] for a in client["access"]} == {"SELF"}


async def test_access_history_names_the_role_of_accesses_made_for_no_organization(
    api, token, sessions
):
    world = await people.coc(sessions)
    ada = await people.fully_recorded_client(sessions, world)
    await link(sessions, ada, "ada-login")
    read = "query R($id: ID!) { client(id: $id) { identity { lastName } } }"
    staff = token("agency_staff", org=str(world.shelter.id), sub="staff-1")
    for who in (token("hmis_admin"), token("auditor"), staff):
        status, body = await gql(api, read, {"id": str(ada.id)}, token=who)
        assert status == 200 and "errors" not in body, body
    _, body = await gql(api, "{ myRecord { accessHistory { organization { name } actingRole "
                        "action groups } } }", token=token("client", sub="ada-login"))  # fmt: skip
    views = [a for a in body["data"]["myRecord"]["accessHistory"] if a["action"] == "view"]
    # Administrator and auditor, both of no organization, the same day: two entries, not one.
    assert sorted((a["actingRole"], (a["organization"] or {}).get("name")) for a in views) == [
        ("AGENCY_STAFF", "Shelter Org"), ("AUDITOR", None), ("HMIS_ADMIN", None)]  # fmt: skip
    assert all(a["groups"] == ["IDENTITY"] for a in views)


async def test_my_record_beside_a_partners_reads_of_the_same_refused_client_in_one_request(
    api, token, sessions
):
    """A token of a client who also works as staff at a partner: `client` reads them as the
    partner (as of the refusal), `myRecord` as themselves, and a later `client` field asking
    for more tables must not fail for the as-of states `myRecord`'s decision replaced."""
    world = await people.coc(sessions)
    ada = await people.fully_recorded_client(sessions, world)
    await link(sessions, ada, "ada-login")
    await people.refuse(sessions, world, ada)
    await people.update(sessions, world.writer(world.shelter), models.Client, ada.id,
                        last_name="Byron")  # fmt: skip
    both = token(["client", "agency_staff"], org=str(world.outreach.id), sub="ada-login")
    query = """query($id: ID!) {
      a: client(id: $id) { identity { lastName } }
      myRecord { client { identity { lastName } } }
      b: client(id: $id) { identity { lastName } enrollments { edges { node { entryDate } } } }
    }"""
    status, body = await gql(api, query, {"id": str(ada.id)}, token=both)
    assert status == 200 and "errors" not in body, body
    assert body["data"]["myRecord"]["client"]["identity"]["lastName"] == "Byron"
    # Fields read as the partner before `myRecord` decided show the refusal's state; after
    # it, the record as it is: either is this caller's to see.
    assert {body["data"][k]["identity"]["lastName"] for k in "ab"} <= {"Lovelace", "Byron"}
    assert body["data"]["b"]["enrollments"]["edges"], body
    # Alone, the partner's fields of the same token read as of the refusal.
    only = "query($id: ID!) { client(id: $id) { identity { lastName } } }"
    _, body = await gql(api, only, {"id": str(ada.id)}, token=both)
    assert body["data"]["client"]["identity"]["lastName"] == "Lovelace", body
