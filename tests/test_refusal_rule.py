"""The refusal rule at its edges, through GraphQL over HTTP (POLICY.md, The refusal rule)."""

from __future__ import annotations

from datetime import date

import pytest

from hmis.db import as_of, history, merges, models

from . import factories as f
from . import people
from .support import gql

VIEW = """
query($id: ID!) { client(id: $id) {
  identity { firstName lastName ssn dob }
  enrollments { totalCount edges { node { entryDate exitDate destination project { name } } } }
  caseManager { firstName }
  access { group visible basis }
} }
"""


@pytest.fixture
async def refused(sessions, api, token):
    """Ada, entered by the shelter, refuses sharing for herself and Ben (not Cara); then the
    shelter, the outreach partner and others keep writing."""
    world = await people.coc(sessions)
    world.api, world.token = api, token
    shelter = world.writer(world.shelter)
    outreach = world.writer(world.outreach)
    async with sessions() as s, s.begin():
        ada = await f.client(s, shelter, first_name="Ada", last_name="Lovelace",
                             dob=date(1990, 1, 1), dob_data_quality=1)  # fmt: skip
        ben = await f.client(s, shelter, first_name="Ben", last_name="Lovelace")
        cara = await f.client(s, shelter, first_name="Cara", last_name="Lovelace")
        old = await f.enroll(s, shelter, ada, world.shelter_project, date(2024, 1, 5))
        await f.assign(s, shelter, ada, world.manager)
    access_before = await view(world, ada, "outreach")
    world.people.update(ada=ada, ben=ben, cara=cara, old=old, access_before=access_before)

    world.people["R"] = await people.refuse(sessions, world, ada, members=[ben])

    # After R: the shelter renames, adds an SSN, moves the DOB, exits the old stay, enrolls
    # again and assigns a new manager; the partner edits one field and enrolls Ada itself.
    await people.update(sessions, shelter, models.Client, ada.id, last_name="Byron",
                        ssn="987654321", ssn_data_quality=1, dob=date(1991, 2, 2))  # fmt: skip
    await people.update(sessions, outreach, models.Client, ada.id, first_name="Augusta")
    await people.update(sessions, shelter, models.Client, ben.id, last_name="Byron")
    await people.update(sessions, shelter, models.Client, cara.id, last_name="Byron")
    async with sessions() as s, s.begin():
        await f.exit(s, shelter, old, date(2025, 6, 1))
        await f.enroll(s, shelter, ada, world.shelter_project, date(2025, 7, 1))
        await f.enroll(s, outreach, ada, world.outreach_project, date(2025, 8, 1))
        newer = await f.staff(s, world.shelter, "Nina", "Newer")
        await f.assign(s, shelter, ada, newer, start=date(2025, 9, 1))
    return world


async def view(world, person, org: str | None, role="agency_staff"):
    """The client as seen by staff of `org` (or another role), via the real API."""
    return (await ask(world, person, org, role))["data"]["client"]


async def ask(world, person, org, role="agency_staff", query=VIEW):
    org_id = getattr(world, org).id if org else None
    status, body = await gql(world.api, query, {"id": str(person.id)},
                             token=world.token(role, org=org_id, sub=f"{role}-{org}"))  # fmt: skip
    assert status == 200 and "errors" not in body, body
    return body


def names(client):
    return client["identity"]["firstName"], client["identity"]["lastName"]


def stays(client):
    return sorted(
        (e["node"]["entryDate"], e["node"]["exitDate"], e["node"]["project"]["name"])
        for e in client["enrollments"]["edges"]
    )


async def test_partner_sees_identity_as_of_the_refusal_plus_its_own_edit(refused):
    ada = await view(refused, refused.people["ada"], "outreach")
    # Its own later edit (first name) shows; the shelter's later rename does not.
    assert names(ada) == ("Augusta", "Lovelace")
    assert ada["identity"]["ssn"] is None  # entered after the refusal
    assert ada["identity"]["dob"] == "1990-01-01"


async def test_partner_sees_only_stays_of_then_and_its_own(refused):
    ada = await view(refused, refused.people["ada"], "outreach")
    # The old stay without the later exit, the partner's own later stay; the shelter's
    # later stay is absent and not counted.
    assert stays(ada) == [("2024-01-05", None, "Night Shelter"),
                          ("2025-08-01", None, "Street Outreach")]  # fmt: skip
    assert ada["enrollments"]["totalCount"] == 2
    assert ada["caseManager"]["firstName"] == "Mona"


async def test_nothing_signals_the_refusal(refused):
    ada = await view(refused, refused.people["ada"], "outreach")
    assert ada["access"] == refused.people["access_before"]["access"]


async def test_a_third_organization_sees_the_frozen_record_without_the_partners_edits(refused):
    ada = await view(refused, refused.people["ada"], "housing")
    assert names(ada) == ("Ada", "Lovelace")
    assert stays(ada) == [("2024-01-05", None, "Night Shelter")]


@pytest.mark.parametrize("role", ["hmis_admin", "auditor"])
async def test_admins_and_auditors_see_current_data(refused, role):
    ada = await view(refused, refused.people["ada"], None, role)
    assert names(ada) == ("Augusta", "Byron")
    assert ada["identity"]["ssn"] == "987654321"
    assert ada["enrollments"]["totalCount"] == 3
    assert ("2024-01-05", "2025-06-01", "Night Shelter") in stays(ada)
    assert ada["caseManager"]["firstName"] == "Nina"


async def test_the_entering_org_sees_its_own_data_current(refused):
    """Everything the shelter entered shows as it is now, whenever entered; the partner's
    later edit and stay are another organization's data after the refusal, so they do not."""
    ada = await view(refused, refused.people["ada"], "shelter")
    assert names(ada) == ("Ada", "Byron")
    assert ada["identity"]["ssn"] == "987654321"
    assert stays(ada) == [("2024-01-05", "2025-06-01", "Night Shelter"),
                          ("2025-07-01", None, "Night Shelter")]  # fmt: skip
    assert ada["caseManager"]["firstName"] == "Nina"


async def test_household_member_named_on_the_refusal_is_covered_and_others_are_not(refused):
    ben = await view(refused, refused.people["ben"], "outreach")
    cara = await view(refused, refused.people["cara"], "outreach")
    assert names(ben) == ("Ben", "Lovelace")
    assert names(cara) == ("Cara", "Byron")


async def test_revocation_is_renewed_consent_for_that_client_only(refused, sessions):
    await people.revoke(sessions, refused, refused.people["ada"])
    ada = await view(refused, refused.people["ada"], "outreach")
    assert names(ada) == ("Augusta", "Byron")
    assert ada["enrollments"]["totalCount"] == 3
    ben = await view(refused, refused.people["ben"], "outreach")
    assert names(ben) == ("Ben", "Lovelace")  # still covered until revoked for him


async def test_a_correction_after_the_refusal_reaches_partners(refused, sessions):
    async with sessions() as s, s.begin():
        row = await s.get(models.Client, refused.people["ada"].id)
        await history.update(s, refused.writer(refused.shelter), row, {"dob": date(1990, 1, 2)},
                             kind=history.CORRECT)  # fmt: skip
    ada = await view(refused, refused.people["ada"], "outreach")
    assert ada["identity"]["dob"] == "1990-01-02"
    assert names(ada) == ("Augusta", "Lovelace")


async def test_a_record_deleted_after_the_refusal_disappears_for_partners(refused, sessions):
    async with sessions() as s, s.begin():
        old = await s.get(models.Enrollment, refused.people["old"].id)
        await history.delete(s, refused.writer(refused.shelter), old)
    ada = await view(refused, refused.people["ada"], "outreach")
    assert stays(ada) == [("2025-08-01", None, "Street Outreach")]


async def test_earliest_of_several_refusals_wins(refused, sessions):
    """Ben is covered by Ada's refusal (R) and later by his own: frozen at R."""
    await people.update(sessions, refused.writer(refused.shelter), models.Client,
                        refused.people["ben"].id, first_name="Benjamin")  # fmt: skip
    await people.refuse(sessions, refused, refused.people["ben"])
    ben = await view(refused, refused.people["ben"], "outreach")
    assert names(ben) == ("Ben", "Lovelace")


PAGE = """{ clients(first: 50) { edges { node { id identity { lastName }
  enrollments { edges { node { entryDate } } } } } } }"""


# SQLite compares each client's cutoff for a page's worth of clients, and loads from the
# earliest cutoff beyond (`hmis.db.as_of.CASE_CLIENTS`): both ways read the same.
EARLIEST_OR_EACH = pytest.mark.parametrize("case_clients", [as_of.CASE_CLIENTS, 0])


@EARLIEST_OR_EACH
async def test_a_page_reads_each_client_as_of_its_own_refusal(
    refused, sessions, monkeypatch, case_clients
):
    """One page, two refusal times: Ada refused at R, Dora later at R2. A record of Dora's
    written between R and R2 stood at her refusal (shown as it is now); one written after R2
    is read as of R2; Ada's as of R (the page loads versions per client's cutoff)."""
    monkeypatch.setattr(as_of, "CASE_CLIENTS", case_clients)
    shelter = refused.writer(refused.shelter)
    async with sessions() as s, s.begin():
        dora = await f.client(s, shelter, first_name="Dora", last_name="Before")
    await people.update(sessions, shelter, models.Client, dora.id, last_name="Between")
    async with sessions() as s, s.begin():
        await f.enroll(s, shelter, dora, refused.shelter_project, date(2025, 10, 1))
    await people.refuse(sessions, refused, dora)  # R2, after everything written since R
    await people.update(sessions, shelter, models.Client, dora.id, last_name="After")
    async with sessions() as s, s.begin():
        await f.enroll(s, shelter, dora, refused.shelter_project, date(2026, 1, 2))
    partner = refused.token("agency_staff", org=refused.outreach.id)
    _, body = await gql(refused.api, PAGE, token=partner)
    seen = {
        edge["node"]["id"]: (
            edge["node"]["identity"]["lastName"],
            sorted(e["node"]["entryDate"] for e in edge["node"]["enrollments"]["edges"]),
        )
        for edge in body["data"]["clients"]["edges"]
    }
    assert seen[str(dora.id)] == ("Between", ["2025-10-01"])
    # Ada: the name of R; the stay of then and the partner's own, not the shelter's of 2025.
    assert seen[str(refused.people["ada"].id)] == ("Lovelace", ["2024-01-05", "2025-08-01"])


@EARLIEST_OR_EACH
async def test_records_merged_between_clients_of_two_refusal_times_follow_the_survivor(
    refused, sessions, monkeypatch, case_clients
):
    """One page, two refusal times (Ada at R, Dora at R2), and two unrefused duplicates
    whose stays were written between R and R2, one merged into each: the stay merged into
    Dora stood at her refusal (shown), the one merged into Ada was made after hers (hidden),
    and a stay written after R2 is hidden under both. The versions follow the records to the
    survivor, whose cutoff is not the one the record was written under."""
    monkeypatch.setattr(as_of, "CASE_CLIENTS", case_clients)
    shelter = refused.writer(refused.shelter)
    admin = history.Writer(subject="admin", organization_id=None)
    async with sessions() as s, s.begin():
        dora = await f.client(s, shelter, first_name="Dora", last_name="Before")
        eve = await f.client(s, shelter, first_name="Dora", last_name="Dup")
        fay = await f.client(s, shelter, first_name="Ada", last_name="Dup")
    async with sessions() as s, s.begin():
        await f.enroll(s, shelter, eve, refused.shelter_project, date(2025, 10, 1))
    async with sessions() as s, s.begin():
        await f.enroll(s, shelter, fay, refused.shelter_project, date(2025, 10, 2))
    await people.refuse(sessions, refused, dora)  # R2
    async with sessions() as s, s.begin():
        await f.enroll(s, shelter, eve, refused.shelter_project, date(2026, 1, 3))
    async with sessions() as s, s.begin():
        await f.enroll(s, shelter, fay, refused.shelter_project, date(2026, 1, 4))
    async with sessions() as s, s.begin():
        await merges.merge(s, admin, survivor_id=dora.id, merged_id=eve.id, reason="dup")
    async with sessions() as s, s.begin():
        await merges.merge(s, admin, survivor_id=refused.people["ada"].id, merged_id=fay.id,
                           reason="dup")  # fmt: skip
    partner = refused.token("agency_staff", org=refused.outreach.id)
    _, body = await gql(refused.api, PAGE, token=partner)
    seen = {
        edge["node"]["id"]: sorted(
            e["node"]["entryDate"] for e in edge["node"]["enrollments"]["edges"]
        )
        for edge in body["data"]["clients"]["edges"]
    }
    assert seen[str(dora.id)] == ["2025-10-01"]
    assert seen[str(refused.people["ada"].id)] == ["2024-01-05", "2025-08-01"]
    # One client alone reads the same.
    for person in (dora, refused.people["ada"]):
        alone = (await ask(refused, person, "outreach"))["data"]["client"]
        entries = sorted(e["node"]["entryDate"] for e in alone["enrollments"]["edges"])
        assert entries == seen[str(person.id)]


LIST = """query($filter: ClientFilter) { clients(filter: $filter) { totalCount
  edges { node { id identity { lastName } } } } }"""


async def test_lists_and_filters_count_only_what_the_partner_sees(refused):
    status, body = await gql(
        refused.api, LIST, {"filter": {"projectId": str(refused.shelter_project.id)}},
        token=refused.token("agency_staff", org=refused.outreach.id),
    )  # fmt: skip
    assert body["data"]["clients"]["totalCount"] == 1  # Ada, through the stay of then
    _, body = await gql(
        refused.api, LIST, {"filter": {"projectId": str(refused.outreach_project.id)}},
        token=refused.token("agency_staff", org=refused.housing.id),
    )  # fmt: skip
    # Ada's outreach stay began after the refusal: the housing org must not find her by it.
    assert body["data"]["clients"]["totalCount"] == 0
    _, body = await gql(
        refused.api, LIST, {"filter": {"projectId": str(refused.outreach_project.id)}},
        token=refused.token("hmis_admin"),
    )  # fmt: skip
    assert body["data"]["clients"]["totalCount"] == 1


SEARCH = """query($input: ClientSearchInput!) { searchClients(input: $input) {
  client { id identity { lastName } } matchedOn } }"""


@pytest.mark.parametrize(
    ("terms", "partner_finds"),
    [
        ({"lastName": "Byron"}, False),  # the rename after the refusal
        ({"lastName": "Lovelace"}, True),  # the name partners see
        ({"ssnLast4": "4321"}, False),  # SSN entered after the refusal
        ({"dob": "1991-02-02"}, False),  # DOB moved after the refusal
        ({"dob": "1990-01-01"}, True),
    ],
)
async def test_search_cannot_confirm_hidden_values(refused, terms, partner_finds):
    ada = str(refused.people["ada"].id)

    async def finds(role, org):
        _, body = await gql(refused.api, SEARCH, {"input": terms},
                            token=refused.token(role, org=org))  # fmt: skip
        assert "errors" not in body, body
        return ada in [m["client"]["id"] for m in body["data"]["searchClients"]]

    assert await finds("agency_staff", refused.outreach.id) is partner_finds
    assert await finds("agency_staff", refused.housing.id) is partner_finds
    # The admin searches current values: the post-refusal values are found there.
    current = (
        "Byron" in terms.get("lastName", "")
        or "ssnLast4" in terms
        or terms.get("dob") == "1991-02-02"
    )
    if current:
        assert await finds("hmis_admin", None)


async def test_a_correction_never_reveals_a_field_first_filled_after_the_refusal(refused, sessions):
    """Ada had no SSN at the refusal; the shelter added one later, then corrected it: the
    correction concerns a value partners never had, so it stays hidden from them."""
    async with sessions() as s, s.begin():
        row = await s.get(models.Client, refused.people["ada"].id)
        await history.update(s, refused.writer(refused.shelter), row, {"ssn": "987654320"},
                             kind=history.CORRECT)  # fmt: skip
    ada = await view(refused, refused.people["ada"], "outreach")
    assert ada["identity"]["ssn"] is None
    admin = await view(refused, refused.people["ada"], None, "hmis_admin")
    assert admin["identity"]["ssn"] == "987654320"
