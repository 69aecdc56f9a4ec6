"""The read API over HTTP with real tokens: each role sees exactly its element groups."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from hmis.db import models

from . import people
from .support import gql

EVERYTHING = """
fragment Everything on Client {
  id
  identity { firstName lastName ssn dob nameDataQuality ssnDataQuality }
  demographics { race gender veteranStatus }
  enrollments { totalCount edges { node { entryDate exitDate destination
      project { name organization { name } } household { householdId relationshipToHoH } } } }
  caseManager { firstName lastName phone organization { name } }
  contact { phone city }
  health { disablingCondition }
  income { incomeFromAnySource totalMonthlyIncome sources { source amount } }
  domesticViolence { survivor whenOccurred }
  caseNotes { text compiledForLegalProceeding }
  researchKey
  access { group visible basis }
}
"""
CLIENT = EVERYTHING + "query($id: ID!) { client(id: $id) { ...Everything } }"
GROUP_FIELDS = {
    "IDENTITY": "identity",
    "DEMOGRAPHICS": "demographics",
    "CASE_MANAGER": "caseManager",
    "CONTACT": "contact",
    "HEALTH": "health",
    "INCOME": "income",
    "DOMESTIC_VIOLENCE": "domesticViolence",
    "CASE_NOTES": "caseNotes",
}
SHARED = {"IDENTITY", "DEMOGRAPHICS", "ENROLLMENTS", "CASE_MANAGER"}
ALL = set(GROUP_FIELDS) | {"ENROLLMENTS", "HOUSEHOLD"}


@pytest.fixture
async def world(sessions):
    return await people.coc(sessions)


async def research_id(api, caller: str) -> str:
    """A researcher's pseudonym of the only client (researchers never receive real IDs)."""
    _, body = await gql(api, "{ clients { edges { node { id } } } }", token=caller)
    (edge,) = body["data"]["clients"]["edges"]
    return edge["node"]["id"]


async def grant_research(sessions, subject, *, expires=date(2099, 1, 1)):
    async with sessions() as s, s.begin():
        s.add(
            models.ResearchAgreement(
                subject=subject,
                expires_on=expires,
                created_by="admin",
                created_at=datetime.now(UTC),
            )
        )


def shown(client: dict) -> set[str]:
    """The groups a response actually carries values for."""
    groups = {g for g, f in GROUP_FIELDS.items() if client[f] not in (None, [])}
    edges = client["enrollments"]["edges"]
    if edges:
        groups.add("ENROLLMENTS")
    if any(e["node"]["household"] for e in edges):
        groups.add("HOUSEHOLD")
    return groups


@pytest.mark.parametrize(
    ("role", "org", "expected"),
    [
        ("hmis_admin", None, ALL),
        ("auditor", None, ALL),
        ("agency_staff", "shelter", ALL),  # the entering organization
        ("agency_staff", "outreach", SHARED),  # a partner
        ("researcher", None, ALL - {"IDENTITY", "CONTACT", "CASE_NOTES"}),
    ],
    ids=["admin", "auditor", "entering-org", "partner", "researcher"],
)
async def test_each_role_sees_exactly_its_groups(api, token, sessions, world, role, org, expected):
    client = await people.fully_recorded_client(sessions, world)
    if role == "researcher":
        await grant_research(sessions, "researcher-1")
    org_id = getattr(world, org).id if org else None
    caller = token(role, org=org_id, sub=f"{role}-1")
    client_id = await research_id(api, caller) if role == "researcher" else str(client.id)
    status, body = await gql(api, CLIENT, {"id": client_id}, token=caller)
    assert status == 200 and "errors" not in body, body
    found = body["data"]["client"]
    assert shown(found) == expected
    access = {a["group"]: a["visible"] for a in found["access"]}
    assert len(access) == 10
    # `access` agrees with what came back (a visible group may simply be empty).
    assert {g for g, visible in access.items() if visible} >= expected
    assert not ({g for g, visible in access.items() if not visible} & expected)
    if role == "researcher":
        assert found["researchKey"] and found["identity"] is None
        assert not access["IDENTITY"]
    else:
        assert found["researchKey"] is None
    if role == "agency_staff" and org == "outreach":
        bases = {a["group"]: a["basis"] for a in found["access"]}
        assert bases["IDENTITY"] == "SHARED_WITH_PARTNERS"
        assert found["enrollments"]["edges"][0]["node"]["household"] is None


async def test_values_are_presented_with_hud_codes(api, token, sessions, world):
    client = await people.fully_recorded_client(sessions, world)
    _, body = await gql(api, CLIENT, {"id": str(client.id)}, token=token("hmis_admin"))
    found = body["data"]["client"]
    assert found["identity"]["ssnDataQuality"] == "FULL"
    assert found["demographics"] == {"race": ["WHITE"], "gender": ["WOMAN"], "veteranStatus": "NO"}
    assert found["income"]["sources"] == [{"source": "Earned", "amount": "900.00"}]
    assert found["caseManager"]["organization"]["name"] == "Shelter Org"
    enrollment = found["enrollments"]["edges"][0]["node"]
    assert enrollment["household"] == {"householdId": "HH-1", "relationshipToHoH": "SELF"}
    assert {n["compiledForLegalProceeding"] for n in found["caseNotes"]} == {True, False}


@pytest.mark.parametrize("role", ["aggregate_reader", "client"])
async def test_roles_without_rows_are_refused(api, token, sessions, world, role):
    client = await people.fully_recorded_client(sessions, world)
    for query, variables in [
        (CLIENT, {"id": str(client.id)}),
        ("{ clients { totalCount edges { node { id } } } }", None),
        ('{ searchClients(input: {lastName: "Lo"}) { client { id } } }', None),
    ]:
        status, body = await gql(api, query, variables, token=token(role, sub=f"{role}-1"))
        assert body["data"] is None or all(v is None for v in body["data"].values())
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body


async def test_researcher_needs_an_active_agreement(api, token, sessions, world):
    client = await people.fully_recorded_client(sessions, world)
    query = EVERYTHING + "{ clients { totalCount edges { node { ...Everything } } } }"
    researcher = token("researcher", sub="researcher-2")
    _, body = await gql(api, query, token=researcher)
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "research agreement" in body["errors"][0]["message"]

    await grant_research(sessions, "researcher-2", expires=date(2020, 1, 1))  # expired
    _, body = await gql(api, query, token=researcher)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    await grant_research(sessions, "researcher-2")
    _, first = await gql(api, query, token=researcher)
    _, again = await gql(api, query, token=researcher)
    node = first["data"]["clients"]["edges"][0]["node"]
    assert node["id"] != str(client.id) and node["identity"] is None  # a pseudonym
    assert node["contact"] is None and node["caseNotes"] is None
    assert len(node["researchKey"]) == 64
    assert node["researchKey"] == again["data"]["clients"]["edges"][0]["node"]["researchKey"]
    # A search would be an oracle on identifiers: researchers may not search.
    _, body = await gql(api, '{ searchClients(input: {lastName: "Lo"}) { client { id } } }',
                        token=researcher)  # fmt: skip
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_researcher_sees_identity_with_research_consent(api, token, sessions, world):
    client = await people.fully_recorded_client(sessions, world)
    await grant_research(sessions, "researcher-3")
    async with sessions() as s, s.begin():
        s.add(models.ResearchConsent(client_id=client.id, recorded_by="admin",
                                     recorded_at=client.date_created))  # fmt: skip
    researcher = token("researcher", sub="researcher-3")
    _, body = await gql(api, CLIENT, {"id": await research_id(api, researcher)}, token=researcher)
    found = body["data"]["client"]
    assert found["identity"]["lastName"] == "Lovelace"
    bases = {a["group"]: a["basis"] for a in found["access"]}
    assert bases["IDENTITY"] == "RESEARCH_CONSENT"


async def test_first_is_capped_with_a_clear_error(api, token, world):
    _, body = await gql(api, "{ clients(first: 201) { totalCount } }", token=token("hmis_admin"))
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "between 1 and 200" in error["message"]


async def test_pages_and_cursors(api, token, sessions, world):
    for i in range(5):
        await people.fully_recorded_client(sessions, world, first_name=f"P{i}")
    query = "query($after: String) { clients(first: 2, after: $after) { totalCount " \
            "pageInfo { hasNextPage endCursor } edges { node { id } } } }"  # fmt: skip
    seen, after = [], None
    while True:
        _, body = await gql(api, query, {"after": after}, token=token("hmis_admin"))
        page = body["data"]["clients"]
        assert page["totalCount"] == 5
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 5 == len(set(seen)) and seen == sorted(seen)
    _, body = await gql(api, query, {"after": "bm9wZQ=="}, token=token("hmis_admin"))
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_deleted_clients_are_left_out(api, token, sessions, world):
    keep = await people.fully_recorded_client(sessions, world)
    gone = await people.fully_recorded_client(sessions, world, first_name="Gone")
    from hmis.db import history

    async with sessions() as s, s.begin():
        await history.delete(s, world.writer(world.shelter), await s.get(models.Client, gone.id))
        assert await s.scalar(select(func.count()).select_from(models.Client)) == 2
    _, body = await gql(api, "{ clients { totalCount edges { node { id } } } }",
                        token=token("agency_staff", org=world.outreach.id))  # fmt: skip
    assert body["data"]["clients"]["totalCount"] == 1
    assert body["data"]["clients"]["edges"][0]["node"]["id"] == str(keep.id)
    _, body = await gql(api, CLIENT, {"id": str(gone.id)}, token=token("hmis_admin"))
    assert body["data"]["client"] is None
