"""What a researcher receives links nothing it should not (POLICY.md, Research;
docs/audit-logs-research.md): no stamp, user ID or row order pairs one agreement's pseudonyms
with another's, and nothing but documented research data ties a de-identified household
member to an identified, consenting one. Every call is HTTP with real tokens."""

from __future__ import annotations

import pytest

from .support import gql
from .test_export import URL, unzip
from .writes import build_world

ENTRIES = [f"2024-{month:02d}-{day:02d}" for month, day in
           ((1, 9), (2, 14), (3, 3), (4, 22), (5, 17), (6, 8), (7, 25), (8, 12))]  # fmt: skip
# Columns whose value is a record's own: the same record's under two agreements must differ.
PER_RECORD = ("PersonalID", "EnrollmentID", "ExitID", "HouseholdID")
# Data-entry metadata: carries nothing about a record once it is one value for a whole export.
STAMPS = ("DateCreated", "DateUpdated", "UserID", "ExportID")
PAGE = """query($after: String) { clients(first: 3, after: $after) {
  pageInfo { endCursor hasNextPage } edges { node { id enrollments { edges { node {
  entryDate } } } } } } }"""


@pytest.fixture
async def w(api, token):
    world = await build_world(api, token)
    for subject in ("researcher-1", "researcher-2"):
        await world.ok(world.admin, "createResearchAgreement",
                       {"subject": subject, "expiresOn": "2099-01-01"})  # fmt: skip
    world.researchers = [token("researcher", sub=s) for s in ("researcher-1", "researcher-2")]
    return world


async def research_export(w, token: str) -> dict[str, list[dict[str, str]]]:
    reply = await w.api.get(URL, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.text
    return unzip(reply.content)


async def ask(w, query: str, variables: dict, token: str) -> dict:
    status, body = await gql(w.api, query, variables, token=token)
    assert status == 200 and "errors" not in body, body
    return body


def entry_of(files) -> dict[str, str]:
    """PersonalID -> the client's one EntryDate: how the test tells the clients apart."""
    return {e["PersonalID"]: e["EntryDate"] for e in files["Enrollment.csv"]}


async def test_two_agreements_exports_cannot_be_joined_but_on_research_data(w):
    for n, entry in enumerate(ENTRIES):
        # Written by two organizations' staff: the clients' UserIDs differ.
        org = ("Shelter", "Outreach")[n % 2]
        client = await w.new_client(org, firstName=f"P{entry}", veteranStatus="NO")
        await w.ok(w.staff["Shelter"], "createEnrollment", {"clientId": client,
                   "projectId": w.projects["Shelter"], "entryDate": entry})  # fmt: skip
    first, second = [await research_export(w, t) for t in w.researchers]
    for name in ("Client.csv", "Enrollment.csv"):
        a, b = first[name], second[name]
        assert len(a) == len(b) == len(ENTRIES)
        for column in STAMPS:
            # One value for the whole file: no join on it pairs anything.
            assert len({r[column] for r in a}) == 1, (name, column, a)
            assert len({r[column] for r in b}) == 1, (name, column, b)
        for column in PER_RECORD:
            if column in a[0]:
                assert not {r[column] for r in a} & {r[column] for r in b} - {""}, column
    # The one user the stamps name is the one User.csv holds: no staff member of the HMIS.
    assert [u["UserID"] for u in first["User.csv"]] == [first["Client.csv"][0]["UserID"]]
    # Rows follow each agreement's own pseudonyms, not an order both exports share (eight
    # clients: two agreements order them alike once in 40,320 runs).
    order = [[entry_of(f)[r["PersonalID"]] for r in f["Client.csv"]] for f in (first, second)]
    assert sorted(order[0]) == sorted(order[1]) == ENTRIES
    assert order[0] != order[1]
    for files in (first, second):
        ids = [r["PersonalID"] for r in files["Client.csv"]]
        assert ids == sorted(ids)

    # The GraphQL pages too: in the order of the agreement's pseudonyms.
    pages = []
    for token in w.researchers:
        seen, after = [], None
        while True:
            body = await ask(w, PAGE, {"after": after}, token)
            found = body["data"]["clients"]
            seen += [(e["node"]["id"], e["node"]["enrollments"]["edges"][0]["node"]["entryDate"])
                     for e in found["edges"]]  # fmt: skip
            if not found["pageInfo"]["hasNextPage"]:
                break
            after = found["pageInfo"]["endCursor"]
        assert [i for i, _ in seen] == sorted(i for i, _ in seen)
        pages.append([entry for _, entry in seen])
    assert sorted(pages[0]) == ENTRIES and pages[0] != pages[1]
    assert pages == order  # the export's order is the API's


HOUSEHOLD = """query($id: ID!) { client(id: $id) { id identity { firstName }
  enrollments { edges { node { id entryDate household { householdId relationshipToHoH
  members { enrollmentId client { id identity { firstName } } } } } } } } }"""


async def test_a_de_identified_child_is_not_linked_to_the_named_parent(w):
    parent = await w.new_client(firstName="Parent", veteranStatus="NO")
    child = await w.new_client(firstName="Child", veteranStatus="NO")
    await w.ok(w.staff["Shelter"], "createHouseholdEnrollment", {
        "projectId": w.projects["Shelter"], "entryDate": "2025-01-10",
        "members": [{"clientId": parent, "relationshipToHoH": "SELF"},
                    {"clientId": child, "relationshipToHoH": "CHILD"}]}, "householdId")  # fmt: skip
    await w.ok(w.admin, "recordResearchConsent", {"clientId": parent}, "consent { id }")
    # Another client, entered another day by another organization: a column that is one
    # value for the whole file carries nothing about a record; any other must not agree.
    other = await w.new_client("Outreach", firstName="Other", veteranStatus="YES")
    await w.ok(w.staff["Outreach"], "createEnrollment", {"clientId": other,
               "projectId": w.projects["Outreach"], "entryDate": "2024-06-17"})  # fmt: skip
    researcher = w.researchers[0]

    files = await research_export(w, researcher)
    clients = files["Client.csv"]
    (named,) = [c for c in clients if c["FirstName"] == "Parent"]
    (anonymous,) = [c for c in clients if c["FirstName"] == "" and c["VeteranStatus"] == "0"]
    by_person = {e["PersonalID"]: e for e in files["Enrollment.csv"]}
    for name, rows, mine, theirs in (
        ("Client.csv", clients, anonymous, named),
        ("Enrollment.csv", files["Enrollment.csv"], by_person[anonymous["PersonalID"]],
         by_person[named["PersonalID"]]),
    ):  # fmt: skip
        constant = {c for c in rows[0] if len({r[c] for r in rows}) == 1}
        same = {c for c, v in mine.items() if v != "" and theirs[c] == v} - constant
        # What is kept on purpose (docs/audit-logs-research.md): the project, a public ID,
        # and research data that happens to agree (veteran status, a code list's value).
        assert same <= {"ProjectID", "VeteranStatus", "NameDataQuality", "SSNDataQuality",
                        "DOBDataQuality", "Sex", "RaceNone"}, (name, same)  # fmt: skip
    assert by_person[anonymous["PersonalID"]]["EntryDate"] == "2025-01-10"
    assert by_person[named["PersonalID"]]["EntryDate"] == "2025-01-01"  # to the month
    # A period is compared with the dates the researcher receives: it cannot find the day.
    files = unzip(
        (
            await w.api.get(
                URL, params={"to": "2025-01-05"}, headers={"Authorization": f"Bearer {researcher}"}
            )
        ).content
    )
    found = sorted((c["FirstName"], c["VeteranStatus"]) for c in files["Client.csv"])
    assert found == [("", "1"), ("Parent", "0")]  # the other client, not the child

    # GraphQL: the child's household lists no member of the parent's space, nor the other
    # way round, and the dates are those of the export.
    body = await ask(w, "{ clients { edges { node { id } } } }", {}, researcher)
    ids = {e["node"]["id"][:32]: e["node"]["id"] for e in body["data"]["clients"]["edges"]}
    ids = {"Parent": ids[named["PersonalID"]], None: ids[anonymous["PersonalID"]]}
    seen = {}
    for who in ("Parent", None):
        body = await ask(w, HOUSEHOLD, {"id": ids[who]}, researcher)
        (stay,) = body["data"]["client"]["enrollments"]["edges"]
        seen[who] = stay["node"]
        members = stay["node"]["household"]["members"]
        assert [m["client"]["id"] for m in members] == [ids[who]], (who, members)
    assert seen["Parent"]["entryDate"] == "2025-01-01" and seen[None]["entryDate"] == "2025-01-10"
    assert seen["Parent"]["household"]["householdId"] != seen[None]["household"]["householdId"]
