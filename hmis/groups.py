"""The element groups of POLICY.md. Every field of client data belongs to exactly one."""

from __future__ import annotations

import enum


class ElementGroup(enum.Enum):
    # Shared with partner organizations (the notice's list).
    IDENTITY = "IDENTITY"
    DEMOGRAPHICS = "DEMOGRAPHICS"
    ENROLLMENTS = "ENROLLMENTS"
    CASE_MANAGER = "CASE_MANAGER"
    # Not shared: the entering organization, admins and auditors only.
    CONTACT = "CONTACT"
    HOUSEHOLD = "HOUSEHOLD"
    HEALTH = "HEALTH"
    INCOME = "INCOME"
    DOMESTIC_VIOLENCE = "DOMESTIC_VIOLENCE"
    CASE_NOTES = "CASE_NOTES"


SHARED_GROUPS = frozenset(
    {
        ElementGroup.IDENTITY,
        ElementGroup.DEMOGRAPHICS,
        ElementGroup.ENROLLMENTS,
        ElementGroup.CASE_MANAGER,
    }
)
