"""The identifiers an export writes: our keys as HUD's 32-character IDs, or, for a researcher,
the pseudonyms of their research agreement (POLICY.md: researchers receive pseudonymous
client, household and enrollment IDs), made by `hmis.auth.pseudonym` as for the GraphQL API.
"""

from __future__ import annotations

import uuid
from typing import Any

from hmis.auth.pseudonym import ResearchIdentifiers
from hmis.db import models
from hmis.groups import ElementGroup

from . import hud_csv as H


class Ids:
    """Plain IDs: a UUID as 32 hex digits (HUD IDs are strings of up to 32 characters)."""

    def person(self, client: Any) -> str:
        return client.id.hex

    def begin(self, decision) -> None:
        """The next IDs are of this client's records (a researcher's depend on consent)."""

    def record(self, kind: str, value: uuid.UUID | str | None) -> str:
        if value is None:
            return ""
        return value.hex if isinstance(value, uuid.UUID) else str(value)


class ResearchIds(Ids):
    """A researcher's pseudonyms: the very ones the GraphQL API gives them under their research
    agreement (`Visibility.research_ids`), so an export and a query can be joined, and useless
    under any other agreement. HUD IDs hold 32 characters: PersonalID is the client's GraphQL
    ID without its 16-character tag."""

    def __init__(self, ids: ResearchIdentifiers):
        self.ids = ids
        self.identified = False

    def begin(self, decision) -> None:
        # IDs on records shown with a consenting client's identity are of their own space.
        self.identified = decision.visible(ElementGroup.IDENTITY)

    def person(self, client: Any) -> str:
        return self.ids.client(client.id)[:32]

    def record(self, kind: str, value: uuid.UUID | str | None) -> str:
        if value is None:
            return ""
        if kind == "HouseholdID":  # presented (`Visibility.present`) as its pseudonym already
            return str(value)
        return self.ids.identifier(TABLES[kind], value, identified=self.identified)


# The table whose IDs each HUD file's key holds (the kinds of `ResearchIdentifiers`).
TABLES = {
    H.ENROLLMENT.name: models.Enrollment.__tablename__,
    H.EXIT.name: models.Exit.__tablename__,
    **{spec.name: spec.model.__tablename__ for spec in H.AGENCY_ONLY},
}
