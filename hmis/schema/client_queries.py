"""Queries about persons: `client`, `clients`, `searchClients`, and the published `policy`."""

from __future__ import annotations

import datetime
import enum

import strawberry
from strawberry.types import Info

from hmis.auth import policy as rules
from hmis.auth.guards import require_principal
from hmis.db.models.audit import AuditAction
from hmis.errors import BadInput
from hmis.groups import ElementGroup as G
from hmis.resolvers import clients as load
from hmis.resolvers.visibility import Visibility

from . import enums as E
from .clients import Client, tables_presented
from .me import Role
from .pagination import Connection, connection, decode_cursor, encode_cursor, page_size
from .selection import selected_names


@strawberry.input(description="Narrow `clients` to those with an enrollment you can see.")
class ClientFilter:
    project_id: strawberry.ID | None = None
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Clients enrolled in a project of this organization."
    )


@strawberry.input(description="Search by identifiers; every given criterion must match.")
class ClientSearchInput:
    first_name: str | None = strawberry.field(default=None, description="Prefix, any case.")
    last_name: str | None = strawberry.field(default=None, description="Prefix, any case.")
    dob: datetime.date | None = None
    ssn_last4: str | None = None
    first: int | None = strawberry.field(default=20, description="At most this many matches.")


@strawberry.enum(description="An identifier a search matched on.")
class SearchField(enum.Enum):
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    DOB = "dob"
    SSN_LAST4 = "ssn_last4"


@strawberry.type(description="A client found by `searchClients`, matched only on values you see.")
class ClientMatch:
    client: Client
    matched_on: list[SearchField]


EnteredBy = strawberry.enum(
    rules.EnteredBy, description="Whose records a row of agency staff's policy table is about."
)


@strawberry.type(description="One row of the policy table: a role, a group, and the basis.")
class PolicyRule:
    role: str = strawberry.field(
        deprecation_reason="Use `canonicalRole` (spelled as `me.roles`) and `enteredBy`."
    )
    canonical_role: Role = strawberry.field(
        description="The role, spelled as `me.roles` spells it (HMIS_ADMIN, AGENCY_STAFF...)."
    )
    entered_by: EnteredBy | None = strawberry.field(
        description="Agency staff only: the row is about records their own organization "
        "entered, or records partner organizations entered. Null for every other role."
    )
    group: E.ElementGroup
    basis: E.AccessBasis
    visible: bool
    partial: bool = strawberry.field(description="As `GroupAccess.partial` reports it.")


def _client(row, decision) -> Client:
    return Client(row=row, decision=decision)


async def _require_rows(info: Info) -> None:
    """A verified caller whose role may receive rows about persons (else 401/403)."""
    require_principal(info)
    await Visibility.of(info.context).require_row_access()


def _after(visibility: Visibility, cursor: str):
    found = visibility.client_id_from(cursor, "after")
    if found is None:
        raise BadInput("`after` is not a cursor this list gave out", field=["after"])
    return found


@strawberry.type
class ClientQuery:
    @strawberry.field(description="One client, or null if it is not visible to you.")
    async def client(self, info: Info, id: strawberry.ID) -> Client | None:
        await _require_rows(info)
        # A researcher names clients by their pseudonyms: a real ID finds nobody.
        client_id = Visibility.of(info.context).client_id_from(id, "id")
        found = client_id and await load.one_client(info.context, client_id)
        if found:
            info.context.access_log.release([found[0].id], AuditAction.VIEW)
        return found and _client(*found)

    @strawberry.field(description="Clients in a stable order, paged; `first` is capped at 200.")
    async def clients(
        self,
        info: Info,
        first: int | None = 50,
        after: str | None = None,
        filter: ClientFilter | None = None,
    ) -> Connection[Client]:
        await _require_rows(info)
        size = page_size(first)
        visibility = Visibility.of(info.context)
        cursor = decode_cursor("client", after)
        narrowed = filter and load.EnrollmentFilter(
            project_id=load.optional_id(filter.project_id, "projectId"),
            organization_id=load.optional_id(filter.organization_id, "organizationId"),
        )
        node = selected_names(info, "edges", "node")
        page, total = await load.clients_page(
            info.context,
            # One extra row tells whether another page follows.
            first=size + 1,
            after=cursor and _after(visibility, cursor),
            filter=narrowed,
            # Counting reads every match: only when asked for (None is then never served).
            count="totalCount" in selected_names(info),
            tables=tables_presented(node),
        )
        rows = page[:size]
        await load.load_related(
            info.context,
            rows,
            enrollments="enrollments" in node,
            case_manager="caseManager" in node,
        )
        # A filter on enrollments tells which clients have one: ENROLLMENTS is used.
        info.context.access_log.release(
            [r.id for r, _ in rows], AuditAction.VIEW, [G.ENROLLMENTS] if narrowed else []
        )
        return connection(
            [_client(r, d) for r, d in rows],
            # A real ID in a cursor is a real ID handed out: as the caller receives IDs.
            [encode_cursor("client", visibility.client_id_of(r.id)) for r, _ in rows],
            total=total,
            has_next=len(page) > size,
        )

    @strawberry.field(description="Find clients by name, DOB or SSN last four, policy-aware.")
    async def search_clients(self, info: Info, input: ClientSearchInput) -> list[ClientMatch]:
        await _require_rows(info)
        terms = load.SearchTerms(
            first_name=input.first_name,
            last_name=input.last_name,
            dob=input.dob,
            ssn_last4=input.ssn_last4,
        ).validate()
        limit = page_size(input.first, default=20)
        found = await load.search(info.context, terms, limit=limit)
        # Which clients were returned, never the terms; the match itself uses IDENTITY.
        info.context.access_log.release([r.id for r, _, _ in found], AuditAction.SEARCH,
                                        [G.IDENTITY])  # fmt: skip
        return [
            ClientMatch(client=_client(r, d), matched_on=[SearchField(m) for m in met])
            for r, d, met in found
        ]

    @strawberry.field(description="The policy table: what each role sees of each group. Public.")
    def policy(self) -> list[PolicyRule]:
        return [
            PolicyRule(
                role=row.label,
                canonical_role=row.role,
                entered_by=row.entered_by,
                group=row.group,
                basis=row.basis,
                visible=row.visible,
                partial=row.partial,
            )  # fmt: skip
            for row in rules.policy_table()
        ]
