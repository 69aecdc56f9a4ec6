"""The `Client` type: one nullable object per element group, and `access` saying why."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from hmis.auth.policy import ClientDecision
from hmis.db import models
from hmis.groups import ElementGroup as G
from hmis.resolvers.loaders import Loaders
from hmis.resolvers.visibility import Visibility

from . import enums as E
from . import groups as T
from .enrollments import CaseManagerAssignment, Enrollment, Project
from .grouping import group_note
from .pagination import Connection, connection, decode_position, page_size, position_cursor


@strawberry.type(
    description="Whether a group of this client is visible to you, and why. With `visible` "
    "true and the group's field null or empty: nothing of it is recorded that you may see; "
    "`partial` says whether that can be all there is (docs/privacy-rules.md)."
)
class GroupAccess:
    group: E.ElementGroup
    visible: bool = strawberry.field(
        description="Whether you may see this group at all; false: its field is always null."
    )
    basis: E.AccessBasis = strawberry.field(
        description="Why. OWN_AGENCY: only records your organization entered are shown to you."
    )
    partial: bool = strawberry.field(
        description="True when, by the policy, part of what may be recorded in this group is "
        "never shown to you: other organizations' records of a group you see only your own "
        "of (basis OWN_AGENCY), or, in your own record, notes compiled for a legal proceeding. "
        "It follows from your role and the group alone, the same for every client: it never "
        "says whether anything hidden exists for this one."
    )


def _hidden(group: G) -> str:
    return f"{group_note(group)} Null when not visible to you."


@strawberry.type(
    description="A person served. Each element group is null when you may not see it; "
    "`access` lists every group with the basis of the decision."
)
class Client:
    row: strawberry.Private[models.Client]
    decision: strawberry.Private[ClientDecision]

    @strawberry.field(description="Researchers receive a pseudonym, stable within their agreement.")
    def id(self, info: Info) -> strawberry.ID:
        return strawberry.ID(Visibility.of(info.context).client_id_of(self.row.id))

    def _values(self, info: Info, group: G):
        return Visibility.of(info.context).present(self.row, group)

    async def _records(self, info: Info, model) -> list[dict]:
        """This client's records of one table that the decision lets the caller see."""
        if not self.decision.visible(model.__group__):
            return []  # no query for a group the caller cannot see at all
        rows = await Loaders.of(info.context).records[model].load(self.row.id)
        visibility = Visibility.of(info.context)
        return [v for v in (visibility.present(r) for r in rows) if v is not None]

    @strawberry.field(description=_hidden(G.IDENTITY))
    def identity(self, info: Info) -> T.Identity | None:
        values = self._values(info, G.IDENTITY)
        return values and T.Identity.of(values)

    @strawberry.field(description=_hidden(G.DEMOGRAPHICS))
    def demographics(self, info: Info) -> T.Demographics | None:
        values = self._values(info, G.DEMOGRAPHICS)
        return values and T.Demographics.of(values)

    # `enrollments` and `caseManager` return their value at once when the page loaded the rows
    # already (`resolvers.clients.load_related`), else an awaitable (graphql-core takes both):
    # a coroutine per client and field is most of what these fields cost on a page.
    @strawberry.field(description=f"{group_note(G.ENROLLMENTS)} Only rows visible to you.")
    def enrollments(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Enrollment]:
        size = page_size(first)
        start = decode_position("enrollment", after)
        if not self.decision.visible(G.ENROLLMENTS):
            return self._enrollment_page(info, [], size, start)
        loader = Loaders.of(info.context).enrollments
        found = Loaders.ready(loader, self.row.id)
        if found is None:
            return self._enrollments_later(info, loader, size, start)
        return self._enrollment_page(info, found, size, start)

    async def _enrollments_later(self, info: Info, loader, size: int, start: int):
        return self._enrollment_page(info, await loader.load(self.row.id), size, start)

    def _enrollment_page(self, info: Info, found: list, size: int, start: int):
        visible = []
        if found:
            visibility = Visibility.of(info.context)
            for enrollment, exit, project, org in found:
                values = visibility.present(enrollment)
                if values is None:
                    continue
                visible.append(
                    Enrollment.of(
                        values,
                        exit=exit and visibility.present(exit),
                        row=enrollment,
                        project=self._project(info, project, org),
                    )
                )
        page = visible[start : start + size]
        cursors = [position_cursor("enrollment", start + i) for i in range(len(page))]
        return connection(page, cursors, total=len(visible), has_next=start + size < len(visible))

    @staticmethod
    def _project(info: Info, project, organization) -> Project:
        """One `Project` per project record of the request (a page's enrollments share a
        few projects; the loaded records are shared alike, `hmis.db.records.Shape`)."""
        made = info.context.cache.setdefault("projects", {})
        found = made.get(id(project))
        if found is None or found[0] is not project:  # the record is kept: its id stays its
            found = made[id(project)] = (project, Project.of(project, organization))
        return found[1]

    @strawberry.field(description=_hidden(G.CASE_MANAGER))
    def case_manager(self, info: Info) -> CaseManagerAssignment | None:
        if not self.decision.visible(G.CASE_MANAGER):
            return None
        loader = Loaders.of(info.context).assignments
        found = Loaders.ready(loader, self.row.id)
        if found is None:
            return self._case_manager_later(info, loader)
        return self._current_case_manager(info, found)

    async def _case_manager_later(self, info: Info, loader):
        return self._current_case_manager(info, await loader.load(self.row.id))

    def _current_case_manager(self, info: Info, found: list):
        today = datetime.now(UTC).date()
        visibility = Visibility.of(info.context)
        for assignment, staff, org in found:
            values = visibility.inspect(assignment)  # ended ones are not handed out
            if values and (values["end_date"] is None or values["end_date"] >= today):
                return CaseManagerAssignment.of(visibility.present(assignment), staff, org)
        return None

    @strawberry.field(description=_hidden(G.CONTACT))
    async def contact(self, info: Info) -> T.Contact | None:
        records = await self._records(info, models.Contact)
        return records and T.Contact.of(records[0]) or None

    @strawberry.field(description=_hidden(G.HEALTH))
    async def health(self, info: Info) -> T.Health | None:
        records = await self._records(info, models.HealthRecord)
        disabilities = await self._records(info, models.Disability)
        if not records and not disabilities:
            return None
        latest = records[0] if records else {}
        return T.Health(
            id=latest and T.gid(latest["id"]) or None,
            disabling_condition=E.code(E.NoYesMissing, latest.get("disabling_condition")),
            information_date=latest.get("information_date"),
            disabilities=[T.Disability.of(d) for d in disabilities],
        )

    @strawberry.field(description=_hidden(G.INCOME))
    async def income(self, info: Info) -> T.Income | None:
        records = await self._records(info, models.IncomeBenefit)
        return records and T.Income.of(records[0]) or None

    @strawberry.field(description=_hidden(G.DOMESTIC_VIOLENCE))
    async def domestic_violence(self, info: Info) -> T.DomesticViolence | None:
        records = await self._records(info, models.DomesticViolence)
        return records and T.DomesticViolence.of(records[0]) or None

    @strawberry.field(description=_hidden(G.CASE_NOTES))
    async def case_notes(self, info: Info) -> list[T.CaseNote] | None:
        if not self.decision.visible(G.CASE_NOTES):
            return None
        notes = await self._records(info, models.CaseNote)
        if self.decision.hide_legal_notes:
            notes = [n for n in notes if not n["compiled_for_legal_proceeding"]]
        return [T.CaseNote.of(n) for n in notes]

    @strawberry.field(
        description="Researchers only: a pseudonymous key (keyed hash of identifiers, under "
        "the research agreement) to match records without seeing identity. Null for every "
        "other role."
    )
    def research_key(self, info: Info) -> str | None:
        if not self.decision.research_key:
            return None
        return Visibility.of(info.context).research_key(self.row)

    @strawberry.field(description="Every element group: visible to you or not, and the basis.")
    def access(self) -> list[GroupAccess]:
        return [
            GroupAccess(group=a.group, visible=a.visible, basis=a.basis, partial=a.partial)
            for a in self.decision.access.values()
        ]


# The tables whose records each field of `Client` presents (GraphQL names). A page of clients
# folds its refused clients' as-of states for the selected fields' tables only; a field not
# listed here makes it fold every table (a test checks that every field is listed).
FIELD_TABLES: dict[str, tuple[type[models.ClientData], ...]] = {
    "id": (),
    "identity": (models.Client,),
    "demographics": (models.Client,),
    "enrollments": (models.Enrollment, models.Exit),
    "caseManager": (models.CaseManagerAssignment,),
    "contact": (models.Contact,),
    "health": (models.HealthRecord, models.Disability),
    "income": (models.IncomeBenefit,),
    "domesticViolence": (models.DomesticViolence,),
    "caseNotes": (models.CaseNote,),
    "researchKey": (),
    "access": (),
    "__typename": (),
}


def tables_presented(fields: set[str]) -> frozenset[str] | None:
    """The tables presented by these fields of `Client`, or None (every table) when one of
    them is not in `FIELD_TABLES`."""
    if not fields <= FIELD_TABLES.keys():
        return None
    return frozenset(model.__tablename__ for name in fields for model in FIELD_TABLES[name])
