"""What each HUD column of an import holds: its kind, HUD's length, whether it is required,
and the range the database column takes (what the check refuses so that the database never
has to)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, Integer, Numeric, SmallInteger, String

from . import hud_csv as H

TIMESTAMPS = ("DateCreated", "DateUpdated", "DateDeleted")
# Required by HUD though our column is nullable (null: a profile recorded before FY2026).
HUD_REQUIRED = {"Sex"}
# The integers each database column type holds (PostgreSQL's; SQLite holds more), the
# narrowest type first (each is an Integer).
INTEGER_RANGES = ((SmallInteger, 2**15), (BigInteger, 2**63), (Integer, 2**31))


@dataclass(frozen=True)
class Column:
    kind: str  # "text", "int", "date", "money", "timestamp", "id"
    length: int | None = None
    required: bool = False
    # The smallest and largest value the database column takes (numbers).
    lowest: Any = None
    highest: Any = None


@cache
def columns(spec: H.HudFile, fy2024: bool) -> dict[str, Column]:
    """What each HUD column of a file holds, from the model's columns; the keys, references
    and stamps are HUD's."""
    found: dict[str, Column] = {}
    model = spec.model
    if model is not None:
        for name, key in names(model, fy2024).items():
            if not (fy2024 and name in HUD_REQUIRED):  # FY2024 had no Sex: left null
                found[name] = _kind(model.__table__.columns[key])
    for name in ("PersonalID", "EnrollmentID", "ProjectID", "OrganizationID"):
        if name in spec.columns and name != spec.key:
            found[name] = Column("id", 32, required=not _optional(spec, name))
    found[spec.key] = Column("id", 32, required=True)
    if spec is H.ENROLLMENT:
        found[H.DISABLING_CONDITION] = Column("int", lowest=-(2**31), highest=2**31 - 1)
    for name in TIMESTAMPS:
        if name in spec.columns:
            found[name] = Column("timestamp", required=name != "DateDeleted")
    if "UserID" in spec.columns and spec is not H.USER:
        found["UserID"] = Column("text", 32)
    return found


@cache
def names(model: type, fy2024: bool = False) -> dict[str, str]:
    """HUD column -> database column of a model's data (FY2024 names for FY2024 files)."""
    found = {}
    for column in model.__table__.columns:
        name = (fy2024 and column.info.get("fy2024")) or column.info.get("hud")
        skip = not name or name.startswith("(") or name in H.STAMPS
        if not skip and name not in H.KEYS:
            found[name] = column.key
    return found


def _optional(spec: H.HudFile, name: str) -> bool:
    return name == "EnrollmentID" and spec in H.AGENCY_ONLY


def _kind(column) -> Column:
    required = not column.nullable or column.info.get("hud") in HUD_REQUIRED
    kind = column.type
    if isinstance(kind, Boolean):
        return Column("int", required=required, lowest=0, highest=1)
    for integer, bound in INTEGER_RANGES:
        if isinstance(kind, integer):
            return Column("int", required=required, lowest=-bound, highest=bound - 1)
    if isinstance(kind, Date):
        return Column("date", required=required)
    if isinstance(kind, Numeric):
        # Numeric(precision, scale): fewer than precision - scale digits before the point.
        highest = Decimal(10) ** (kind.precision - kind.scale) - Decimal(10) ** -kind.scale
        return Column("money", required=required, lowest=-highest, highest=highest)
    if isinstance(kind, String):
        return Column("text", kind.length, required=required)
    return Column("text", required=required)
