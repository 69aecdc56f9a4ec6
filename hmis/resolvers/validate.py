"""Input validation: every rule once, each failure naming the field and the rule.

A `Check` collects problems for one mutation input; `done()` raises `Invalid` with all of
them, inside the mutation's transaction, so nothing is written.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from hmis import hud

EARLIEST_DOB = date(1900, 1, 1)
# HUD: nine characters; a partial SSN keeps the known digits and marks the rest with 'x'.
SSN_SHAPE = re.compile(r"^[0-9xX]{9}$")


@dataclass(frozen=True)
class Problem:
    field: list[str]
    message: str
    code: str


class Invalid(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def today() -> date:
    return datetime.now(UTC).date()


class Check:
    def __init__(self, root: str = "input"):
        self.root = root
        self.problems: list[Problem] = []

    def fail(self, field: str, message: str, code: str) -> None:
        """Record a problem; `field` may be a column name: callers read GraphQL names."""
        head, *rest = field.split("_")
        name = head + "".join(part.title() for part in rest)
        self.problems.append(Problem([self.root, *name.split(".")], message, code))

    def done(self) -> None:
        if self.problems:
            raise Invalid(self.problems)

    # --- rules ---------------------------------------------------------------------------

    def uuid(self, field: str, value) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(value))
        except ValueError:
            self.fail(field, f"`{field}` is not a valid ID", "INVALID_ID")
            return None

    def text(self, field: str, value: str | None, *, max_length: int, required=False):
        if value is None or not value.strip():
            if required:
                self.fail(field, f"`{field}` is required", "REQUIRED")
            return None
        value = value.strip()
        if len(value) > max_length:
            self.fail(field, f"`{field}` is longer than {max_length} characters", "TOO_LONG")
        return value

    def ssn(self, field: str, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.replace("-", "").strip()
        if not SSN_SHAPE.match(value):
            self.fail(field, "SSN must be nine digits, with 'x' for unknown digits (HUD partial "
                      "SSN)", "INVALID_SSN")  # fmt: skip
            return None
        value = value.lower()
        if value.isdigit() and (
            value[:3] in {"000", "666"} or value[0] == "9" or value[3:5] == "00"
            or value[5:] == "0000"
        ):  # fmt: skip
            self.fail(field, "SSN is not one the Social Security Administration issues",
                      "INVALID_SSN")  # fmt: skip
        return value

    def past_date(self, field: str, value: date | None, *, earliest: date = EARLIEST_DOB):
        if value is None:
            return None
        if value > today():
            self.fail(field, f"`{field}` is in the future", "DATE_IN_FUTURE")
        elif value < earliest:
            self.fail(field, f"`{field}` is before {earliest.isoformat()}", "DATE_TOO_EARLY")
        return value

    def not_before(self, field: str, value: date | None, other: date, other_name: str):
        if value is not None and value < other:
            self.fail(field, f"`{field}` is before {other_name} ({other.isoformat()})",
                      "DATE_ORDER")  # fmt: skip


def ssn_quality(ssn: str | None) -> int:
    """HUD data quality derived from the value given (used when the caller omits it)."""
    if ssn is None:
        return int(hud.SsnDataQuality.DATA_NOT_COLLECTED)
    return int(
        hud.SsnDataQuality.FULL if ssn.isdigit() else hud.SsnDataQuality.APPROXIMATE_OR_PARTIAL
    )


def name_quality(*names: str | None) -> int:
    if all(names):
        return int(hud.NameDataQuality.FULL)
    if any(names):
        return int(hud.NameDataQuality.PARTIAL)
    return int(hud.NameDataQuality.DATA_NOT_COLLECTED)


def dob_quality(dob: date | None) -> int:
    return int(hud.DobDataQuality.FULL if dob else hud.DobDataQuality.DATA_NOT_COLLECTED)
