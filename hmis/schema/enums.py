"""GraphQL enums: HUD FY2026 code lists (HUD's label and code as each value's description),
the element groups and access bases."""

from __future__ import annotations

import enum

import strawberry

from hmis import hud, rights
from hmis.auth.policy import Basis
from hmis.groups import ElementGroup as Group


def hud_enum(
    source: type[hud.HudCode], deprecated: dict[str, tuple[hud.HudCode, str]] | None = None
):
    """A GraphQL enum with the HUD list's names; values keep HUD's integer codes.

    `deprecated`: old names still accepted as input, each standing for a current member
    (its value is the negated code, so Python does not fold it into that member; `canonical`
    turns it back)."""
    members = {
        m.name: strawberry.enum_value(int(m), description=f"HUD {int(m)}: {m.label}")
        for m in source
    }
    for name, (member, reason) in (deprecated or {}).items():
        members[name] = strawberry.enum_value(
            -int(member), description=f"HUD {int(member)}", deprecation_reason=reason
        )
    return strawberry.enum(enum.Enum(source.__name__, members), description=source.__doc__)


def canonical(value):
    """A deprecated enum value (`hud_enum`) as the current member with the same code."""
    return type(value)(-value.value) if value.value < 0 else value


def code(enum_type, value: int | None):
    """A stored HUD code as the GraphQL enum value (None stays None)."""
    if value is None:
        return None
    # The member `enum_type(value)` returns, without its Python-level call (a page converts
    # thousands of codes); anything else (an unknown code) goes through the call and fails.
    found = enum_type._value2member_map_.get(value)
    return found if found is not None else enum_type(value)


NoYesMissing = hud_enum(hud.NoYesMissing)
NameDataQuality = hud_enum(hud.NameDataQuality)
SsnDataQuality = hud_enum(hud.SsnDataQuality)
DobDataQuality = hud_enum(hud.DobDataQuality)
Race = hud_enum(
    hud.Race,
    {"HISPANIC_LATINAEO": (hud.Race.HISPANIC_LATINAO, "FY2026 renamed it HISPANIC_LATINAO.")},
)
Sex = hud_enum(hud.Sex)
Gender = hud_enum(hud.Gender)
RelationshipToHoH = hud_enum(hud.RelationshipToHoH)
ProjectType = hud_enum(hud.ProjectType)
Destination = hud_enum(hud.Destination)
RentalSubsidyType = hud_enum(hud.RentalSubsidyType)
ReasonForLeaving = hud_enum(hud.ReasonForLeaving)
DisabilityType = hud_enum(hud.DisabilityType)
DisabilityResponse = hud_enum(hud.DisabilityResponse)
WhenDVOccurred = hud_enum(hud.WhenDVOccurred)
DataCollectionStage = hud_enum(hud.DataCollectionStage)
IncomeSourceType = strawberry.enum(
    enum.Enum(
        "IncomeSourceType",
        {
            key.upper(): strawberry.enum_value(key, description=f"IncomeBenefits.csv {flag}")
            for key, (flag, _amount) in hud.INCOME_SOURCE_COLUMNS.items()
        },
    ),
    description="A source of income (HUD 4.02), named after its IncomeBenefits.csv column.",
)
CorrectionStatus = strawberry.enum(rights.CorrectionStatus, description="A correction request.")
ComplaintStatus = strawberry.enum(
    rights.ComplaintStatus,
    description="RECEIVED -> UNDER_REVIEW -> RESOLVED, or UNDER_REVIEW -> ESCALATED -> RESOLVED.",
)

ElementGroup = strawberry.enum(Group, description="The element groups of the privacy notice.")
AccessBasis = strawberry.enum(Basis, description="Why a group is, or is not, visible to you.")
