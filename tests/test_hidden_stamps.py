"""A stamp a caller sees moves only with what the caller sees (docs/hud-csv.md): the owning
organization's edit of a group a partner never sees (an enrollment's household) leaves the
partner's DateUpdated and UserID as they were, whether the client refused or not; an edit of a
shared field moves them. Every call is HTTP with real tokens."""

from __future__ import annotations

import asyncio

from .support import gql
from .test_export import export
from .writes import build_world

STAY = """query($id: ID!) { client(id: $id) { enrollments { edges { node {
  id entryDate exitDate project { id } household { householdId } } } } } }"""


def stamps(files, enrollment_id: str) -> tuple[str, str, str]:
    (row,) = [r for r in files["Enrollment.csv"] if r["EnrollmentID"] == enrollment_id]
    return row["DateCreated"], row["DateUpdated"], row["UserID"]


async def next_second() -> None:
    # Stamps are written to the second: a later write must fall in a later one to be told.
    await asyncio.sleep(1.1)


async def test_an_edit_of_a_hidden_group_moves_no_stamp_a_partner_sees(api, token):
    w = await build_world(api, token)
    shelter, partner = w.staff["Shelter"], w.staff["Outreach"]
    ada = await w.new_client()
    payload = await w.ok(shelter, "createEnrollment", {"clientId": ada,
                         "projectId": w.projects["Shelter"], "entryDate": "2024-03-04"},
                         "enrollment { id }")  # fmt: skip
    stay = payload["enrollment"]["id"]
    key = stay.replace("-", "")

    async def seen() -> tuple[tuple, dict, tuple]:
        status, body = await gql(api, STAY, {"id": ada}, token=partner)
        assert status == 200 and "errors" not in body, body
        return (stamps(await export(api, partner), key), body["data"],
                stamps(await export(api, w.admin), key))  # fmt: skip

    async def edit(**values) -> None:
        await next_second()
        await w.ok(shelter, "updateEnrollment", {"enrollmentId": stay, **values})

    for refused in (False, True):
        if refused:
            await w.ok(shelter, "recordSharingRefusal", {"clientId": ada}, "refusal { id }")
        before, answer, owner = await seen()
        await edit(householdId=f"HH-{refused}")  # HOUSEHOLD: the shelter's own
        after, again, owner_after = await seen()
        assert owner_after[1] > owner[1]  # the row was written...
        assert (after, again) == (before, answer)  # ...and nothing the partner sees moved
        await edit(entryDate=f"2024-03-0{5 + refused}")  # a shared field (a correction)
        moved, _, owner_moved = await seen()
        assert moved[0] == before[0] and moved[1] > before[1], (before, moved)
        assert moved == owner_moved  # the partner now sees the write the owner sees
