"""Researchers receive pseudonymous identifiers only (POLICY.md, Research; issue 11, point 13):
client, enrollment, household and record IDs, and page cursors, are keyed under the research
agreement: stable within it, useless outside it, and never the real ones."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from sqlalchemy import select

from hmis.db import models

from . import people
from .support import gql
from .test_read_api import grant_research

PAGE = """query($after: String) { clients(first: 10, after: $after) {
  pageInfo { endCursor }
  edges { cursor node { id researchKey identity { firstName }
    caseManager { id }
    enrollments { edges { node { id household { householdId } } } } } } } }"""


async def consent(sessions, client) -> None:
    async with sessions() as s, s.begin():
        s.add(models.ResearchConsent(client_id=client.id, recorded_by="admin",
                                     recorded_at=datetime.now(UTC)))  # fmt: skip


async def real_ids(sessions) -> set[str]:
    """Every ID a researcher could use against the real records, in both spellings."""
    async with sessions() as s:
        ids = [*await s.scalars(select(models.Client.id)),
               *await s.scalars(select(models.Enrollment.id)),
               *await s.scalars(select(models.CaseManagerAssignment.id))]  # fmt: skip
        households = set(await s.scalars(select(models.Enrollment.household_id)))
    return {str(i) for i in ids} | {i.hex for i in ids} | (households - {None})


def by_name(body: dict) -> dict[str, dict]:
    nodes = [e["node"] for e in body["data"]["clients"]["edges"]]
    return {n["identity"]["firstName"] if n["identity"] else n["id"]: n for n in nodes}


def households(node: dict) -> set[str]:
    return {e["node"]["household"]["householdId"] for e in node["enrollments"]["edges"]}


async def test_researchers_receive_pseudonyms_stable_in_their_agreement_only(api, token, sessions):
    world = await people.coc(sessions)
    # One household: a consenting, identified parent and two children who did not consent.
    parent = await people.fully_recorded_client(sessions, world, first_name="Parent")
    child = await people.fully_recorded_client(sessions, world, first_name="Child")
    await people.fully_recorded_client(sessions, world, first_name="Sibling")
    await consent(sessions, parent)
    await grant_research(sessions, "researcher-1")
    await grant_research(sessions, "researcher-2")
    first, second = token("researcher", sub="researcher-1"), token("researcher", sub="researcher-2")

    status, body = await gql(api, PAGE, token=first)
    assert status == 200 and "errors" not in body, body
    text = json.dumps(body)
    cursors = [e["cursor"] for e in body["data"]["clients"]["edges"]]
    decoded = " ".join(base64.urlsafe_b64decode(c).decode() for c in cursors)
    for real in await real_ids(sessions):
        assert real not in text and real not in decoded, real

    seen = by_name(body)
    assert set(seen) >= {"Parent"} and len(seen) == 3  # only the parent is identified
    kids = [n for name, n in seen.items() if name != "Parent"]
    # The children's shared household stays one household within the agreement, but nothing
    # links it to the identified parent's.
    assert households(kids[0]) == households(kids[1])
    assert households(seen["Parent"]).isdisjoint(households(kids[0]))

    # The same pseudonyms on every request of the agreement...
    assert (await gql(api, PAGE, token=first))[1] == body
    # ...and none of them under another agreement.
    _, other = await gql(api, PAGE, token=second)
    theirs = json.dumps(other)
    for node in seen.values():
        for value in (node["id"], node["researchKey"], node["caseManager"]["id"],
                      *households(node),
                      *(e["node"]["id"] for e in node["enrollments"]["edges"])):  # fmt: skip
            assert value not in theirs, value

    # A cursor pages on, for its own agreement only.
    _, one = await gql(api, PAGE.replace("first: 10", "first: 1"), token=first)
    after = one["data"]["clients"]["pageInfo"]["endCursor"]
    _, rest = await gql(api, PAGE, {"after": after}, token=first)
    assert len(rest["data"]["clients"]["edges"]) == 2
    _, foreign = await gql(api, PAGE, {"after": after}, token=second)
    assert foreign["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # Nor does a cursor made of a real ID, should one be known.
    made = base64.urlsafe_b64encode(f"client:{child.id}".encode()).decode()
    _, guessed = await gql(api, PAGE, {"after": made}, token=first)
    assert guessed["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # A researcher looks a client up by its pseudonym; a real ID (which would tie it to the
    # pseudonym) or another agreement's pseudonym finds nobody.
    lookup = "query($id: ID!) { client(id: $id) { id researchKey } }"
    kid = kids[0]
    _, looked = await gql(api, lookup, {"id": kid["id"]}, token=first)
    assert looked["data"]["client"] == {"id": kid["id"], "researchKey": kid["researchKey"]}
    for wrong, caller in ((str(child.id), first), (kid["id"], second)):
        _, looked = await gql(api, lookup, {"id": wrong}, token=caller)
        assert looked == {"data": {"client": None}}
