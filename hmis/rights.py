"""The client's rights as data: correction and complaint states, the complaint workflow, and
the fields a correction may change (POLICY.md, Rights)."""

from __future__ import annotations

import enum


class CorrectionStatus(enum.Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"  # the change was applied as a correction version
    DENIED = "DENIED"  # the reason is recorded


class ComplaintStatus(enum.Enum):
    RECEIVED = "RECEIVED"
    UNDER_REVIEW = "UNDER_REVIEW"
    ESCALATED = "ESCALATED"  # to the county's Community Services
    RESOLVED = "RESOLVED"


C = ComplaintStatus
# RECEIVED -> UNDER_REVIEW -> RESOLVED, or UNDER_REVIEW -> ESCALATED -> RESOLVED.
COMPLAINT_TRANSITIONS: dict[str, frozenset[str]] = {
    C.RECEIVED.value: frozenset({C.UNDER_REVIEW.value}),
    C.UNDER_REVIEW.value: frozenset({C.ESCALATED.value, C.RESOLVED.value}),
    C.ESCALATED.value: frozenset({C.RESOLVED.value}),
    C.RESOLVED.value: frozenset(),
}

# A correction changes one IDENTITY field (the client's PPI): GraphQL name -> column.
CORRECTABLE_FIELDS: dict[str, str] = {
    "firstName": "first_name",
    "middleName": "middle_name",
    "lastName": "last_name",
    "nameSuffix": "name_suffix",
    "ssn": "ssn",
    "dob": "dob",
}
