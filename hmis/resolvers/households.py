"""A household's members as the caller may see them (`Enrollment.household.members`).

A household is the enrollments of one project with one HouseholdID (HUD). Each member is the
member's own enrollment presented through the member's own decision: for a partner and a
refused member, as it stood at that member's refusal, so an enrollment made after it by
another organization, or moved into the household since, is not listed and not counted.
"""

from __future__ import annotations

import uuid
from typing import Any

from strawberry.dataloader import DataLoader

from hmis.context import RequestContext
from hmis.db import models, reads
from hmis.groups import ElementGroup
from hmis.resolvers.visibility import Visibility

HOUSEHOLD = ElementGroup.HOUSEHOLD


def _loader(context: RequestContext) -> DataLoader:
    """(project, HouseholdID) -> members: one statement for every household a request asks,
    and one decision for all their clients (not one per household)."""
    if "household_members" not in context.cache:

        async def load(keys):
            async with context.reading() as session:
                found = await reads.household_members(session, keys=keys)
            clients = {c.id: c for members in found.values() for _, c in members}
            await Visibility.of(context).decide(list(clients.values()))
            return [found.get(key, []) for key in keys]

        context.cache["household_members"] = DataLoader(load_fn=load)
    return context.cache["household_members"]


async def members(context: RequestContext, row) -> list[tuple[dict[str, Any], models.Client]]:
    """The members of `row`'s household the caller sees: each one's presented HOUSEHOLD values
    and client row. Empty when the caller does not see `row`'s household itself."""
    visibility = Visibility.of(context)
    anchor = visibility.inspect(row, HOUSEHOLD)  # the caller's own view of the household
    if anchor is None or anchor["household_id"] is None:
        return []
    key: tuple[uuid.UUID, str] = (row.project_id, anchor["household_id"])
    found = await _loader(context).load(key)
    shown = []
    for enrollment, client in found:
        values = visibility.inspect(enrollment, HOUSEHOLD)
        if values is None or values["household_id"] != anchor["household_id"]:
            continue  # not in this household as the caller sees it
        if not visibility.linkable(row.client_id, enrollment.client_id):
            continue  # (a researcher: one member shown with identity, one without)
        shown.append((visibility.present(enrollment, HOUSEHOLD), client))
    return shown
