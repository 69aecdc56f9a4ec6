"""What one request returned and wrote, by client, and why (the `HMIS-Purpose`): the
request's part of the audit log as it builds up (`RequestContext.access_log`), turned into
events by `hmis.resolvers.audit`. Depends on no request machinery, so `hmis.context` imports
it without a circle."""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from collections.abc import Iterable

from hmis.auth.principal import Role
from hmis.db.models.audit import AuditAction
from hmis.groups import ElementGroup


class Purpose(enum.Enum):
    """Why a caller uses client data: the `HMIS-Purpose` header, or the role's default.
    A closed list, so the header can never carry a name or a number into the log."""

    SERVICE_COORDINATION = "SERVICE_COORDINATION"  # providing and coordinating services
    BILLING = "BILLING"  # billing or funding
    ADMINISTRATION = "ADMINISTRATION"  # running the HMIS
    DATA_QUALITY = "DATA_QUALITY"  # checking for data errors
    AUDIT = "AUDIT"
    RESEARCH = "RESEARCH"
    AGGREGATE_REPORTING = "AGGREGATE_REPORTING"  # de-identified counts
    REQUIRED_BY_LAW = "REQUIRED_BY_LAW"  # disclosures the law requires or permits
    SELF_ACCESS = "SELF_ACCESS"  # a client reading their own record


DEFAULT_PURPOSE: dict[Role, Purpose] = {
    Role.HMIS_ADMIN: Purpose.ADMINISTRATION,
    Role.AGENCY_STAFF: Purpose.SERVICE_COORDINATION,
    Role.AUDITOR: Purpose.AUDIT,
    Role.RESEARCHER: Purpose.RESEARCH,
    Role.AGGREGATE_READER: Purpose.AGGREGATE_REPORTING,
    Role.CLIENT: Purpose.SELF_ACCESS,
}


class BadPurpose(ValueError):
    """The `HMIS-Purpose` header names no purpose of the list."""


def parse_purpose(header: str | None) -> Purpose | None:
    if header is None or not header.strip():
        return None
    try:
        return Purpose(header.strip().upper())
    except ValueError:
        names = ", ".join(p.value for p in Purpose)
        raise BadPurpose(f"HMIS-Purpose must be one of {names}") from None


# When a request returns a client through several fields, the event takes the first of these.
READ_ACTIONS = (AuditAction.EXPORT, AuditAction.SEARCH, AuditAction.VIEW, AuditAction.VIEW_LOG)


class AccessLog:
    """What one request returned and wrote, by client (`RequestContext.access_log`)."""

    def __init__(self) -> None:
        # (client, group) pairs presented; `Visibility.present` adds to it directly.
        self.presented: set[tuple[uuid.UUID, ElementGroup]] = set()
        self.actions: dict[uuid.UUID, AuditAction] = {}
        # What this request's writes already logged (a payload reading it back adds nothing).
        self.written: dict[uuid.UUID, set[ElementGroup]] = defaultdict(set)
        # The request makes a downloadable copy: every read is an export.
        self.exporting = False
        # Aggregate tables returned: the groups each was counted from (one event each).
        self.aggregates: list[set[ElementGroup]] = []

    def release(
        self,
        client_ids: Iterable[uuid.UUID],
        action: AuditAction,
        groups: Iterable[ElementGroup] = (),
    ) -> None:
        """A root field returns these clients; `groups` were used to choose them (a search
        matches on IDENTITY, an enrollment filter on ENROLLMENTS) even if none is selected."""
        groups = tuple(groups)
        for client_id in client_ids:
            current = self.actions.get(client_id)
            if current is None or READ_ACTIONS.index(action) < READ_ACTIONS.index(current):
                self.actions[client_id] = action
            self.presented.update((client_id, g) for g in groups)

    def take_reads(self) -> list[tuple[uuid.UUID | None, AuditAction, set[ElementGroup]]]:
        """One read event per client, once: what was presented and not already written; and
        one per aggregate table, with no client."""
        groups: dict[uuid.UUID, set[ElementGroup]] = defaultdict(set)
        for client_id, group in self.presented:
            groups[client_id].add(group)
        events = []
        for client_id in sorted(groups.keys() | self.actions.keys()):
            fresh = groups[client_id] - self.written.get(client_id, set())
            if fresh or (client_id in self.actions and client_id not in self.written):
                action = self.actions.get(client_id, AuditAction.VIEW)
                events.append((client_id, AuditAction.EXPORT if self.exporting else action, fresh))
        events += [(None, AuditAction.AGGREGATE, groups) for groups in self.aggregates]
        self.presented.clear()
        self.actions.clear()
        self.aggregates.clear()
        return events
