"""mergeClients and unmergeClients over GraphQL with real tokens (docs/merging-duplicates.md):
who may, what moves, what each organization sees after a merge of a refused and an unrefused
record, and that an unmerge restores every table."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from hmis.db import history, merges, models

from . import factories as f
from . import people
from .support import gql

MERGE = """mutation($input: MergeClientsInput!) { mergeClients(input: $input) {
  merge { id survivorId mergedId reason mergedBy moved { table count } }
  survivor { id identity { lastName } enrollments { totalCount } }
  errors { field code message } } }"""
UNMERGE = """mutation($input: UnmergeClientsInput!) { unmergeClients(input: $input) {
  merge { id unmergedBy unmergeReason }
  survivor { id enrollments { totalCount } } restored { id enrollments { totalCount } }
  errors { field code message } } }"""
VIEW = """query($id: ID!) { client(id: $id) {
  identity { firstName lastName ssn dob }
  enrollments { totalCount edges { node { entryDate exitDate project { name } } } }
  caseManager { firstName }
} }"""
MINE = "{ myRecord { client { id identity { lastName } } } }"
MERGES = """query($id: ID!) { clientMerges(clientId: $id) {
  id survivorId mergedId reason mergedBy unmergedAt } }"""
# Tables whose rows a merge leaves alone or only adds to: its own record, the access log,
# and the clocks.
BOOKKEEPING = {"client_merges", "audit_events", "audit_links", "audit_pending", "audit_chain",
               "write_clock"}  # fmt: skip


@pytest.fixture
async def dupes(sessions, api, token):
    """Ada entered twice: by the shelter (everything recorded) and by outreach (an SSN with
    two digits swapped, its own stay, manager, contact and note, a login and a research
    consent). The shelter's Ada refuses sharing at R1; both organizations keep writing."""
    world = await people.coc(sessions)
    world.api, world.token = api, token
    shelter, outreach = world.writer(world.shelter), world.writer(world.outreach)
    a = await people.fully_recorded_client(sessions, world, first_name="Ada",
                                           last_name="Lovelace")  # fmt: skip
    async with sessions() as s, s.begin():
        b = await f.client(s, outreach, first_name="Ada", last_name="Lovelace",
                           ssn="123456798", ssn_data_quality=1, dob=date(1990, 1, 1),
                           dob_data_quality=1)  # fmt: skip
        b_old = await f.enroll(s, outreach, b, world.outreach_project, date(2024, 3, 1))
        worker = await f.staff(s, world.outreach, "Olga", "Outreach")
        await f.assign(s, outreach, b, worker)
        await history.create(s, outreach, models.Contact, client_id=b.id, phone="6305550111")
        await history.create(s, outreach, models.CaseNote, client_id=b.id,
                             note_date=date(2024, 3, 2), text="Met at the library.")  # fmt: skip
        now = datetime.now(UTC)
        s.add(models.ClientLogin(client_id=b.id, subject="b-login", created_by="admin",
                                 created_at=now))  # fmt: skip
        s.add(models.ResearchConsent(client_id=b.id, recorded_by="admin", recorded_at=now))
        s.add(
            models.Disclosure(
                client_id=b.id,
                recipient="Coroner",
                recipient_type="CORONER_OR_MEDICAL_EXAMINER",
                legal_basis="law",
                groups=["IDENTITY"],
                recorded_by="admin",
                recorded_at=now,
            )
        )
        s.add(models.CorrectionRequest(client_id=b.id, field="last_name", requested_value="L",
                                       status="PENDING", requested_by="b-login",
                                       requested_at=now))  # fmt: skip
        s.add(models.Complaint(client_id=b.id, filed_by="b-login", text="Too many calls.",
                               status="RECEIVED", filed_at=now, updated_at=now))  # fmt: skip
    world.people.update(a=a, b=b, b_old=b_old)
    world.people["before_refusal"] = {k: await view(world, p, "housing")
                                      for k, p in (("a", a), ("b", b))}  # fmt: skip
    world.people["R1"] = await people.refuse(sessions, world, a)
    # After R1: the shelter enrolls Ada again, outreach enrolls its Ada again and exits her
    # old stay, and outreach renames its Ada.
    async with sessions() as s, s.begin():
        await f.enroll(s, shelter, a, world.shelter_project, date(2025, 7, 1))
    async with sessions() as s, s.begin():
        await f.enroll(s, outreach, b, world.outreach_project, date(2025, 8, 1))
        await f.exit(s, outreach, await s.get(models.Enrollment, b_old.id), date(2025, 6, 1))
    await people.update(sessions, outreach, models.Client, b.id, last_name="Byron")
    await people.update(sessions, outreach, models.Enrollment, b_old.id, household_id="HH-9")
    return world


async def ask(world, query, variables, role="hmis_admin", org=None, sub=None):
    org_id = getattr(world, org).id if org else None
    status, body = await gql(
        world.api, query, variables, token=world.token(role, org=org_id, sub=sub or f"{role}-{org}")
    )
    assert status == 200, body
    return body


async def view(world, person, org, role="agency_staff"):
    body = await ask(world, VIEW, {"id": str(person.id)}, role, org)
    assert "errors" not in body, body
    return body["data"]["client"]


async def merge(world, survivor, merged, reason="same person: SSN typo"):
    body = await ask(
        world,
        MERGE,
        {"input": {"survivorId": str(survivor.id), "mergedId": str(merged.id), "reason": reason}},
    )
    assert "errors" not in body, body
    return body["data"]["mergeClients"]


def facts(client) -> set[tuple]:
    """What a view shows, as comparable facts."""
    if client is None:
        return set()
    found = {("identity", *sorted(client["identity"].items()))} if client["identity"] else set()
    found |= {("stay", e["node"]["entryDate"], e["node"]["exitDate"], e["node"]["project"]["name"])
              for e in client["enrollments"]["edges"]}  # fmt: skip
    if client["caseManager"]:
        found.add(("manager", client["caseManager"]["firstName"]))
    return found


def stays(client) -> set[tuple]:
    return {f for f in facts(client) if f[0] == "stay"}


async def snapshot(sessions) -> dict[str, list]:
    """Every row of every table but the bookkeeping ones."""
    tables = [t for t in models.Base.metadata.sorted_tables if t.name not in BOOKKEEPING]
    async with sessions() as s:
        return {t.name: sorted(tuple(map(repr, r)) for r in (await s.execute(select(t))).all())
                for t in tables}  # fmt: skip


@pytest.mark.parametrize("role", ["agency_staff", "auditor", "researcher", "client"])
async def test_only_administrators_merge_and_unmerge(dupes, role):
    a, b = dupes.people["a"], dupes.people["b"]
    body = await ask(dupes, MERGE, {"input": {"survivorId": str(a.id), "mergedId": str(b.id),
                                              "reason": "x"}}, role, "shelter")  # fmt: skip
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await ask(dupes, UNMERGE, {"input": {"mergeId": str(a.id), "reason": "x"}}, role,
                     "shelter")  # fmt: skip
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await ask(dupes, MERGES, {"id": str(a.id)}, role, "shelter")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_merge_moves_every_record_and_is_audited(dupes, sessions):
    a, b = dupes.people["a"], dupes.people["b"]
    done = await merge(dupes, a, b)
    assert done["errors"] == []
    assert done["merge"]["survivorId"] == str(a.id) and done["merge"]["mergedId"] == str(b.id)
    assert done["merge"]["mergedBy"] == "hmis_admin-None"
    # The admin sees both stays of each: four.
    assert done["survivor"]["enrollments"]["totalCount"] == 4
    moved = {m["table"]: m["count"] for m in done["merge"]["moved"]}
    assert moved["enrollments"] == 2 and moved["client_logins"] == 1
    async with sessions() as s:
        for model in (models.Enrollment, models.Exit, models.CaseManagerAssignment,
                      models.Contact, models.CaseNote, models.ClientLogin,
                      models.ResearchConsent, models.Disclosure, models.CorrectionRequest,
                      models.Complaint):  # fmt: skip
            left = await s.scalars(select(model.id).where(model.client_id == b.id))
            assert list(left) == [], model.__tablename__
            assert moved[model.__tablename__] >= 1
        # History of both kept: the moved records' versions follow them; B's profile keeps
        # its own (create and rename), and its row stays, deleted as of the merge.
        v = models.RecordVersion
        kept = (await s.execute(select(v.entity, v.kind).where(v.client_id == b.id))).all()
        assert sorted(kept) == [("clients", "create"), ("clients", "update")]
        b_row = await s.get(models.Client, b.id)
        assert b_row.last_name == "Byron" and b_row.date_deleted is not None
        events = (await s.execute(
            select(models.AuditEvent).where(models.AuditEvent.action == "merge")
        )).scalars().all()  # fmt: skip
        record = (await s.execute(select(models.ClientMerge))).scalar_one()
    # One request's events, one per client, naming who; the merge row names both and why.
    assert {e.client_id for e in events} == {a.id, b.id}
    assert len({e.request_id for e in events}) == 1
    assert {e.actor_subject for e in events} == {"hmis_admin-None"}
    assert (record.survivor_id, record.merged_id, record.reason) == (
        a.id, b.id, "same person: SSN typo")  # fmt: skip
    # Administrators find the merge from either client, to undo it.
    for client in (a, b):
        body = await ask(dupes, MERGES, {"id": str(client.id)})
        assert body["data"]["clientMerges"] == [
            {"id": done["merge"]["id"], "survivorId": str(a.id), "mergedId": str(b.id),
             "reason": "same person: SSN typo", "mergedBy": "hmis_admin-None", "unmergedAt": None}
        ]  # fmt: skip


async def test_merged_away_id_finds_nobody_and_its_login_sees_the_survivor(dupes):
    a, b = dupes.people["a"], dupes.people["b"]
    await merge(dupes, a, b)
    for role, org in (("hmis_admin", None), ("agency_staff", "outreach")):
        body = await ask(dupes, VIEW, {"id": str(b.id)}, role, org)
        assert body["data"]["client"] is None
    body = await ask(dupes, MINE, {}, "client", sub="b-login")
    assert body["data"]["myRecord"]["client"] == {"id": str(a.id),
                                                  "identity": {"lastName": "Lovelace"}}  # fmt: skip


@pytest.mark.parametrize("survivor", ["a", "b"])
async def test_a_third_organization_never_sees_more_after_the_merge(dupes, survivor):
    """Housing saw A frozen at R1 and B current. After the merge (whichever survives) the one
    record is frozen at R1: what it shows was shown before, and nothing made after R1 by
    others (neither organization's later stay, the exit, the rename) appears."""
    a, b = dupes.people["a"], dupes.people["b"]
    before = set()
    for views in (
        dupes.people["before_refusal"],
        {"a": await view(dupes, a, "housing"), "b": await view(dupes, b, "housing")},
    ):
        for seen in views.values():
            before |= facts(seen)
    kept, gone = (a, b) if survivor == "a" else (b, a)
    await merge(dupes, kept, gone)
    after = await view(dupes, kept, "housing")
    assert facts(after) <= before
    assert stays(after) == {("stay", "2024-01-05", None, "Night Shelter"),
                            ("stay", "2024-03-01", None, "Street Outreach")}  # fmt: skip
    assert after["identity"]["lastName"] == "Lovelace"
    assert after["enrollments"]["totalCount"] == 2


async def test_the_owning_organizations_see_their_own_current_and_the_other_as_of_r1(dupes):
    a, b = dupes.people["a"], dupes.people["b"]
    await merge(dupes, a, b)
    shelter = await view(dupes, a, "shelter")
    # Its own later stay; outreach's stay as it stood at R1 (no exit), not outreach's later one.
    assert stays(shelter) == {("stay", "2024-01-05", None, "Night Shelter"),
                              ("stay", "2025-07-01", None, "Night Shelter"),
                              ("stay", "2024-03-01", None, "Street Outreach")}  # fmt: skip
    outreach = await view(dupes, a, "outreach")
    # Everything outreach entered, current; the shelter's stay of before R1 only.
    assert stays(outreach) == {("stay", "2024-01-05", None, "Night Shelter"),
                               ("stay", "2024-03-01", "2025-06-01", "Street Outreach"),
                               ("stay", "2025-08-01", None, "Street Outreach")}  # fmt: skip
    admin = await view(dupes, a, None, "hmis_admin")
    assert admin["enrollments"]["totalCount"] == 4


@pytest.mark.parametrize("survivor", ["a", "b"])
async def test_unmerge_restores_every_table_exactly(dupes, sessions, survivor):
    a, b = dupes.people["a"], dupes.people["b"]
    if survivor == "b":  # the refused, fully recorded client merged away, and back
        a, b = b, a
    before = await snapshot(sessions)
    partner_before = await view(dupes, b, "housing")
    done = await merge(dupes, a, b)
    assert await snapshot(sessions) != before
    body = await ask(dupes, UNMERGE, {"input": {"mergeId": done["merge"]["id"],
                                                "reason": "two sisters"}})  # fmt: skip
    undone = body["data"]["unmergeClients"]
    assert undone["errors"] == []
    assert undone["merge"]["unmergeReason"] == "two sisters"
    assert undone["survivor"]["enrollments"]["totalCount"] == 2
    assert undone["restored"] == {"id": str(b.id), "enrollments": {"totalCount": 2}}
    assert await snapshot(sessions) == before
    assert await view(dupes, b, "housing") == partner_before
    body = await ask(dupes, MINE, {}, "client", sub="b-login")
    assert body["data"]["myRecord"]["client"]["id"] == str(dupes.people["b"].id)
    async with sessions() as s:
        actions = set(await s.scalars(select(models.AuditEvent.action)))
    assert {"merge", "unmerge"} <= actions
    # Undone once: a second time is refused.
    body = await ask(dupes, UNMERGE, {"input": {"mergeId": done["merge"]["id"], "reason": "x"}})
    assert [e["code"] for e in body["data"]["unmergeClients"]["errors"]] == ["ALREADY_UNMERGED"]


async def test_records_attached_after_the_merge_go_back_with_their_enrollment(dupes, sessions):
    a, b = dupes.people["a"], dupes.people["b"]
    done = await merge(dupes, a, b)
    outreach = dupes.writer(dupes.outreach)
    async with sessions() as s, s.begin():
        later = await s.scalar(
            select(models.Enrollment).where(
                models.Enrollment.client_id == a.id,
                models.Enrollment.entry_date == date(2025, 8, 1),
            )
        )
        await f.exit(s, outreach, later, date(2025, 9, 1))
        await f.enroll(s, outreach, a, dupes.outreach_project, date(2025, 10, 1))
    await ask(dupes, UNMERGE, {"input": {"mergeId": done["merge"]["id"], "reason": "no"}})
    async with sessions() as s:
        exits = (await s.execute(select(models.Exit.client_id, models.Exit.exit_date))).all()
        assert (b.id, date(2025, 9, 1)) in exits
        v = models.RecordVersion
        assert (
            await s.scalar(
                select(v.client_id).where(
                    v.entity == "exits",
                    v.record_id.in_(
                        select(models.Exit.id).where(models.Exit.exit_date == date(2025, 9, 1))
                    ),
                )
            )
            == b.id
        )
        # A stay made on the survivor after the merge stays with the survivor.
        newest = await s.scalar(select(models.Enrollment.client_id).where(
            models.Enrollment.entry_date == date(2025, 10, 1)))  # fmt: skip
        assert newest == a.id


async def test_bad_merges_are_refused_clearly_and_write_nothing(dupes, sessions):
    a, b = dupes.people["a"], dupes.people["b"]
    before = await snapshot(sessions)

    async def refused(survivor_id, merged_id, reason="dup"):
        body = await ask(
            dupes,
            MERGE,
            {"input": {"survivorId": survivor_id, "mergedId": merged_id, "reason": reason}},
        )
        payload = body["data"]["mergeClients"]
        assert payload["merge"] is None
        return [(e["field"][-1], e["code"]) for e in payload["errors"]]

    assert await refused(str(a.id), str(a.id)) == [("mergedId", "SAME_CLIENT")]
    unknown = "00000000-0000-4000-8000-000000000000"
    assert await refused(str(a.id), unknown) == [("mergedId", "NOT_FOUND")]
    assert await refused(unknown, str(b.id)) == [("survivorId", "NOT_FOUND")]
    assert await refused("nope", str(b.id)) == [("survivorId", "INVALID_ID")]
    assert await refused(str(a.id), str(b.id), reason="  ") == [("reason", "REQUIRED")]
    assert await snapshot(sessions) == before
    await merge(dupes, a, b)
    assert await refused(str(a.id), str(b.id)) == [("mergedId", "ALREADY_MERGED")]
    assert await refused(str(b.id), str(a.id)) == [("survivorId", "ALREADY_MERGED")]
    body = await ask(dupes, UNMERGE, {"input": {"mergeId": unknown, "reason": "x"}})
    assert [e["code"] for e in body["data"]["unmergeClients"]["errors"]] == ["NOT_FOUND"]


SEARCH = """query($last: String) { searchClients(input: {lastName: $last}) {
  client { id } matchedOn } }"""


async def test_a_partner_cannot_find_the_merged_client_by_what_changed_after_r1(dupes):
    """Before the merge housing found B as "Byron" (B's rename after R1, shared then); once
    B is known to be A, who refused at R1, the rename is post-refusal data: no match."""
    a, b = dupes.people["a"], dupes.people["b"]
    body = await ask(dupes, SEARCH, {"last": "Byron"}, "agency_staff", "housing")
    assert [m["client"]["id"] for m in body["data"]["searchClients"]] == [str(b.id)]
    await merge(dupes, a, b)
    body = await ask(dupes, SEARCH, {"last": "Byron"}, "agency_staff", "housing")
    assert body["data"]["searchClients"] == []
    body = await ask(dupes, SEARCH, {"last": "Lovelace"}, "agency_staff", "housing")
    assert [m["client"]["id"] for m in body["data"]["searchClients"]] == [str(a.id)]


async def test_records_read_as_of_r1_name_the_survivor(dupes, sessions):
    """A moved record changed after R1 is read back from its versions for partners: the
    client it names is the survivor, never the merged-away ID its first version recorded."""
    a, b = dupes.people["a"], dupes.people["b"]
    await merge(dupes, a, b)
    async with sessions() as s:
        states = await history.as_of(s, cutoffs={a.id: dupes.people["R1"]},
                                     organizations=[dupes.housing.id])  # fmt: skip
    moved = states[("enrollments", dupes.people["b_old"].id)]
    assert moved.values["client_id"] == a.id and moved.values.get("household_id") is None
    assert {st.values.get("client_id") for st in states.values()
            if st.entity != "clients"} == {a.id}  # fmt: skip


async def test_the_refused_fully_recorded_client_merged_away_leaves_nothing_behind(dupes, sessions):
    """A (refused, a record in every group) merged into B: every table moves, the refusal
    too, so B is now frozen at R1 for partners."""
    a, b = dupes.people["a"], dupes.people["b"]
    done = await merge(dupes, b, a)
    moved = {m["table"]: m["count"] for m in done["merge"]["moved"]}
    for table in ("enrollments", "case_manager_assignments", "contacts", "health_records",
                  "income_benefits", "domestic_violence", "case_notes", "sharing_refusals",
                  "refusal_coverage", "record_versions"):  # fmt: skip
        assert moved.get(table), table
    async with sessions() as s:
        for model in merges.MOVED_MODELS:
            left = await s.scalars(select(model.id).where(model.client_id == a.id))
            assert list(left) == [], model.__tablename__
    housing = await view(dupes, b, "housing")
    assert housing["identity"]["lastName"] == "Lovelace"  # B's rename after R1 hidden now


async def test_two_current_case_managers_of_one_organization_refuse_the_merge(dupes, sessions):
    """One current assignment per client and organization (a unique index): when both
    records have one at the same organization the merge says so, names the fix, and writes
    nothing; once one of them is ended the merge goes through."""
    a, b = dupes.people["a"], dupes.people["b"]
    async with sessions() as s, s.begin():
        worker = await f.staff(s, dupes.outreach, "Oona", "Outreach")
        await f.assign(s, dupes.writer(dupes.outreach), a, worker)
    before = await snapshot(sessions)
    body = await ask(dupes, MERGE, {"input": {"survivorId": str(a.id), "mergedId": str(b.id),
                                              "reason": "dup"}})  # fmt: skip
    payload = body["data"]["mergeClients"]
    assert payload["merge"] is None
    [error] = payload["errors"]
    assert (error["field"][-1], error["code"]) == ("mergedId", "CURRENT_ASSIGNMENTS")
    assert "endCaseManagerAssignment" in error["message"]
    assert await snapshot(sessions) == before
    async with sessions() as s, s.begin():
        current = await s.scalar(select(models.CaseManagerAssignment).where(
            models.CaseManagerAssignment.client_id == b.id,
            models.CaseManagerAssignment.end_date.is_(None)))  # fmt: skip
        current.end_date = date(2025, 1, 1)
    await merge(dupes, a, b)
