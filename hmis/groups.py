"""The element groups of POLICY.md. Every field of client data belongs to exactly one."""

from __future__ import annotations

import enum


class ElementGroup(enum.Enum):
    # Members are singletons compared by identity: hashed by identity too, in C (Enum's own
    # __hash__ is Python code, and a page hashes groups tens of thousands of times).
    __hash__ = object.__hash__

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
