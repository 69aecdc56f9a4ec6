"""The privacy policy of POLICY.md as data, read by pure functions.

Nothing else in the code decides visibility. The functions take a principal and facts about a
record (never a request or a session) and return a decision; resolvers only read decisions.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache

from hmis.auth.principal import Principal, Role
from hmis.groups import SHARED_GROUPS, ElementGroup

ALL_GROUPS = tuple(ElementGroup)
# Never shown to researchers; `researchKey` stands in for identity (POLICY.md, Actors).
RESEARCH_WITHHELD = frozenset(
    {ElementGroup.IDENTITY, ElementGroup.CONTACT, ElementGroup.CASE_NOTES}
)


class Basis(enum.Enum):
    """Why a group is visible to the caller, or why it is not."""

    ADMINISTRATOR = "ADMINISTRATOR"  # HMIS system administrators: everything
    AUDIT = "AUDIT"  # auditors: everything, read-only
    OWN_AGENCY = "OWN_AGENCY"  # data the caller's organization entered
    SHARED_WITH_PARTNERS = "SHARED_WITH_PARTNERS"  # the notice's shared groups
    RESEARCH = "RESEARCH"  # de-identified rows under an active research agreement
    RESEARCH_CONSENT = "RESEARCH_CONSENT"  # identity, for clients who consented to research
    SELF = "SELF"  # the client's own record
    NOT_SHARED = "NOT_SHARED"  # not shared with the caller
    DE_IDENTIFIED = "DE_IDENTIFIED"  # identifiers withheld from research
    NO_ROW_ACCESS = "NO_ROW_ACCESS"  # the role never sees a row about a person
    NOT_REQUESTED = "NOT_REQUESTED"  # outside the groups an outside disclosure asked for


VISIBLE_BASES = frozenset(
    {
        Basis.ADMINISTRATOR,
        Basis.AUDIT,
        Basis.OWN_AGENCY,
        Basis.SHARED_WITH_PARTNERS,
        Basis.RESEARCH,
        Basis.RESEARCH_CONSENT,
        Basis.SELF,
    }
)


def _same(basis: Basis) -> dict[ElementGroup, Basis]:
    return dict.fromkeys(ALL_GROUPS, basis)


# The table: for each role, the basis of each group. Agency staff have two columns (their own
# organization's data, and partners' data); the refusal rule narrows the partner column in time.
ROLE_TABLE: dict[Role, dict[ElementGroup, Basis]] = {
    Role.HMIS_ADMIN: _same(Basis.ADMINISTRATOR),
    Role.AUDITOR: _same(Basis.AUDIT),
    Role.RESEARCHER: {
        g: Basis.DE_IDENTIFIED if g in RESEARCH_WITHHELD else Basis.RESEARCH for g in ALL_GROUPS
    },
    Role.AGGREGATE_READER: _same(Basis.NO_ROW_ACCESS),
    Role.CLIENT: _same(Basis.SELF),
}
AGENCY_OWN: dict[ElementGroup, Basis] = _same(Basis.OWN_AGENCY)
AGENCY_PARTNER: dict[ElementGroup, Basis] = {
    g: Basis.SHARED_WITH_PARTNERS if g in SHARED_GROUPS else Basis.NOT_SHARED for g in ALL_GROUPS
}
# What `access` reports to agency staff for any client: partners' data of the shared groups,
# the caller's own data of every other group.
AGENCY_ACCESS: dict[ElementGroup, Basis] = {
    g: AGENCY_PARTNER[g] if g in SHARED_GROUPS else AGENCY_OWN[g] for g in ALL_GROUPS
}

# When a token carries several roles, the first of these decides (never a union: one role's
# reach must not lift another role's limits, e.g. a researcher's current data past a refusal).
PRECEDENCE = (
    Role.HMIS_ADMIN,
    Role.AUDITOR,
    Role.AGENCY_STAFF,
    Role.RESEARCHER,
    Role.CLIENT,
    Role.AGGREGATE_READER,
)


# The roles that act for an organization: only for these does the token's organization count.
ORGANIZATION_ROLES = frozenset({Role.AGENCY_STAFF})


def acting_role(principal: Principal | None) -> Role | None:
    """The role that decides what this caller sees; None means no HMIS role (403)."""
    if principal is None:
        return None
    return role_of(principal.roles)


def role_of(roles: frozenset[Role]) -> Role | None:
    """The acting role of a set of roles (`acting_role`)."""
    for role in PRECEDENCE:  # a loop, not a generator: asked once per client of a page
        if role in roles:
            return role
    return None


def acts_for_organization(roles: frozenset[Role]) -> bool:
    """Whether a caller with these roles acts for an organization: an administrator's or
    auditor's token naming one is not logged, stamped or scoped as that organization."""
    return role_of(roles) in ORGANIZATION_ROLES


# De-identified aggregate counts over the whole CoC (POLICY.md, Aggregates): the HMIS lead and
# its auditors, and the third parties the notice names. Nobody else, not even agency staff.
AGGREGATE_ROLES = (Role.HMIS_ADMIN, Role.AUDITOR, Role.AGGREGATE_READER)


def sees_rows(principal: Principal | None) -> bool:
    """Whether the caller may receive rows about persons at all (through client/clients)."""
    return acting_role(principal) in {
        Role.HMIS_ADMIN,
        Role.AUDITOR,
        Role.AGENCY_STAFF,
        Role.RESEARCHER,
    }


def is_partial(role: Role, group: ElementGroup, basis: Basis) -> bool:
    """Whether the caller is shown only part of what may be recorded in `group`, by rule:
    a fact about the role and the policy, the same for every client, so it never tells
    whether anything hidden exists for this one (a per-client flag would reveal that another
    organization recorded, say, HEALTH data about them).

    Agency staff see only their own organization's records of a non-shared group (basis
    OWN_AGENCY); a signed-in client's case notes leave out notes compiled for a legal
    proceeding. The refusal rule is no reason: which clients refused is itself hidden from
    partners, and their view of a shared group is what they may see of it."""
    if basis is Basis.OWN_AGENCY:
        return True
    return role is Role.CLIENT and group is ElementGroup.CASE_NOTES


@dataclass(frozen=True)
class Access:
    group: ElementGroup
    basis: Basis
    # `is_partial`: other organizations' records of the group (or, for a client, notes kept
    # for a legal proceeding) are never shown to this caller, whether or not any exist.
    partial: bool = False
    # Derived from `basis` once: read for every record a page presents.
    visible: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "visible", self.basis in VISIBLE_BASES)


@cache
def _access(
    role: Role, table: tuple[tuple[ElementGroup, Basis], ...]
) -> dict[ElementGroup, Access]:
    """The access of a row of the table; shared by every decision that has it (read-only:
    a page decides for each client, and most decisions are alike)."""
    return {g: Access(g, b, is_partial(role, g, b)) for g, b in table}


@dataclass(frozen=True)
class ClientFacts:
    """What the policy needs to know about one client, gathered once per page."""

    client_id: uuid.UUID
    # Earliest active refusal covering the client (the time R), if any.
    refused_at: datetime | None = None
    research_consent: bool = False
    # The client login of the caller is linked to this record (role `client`).
    is_callers_own_record: bool = False


@dataclass(frozen=True)
class ClientDecision:
    """Everything resolvers need to present one client to one caller."""

    client_id: uuid.UUID
    role: Role
    access: dict[ElementGroup, Access]
    # For a partner and a refused client: other organizations' shared data as it stood then.
    frozen_at: datetime | None = None
    viewer_org: uuid.UUID | None = None
    # A client's own copy leaves out notes compiled for a legal proceeding.
    hide_legal_notes: bool = False
    research_key: bool = False

    def visible(self, group: ElementGroup) -> bool:
        return self.access[group].visible

    def sees_record(self, group: ElementGroup, owner_org: uuid.UUID | None) -> bool:
        """Row rule for one record of `group` entered by `owner_org`."""
        if not self.visible(group):
            return False
        if self.role is Role.AGENCY_STAFF and group not in SHARED_GROUPS:
            return owner_org == self.viewer_org  # non-shared groups: own organization's only
        return True

    @property
    def groups_visible(self) -> list[ElementGroup]:
        return [g for g in ALL_GROUPS if self.visible(g)]


def decide(principal: Principal, facts: ClientFacts) -> ClientDecision | None:
    """The decision for one client, or None when the caller may not see the row at all."""
    role = acting_role(principal)
    if role is None or role is Role.AGGREGATE_READER:
        return None
    if role is Role.CLIENT and not facts.is_callers_own_record:
        return None
    if role is Role.AGENCY_STAFF:
        # Partner data of the shared groups; the caller's own data of every group. Which
        # records are whose is the row rule (`sees_record`); the group-level basis says
        # what the caller may see of this client, the same whether or not anyone refused.
        return ClientDecision(
            client_id=facts.client_id,
            role=role,
            access=_access(role, tuple(AGENCY_ACCESS.items())),
            frozen_at=facts.refused_at,
            viewer_org=principal.organization_id,
        )
    table = dict(ROLE_TABLE[role])
    if role is Role.RESEARCHER and facts.research_consent:
        table[ElementGroup.IDENTITY] = Basis.RESEARCH_CONSENT
    return ClientDecision(
        client_id=facts.client_id,
        role=role,
        access=_access(role, tuple(table.items())),
        hide_legal_notes=role is Role.CLIENT,
        research_key=role is Role.RESEARCHER,
    )


def restrict(decision: ClientDecision, groups: Iterable[ElementGroup]) -> ClientDecision:
    """The decision narrowed to `groups` (an outside disclosure returns only the groups it
    requested): every other group is hidden, and nothing hidden becomes visible."""
    wanted = frozenset(groups)
    access = {
        g: a if g in wanted or not a.visible else Access(g, Basis.NOT_REQUESTED)
        for g, a in decision.access.items()
    }
    return replace(decision, access=access, research_key=False)


class EnteredBy(enum.Enum):
    """Whose records a row of the agency staff table is about."""

    OWN_ORGANIZATION = "OWN_ORGANIZATION"
    PARTNER_ORGANIZATIONS = "PARTNER_ORGANIZATIONS"


@dataclass(frozen=True)
class PolicyRow:
    """One row of the table as published to integrators (`policy` query)."""

    role: Role
    entered_by: EnteredBy | None  # agency staff only: their columns differ by whose records
    group: ElementGroup
    basis: Basis
    partial: bool

    @property
    def visible(self) -> bool:
        return self.basis in VISIBLE_BASES

    @property
    def label(self) -> str:
        """The row's role as the `policy` query first spelled it (`PolicyRule.role`)."""
        if self.entered_by is None:
            return self.role.value
        side = (
            "own organization" if self.entered_by is EnteredBy.OWN_ORGANIZATION else "partner data"
        )
        return f"{self.role.value} ({side})"


def policy_table() -> list[PolicyRow]:
    """The table as published to integrators (`policy` query): one row per role and group."""
    rows = [PolicyRow(role, None, g, b, is_partial(role, g, b))
            for role, table in ROLE_TABLE.items() for g, b in table.items()]  # fmt: skip
    staff = Role.AGENCY_STAFF
    for side, table in ((EnteredBy.OWN_ORGANIZATION, AGENCY_OWN),
                        (EnteredBy.PARTNER_ORGANIZATIONS, AGENCY_PARTNER)):  # fmt: skip
        # `partial` as `access` reports it: whether the group's records are the caller's own only.
        rows += [PolicyRow(staff, side, g, b, is_partial(staff, g, AGENCY_ACCESS[g]))
                 for g, b in table.items()]  # fmt: skip
    return rows


# --- writes ------------------------------------------------------------------------------------


class Action(enum.Enum):
    """What a mutation does, for the write table below."""

    EDIT_PROFILE = "EDIT_PROFILE"  # create or update the shared client profile
    RECORD_SERVICE = "RECORD_SERVICE"  # enrollments, exits, assignments, agency-only records
    DELETE_RECORD = "DELETE_RECORD"  # a service or agency-only record entered in error
    DELETE_CLIENT = "DELETE_CLIENT"  # a client profile entered in error, with all its records
    RECORD_REFUSAL = "RECORD_REFUSAL"  # staff hold the signed form
    ADMINISTER = "ADMINISTER"  # organizations, projects, staff, logins, research, notices
    REQUEST_CORRECTION = "REQUEST_CORRECTION"
    RESOLVE_CORRECTION = "RESOLVE_CORRECTION"
    FILE_COMPLAINT = "FILE_COMPLAINT"
    UPDATE_COMPLAINT = "UPDATE_COMPLAINT"


# Who may do what. Some actions are further bound to the caller's organization or own record
# (below, and `may_write`): records belong to the organization that operates the project.
WRITE_TABLE: dict[Action, frozenset[Role]] = {
    Action.EDIT_PROFILE: frozenset({Role.HMIS_ADMIN, Role.AGENCY_STAFF}),
    Action.RECORD_SERVICE: frozenset({Role.AGENCY_STAFF}),
    Action.DELETE_RECORD: frozenset({Role.HMIS_ADMIN, Role.AGENCY_STAFF}),
    Action.DELETE_CLIENT: frozenset({Role.HMIS_ADMIN}),
    Action.RECORD_REFUSAL: frozenset({Role.HMIS_ADMIN, Role.AGENCY_STAFF}),
    Action.ADMINISTER: frozenset({Role.HMIS_ADMIN}),
    Action.REQUEST_CORRECTION: frozenset({Role.HMIS_ADMIN, Role.AGENCY_STAFF, Role.CLIENT}),
    Action.RESOLVE_CORRECTION: frozenset({Role.HMIS_ADMIN, Role.AGENCY_STAFF}),
    Action.FILE_COMPLAINT: frozenset({Role.HMIS_ADMIN, Role.AGENCY_STAFF, Role.CLIENT}),
    Action.UPDATE_COMPLAINT: frozenset({Role.HMIS_ADMIN}),
}


# Agency staff may perform these only on records their own organization owns: services and
# agency-only records (the writer's organization), deleting one of them, and resolving a
# correction (the organization that entered the client). Administrators are not bound.
OWN_ORGANIZATION_ONLY = frozenset(
    {Action.RECORD_SERVICE, Action.DELETE_RECORD, Action.RESOLVE_CORRECTION}
)
# A signed-in client performs these only for their own linked record.
OWN_RECORD_ONLY = frozenset({Action.REQUEST_CORRECTION, Action.FILE_COMPLAINT})
# HUD: a victim service provider may not store PPI in the HMIS. Contact details (phone, email,
# address) identify a person as surely as a name does, so they count as PPI here too.
VSP_WITHHELD = frozenset({ElementGroup.IDENTITY, ElementGroup.CONTACT})


def may_write(
    principal: Principal,
    action: Action,
    *,
    owner_org: uuid.UUID | None = None,
    own_record: bool = False,
) -> bool:
    """Whether the caller may perform `action` (on a record owned by `owner_org`; about the
    caller's own linked record when `own_record`)."""
    role = acting_role(principal)
    if role not in WRITE_TABLE[action]:
        return False
    if role is Role.AGENCY_STAFF and action in OWN_ORGANIZATION_ONLY:
        return owner_org is not None and owner_org == principal.organization_id
    if role is Role.CLIENT and action in OWN_RECORD_ONLY:
        return own_record
    return True


def may_record_refusal(principal: Principal, *, serves_client: bool) -> bool:
    """A refusal is recorded by administrators or by staff of an organization that serves
    the client (it holds the signed form; POLICY.md, who may record and revoke)."""
    role = acting_role(principal)
    return role is Role.HMIS_ADMIN or (role is Role.AGENCY_STAFF and serves_client)


def may_revoke_refusal(principal: Principal, *, recorded_by_own_org: bool) -> bool:
    """A refusal is revoked by administrators or by staff of the organization that recorded
    it; anyone else gets the answer they would get if no refusal existed."""
    role = acting_role(principal)
    return role is Role.HMIS_ADMIN or (role is Role.AGENCY_STAFF and recorded_by_own_org)


def may_store(group: ElementGroup, *, victim_service_provider: bool) -> bool:
    """Whether an organization may store data of `group` in the HMIS at all."""
    return not (victim_service_provider and group in VSP_WITHHELD)


def may_find_duplicates(principal: Principal) -> bool:
    """Duplicate candidates compare every client's identifiers: a data-quality check, an
    administrator use (POLICY.md, other uses); merging them is `Action.ADMINISTER`."""
    return acting_role(principal) is Role.HMIS_ADMIN


def sees_complaint(principal: Principal, *, is_complainant: bool) -> bool:
    """Complaints: the complainant and HMIS administrators only, never partner organizations
    (not even the one that filed it for the client) and not auditors."""
    role = acting_role(principal)
    return role is Role.HMIS_ADMIN or (role is Role.CLIENT and is_complainant)


def sees_correction_request(
    principal: Principal, *, owner_org: uuid.UUID | None, requested_by: str, own_record: bool
) -> bool:
    """Correction requests: administrators and auditors; staff who may resolve it (of the
    organization that entered the client) or who filed it; the client it is about."""
    role = acting_role(principal)
    if role in {Role.HMIS_ADMIN, Role.AUDITOR}:
        return True
    if role is Role.AGENCY_STAFF:
        return requested_by == principal.subject or may_write(
            principal, Action.RESOLVE_CORRECTION, owner_org=owner_org
        )
    return role is Role.CLIENT and own_record
