"""Input validation: every rule once, each failure naming the field and the rule.

A `Check` collects problems for one mutation input; `done()` raises `Invalid` with all of
them, inside the mutation's transaction, so nothing is written.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from hmis import hud

EARLIEST_DOB = date(1900, 1, 1)
# The longest first, middle or last name stored (and so the longest one worth searching).
MAX_NAME_LENGTH = 50
# HUD: nine characters; a partial SSN keeps the known digits and marks the rest with 'x'.
SSN_SHAPE = re.compile(r"^[0-9xX]{9}$")
# Punctuation people write in phone numbers; what remains must be the ten NANP digits.
PHONE_PUNCTUATION = re.compile(r"[\s().+-]")
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
ZIP_SHAPE = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")
# USPS codes of the states, DC and the territories HUD CoCs serve.
_USPS = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR VI GU AS MP"
)
US_STATES = frozenset(_USPS.split(" "))
# A monthly amount above this is a typing error (an annual figure, extra zeros).
MAX_MONTHLY_AMOUNT = Decimal("100000")


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

    def not_past(self, field: str, value: date | None, *, strictly_future=False):
        """Today or later (`strictly_future`: after today)."""
        if value is not None and (value <= today() if strictly_future else value < today()):
            when = "after today" if strictly_future else "today or later"
            self.fail(field, f"`{field}` must be {when}", "DATE_IN_PAST")
        return value

    def iso_date(self, field: str, value: str | None) -> date | None:
        if value is None:
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            self.fail(field, f"`{field}` is not a date (YYYY-MM-DD)", "INVALID_DATE")
            return None

    def phone(self, field: str, value: str | None) -> str | None:
        """Ten digits (US); stored as digits only."""
        if value is None or not value.strip():
            return None
        digits = PHONE_PUNCTUATION.sub("", value)
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        if not (digits.isdigit() and len(digits) == 10):
            self.fail(field, f"`{field}` must be a ten-digit US phone number", "INVALID_PHONE")
            return None
        return digits

    def digits(self, field: str, value: str | None, *, max_length: int) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.isdigit() or len(value) > max_length:
            self.fail(field, f"`{field}` must be at most {max_length} digits", "INVALID_DIGITS")
        return value

    def email(self, field: str, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if len(value) > 320 or not EMAIL_SHAPE.match(value):
            self.fail(field, f"`{field}` is not an email address (name@domain)", "INVALID_EMAIL")
        return value

    def us_state(self, field: str, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().upper()
        if value not in US_STATES:
            self.fail(field, f"`{field}` must be a two-letter USPS state code", "INVALID_STATE")
        return value

    def zip(self, field: str, value: str | None) -> str | None:
        """Five digits, or nine (ZIP+4, stored as 12345-6789)."""
        if value is None or not value.strip():
            return None
        found = ZIP_SHAPE.match(value.strip())
        if not found:
            self.fail(field, f"`{field}` must be 5 or 9 digits (ZIP or ZIP+4)", "INVALID_ZIP")
            return None
        return "-".join(part for part in found.groups() if part)

    def amount(self, field: str, value: Decimal | None) -> Decimal | None:
        """A monthly amount in dollars and cents."""
        if value is None:
            return None
        if not value.is_finite() or value.as_tuple().exponent < -2:
            self.fail(field, f"`{field}` must be dollars and cents", "INVALID_AMOUNT")
        elif value < 0:
            self.fail(field, f"`{field}` must not be negative", "NEGATIVE_AMOUNT")
        elif value > MAX_MONTHLY_AMOUNT:
            self.fail(field, f"`{field}` is more than {MAX_MONTHLY_AMOUNT} a month",
                      "OUT_OF_RANGE")  # fmt: skip
        return value

    def code(self, field: str, value: int | None, codes: type[hud.HudCode], list_name: str):
        """A HUD code given as a number, from the list that applies."""
        if value is not None and value not in {int(c) for c in codes}:
            allowed = ", ".join(str(int(c)) for c in codes)
            self.fail(field, f"`{field}` must be a HUD {list_name} code ({allowed})",
                      "WRONG_CODE")  # fmt: skip
        return value

    def transition(self, field: str, current: str, wanted: str,
                   graph: Mapping[str, frozenset[str]]) -> None:  # fmt: skip
        if wanted not in graph.get(current, frozenset()):
            allowed = ", ".join(sorted(graph.get(current, ()))) or "none"
            self.fail(field, f"cannot move from {current} to {wanted} (allowed: {allowed})",
                      "INVALID_TRANSITION")  # fmt: skip


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
