"""HUD's consistency rules for dated assessments (FY2024 Data Standards 3.08, 4.02,
4.05-4.11): which answers go together. Each takes a `Check` and the caller's input, reports
problems on the input's fields, and returns the column values to store."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hmis import hud
from hmis.db import models

from .validate import Check

YES, NO = int(hud.NoYesMissing.YES), int(hud.NoYesMissing.NO)


def _code(value) -> int | None:
    """A HUD code from a GraphQL enum value (or None)."""
    return None if value is None else int(value.value)


def _column(model, csv_name: str) -> str:
    return next(c.key for c in model.__table__.columns if c.info.get("hud") == csv_name)


# Each income source: (its key, flag column, amount column), from the HUD CSV names.
INCOME_COLUMNS = [
    (key, _column(models.IncomeBenefit, flag), _column(models.IncomeBenefit, amount))
    for key, (flag, amount) in hud.INCOME_SOURCE_COLUMNS.items()
]


def disabilities(check: Check, disabling_condition, given) -> list[dict[str, Any]]:
    """Each response from the list for its type (4.10.2 for substance use, else 1.8), one
    record per type, IndefiniteAndImpairs only for a disability that is present, and a
    disabling condition of YES when one is (developmental, HIV/AIDS, or long-lasting)."""
    found, seen = [], set()
    for i, d in enumerate(given or []):
        kind = hud.DisabilityType(d.disability_type.value)
        if kind in seen:
            check.fail(f"disabilities.{i}.disability_type", "each type once", "DUPLICATE")
        seen.add(kind)
        substance = kind is hud.DisabilityType.SUBSTANCE_USE
        codes, name = (hud.DisabilityResponse, "4.10.2") if substance else (hud.NoYesMissing, "1.8")
        check.code(f"disabilities.{i}.response", d.response, codes, name)
        present = d.response in ((1, 2, 3) if substance else (YES,))
        lasting = _code(d.indefinite_and_impairs) == YES
        if lasting and not present:
            check.fail(
                f"disabilities.{i}.indefinite_and_impairs",
                "only for a disability that is present",
                "INCONSISTENT",
            )
        always = kind in (hud.DisabilityType.DEVELOPMENTAL, hud.DisabilityType.HIV_AIDS)
        if present and (always or lasting) and _code(disabling_condition) != YES:
            check.fail(
                "disabling_condition",
                f"must be YES: {kind.label} is a disabling condition",
                "INCONSISTENT",
            )
        found.append(
            dict(
                disability_type=int(kind),
                disability_response=d.response,
                indefinite_and_impairs=_code(d.indefinite_and_impairs),
            )
        )
    return found


def income(check: Check, any_source_answer, total, sources, other_identify) -> dict[str, Any]:
    """Sources only with income from any source YES (then at least one, each once, amounts
    of dollars and cents from 0), the total the sum of the amounts (derived when omitted),
    OtherIncomeSourceIdentify with other income; each flag 0/1 when the answer is YES or NO."""
    any_source = _code(any_source_answer)
    answered = any_source in (NO, YES)
    given: dict[str, Decimal | None] = {}
    for i, s in enumerate(sources or []):
        if s.source.value in given:
            check.fail(f"sources.{i}.source", "each source once", "DUPLICATE")
        given[s.source.value] = check.amount(f"sources.{i}.amount", s.amount)
    if given and any_source != YES:
        check.fail("income_from_any_source", "must be YES when sources are given", "INCONSISTENT")
    if any_source == YES and not given:
        check.fail("sources", "give each source when income from any source is YES", "REQUIRED")
    total = check.amount("total_monthly_income", total)
    counted = sum((a for a in given.values() if a is not None), Decimal(0))
    if total is not None and total != counted and not check.problems:
        check.fail(
            "total_monthly_income",
            f"must equal the sum of the sources ({counted})",
            "TOTAL_MISMATCH",
        )
    other = check.text(
        "other_income_source_identify",
        other_identify,
        max_length=50,
        required="other_income_source" in given,
    )
    values: dict[str, Any] = {
        "income_from_any_source": any_source,
        "total_monthly_income": total if total is not None else (counted if answered else None),
        "other_income_source_identify": other,
    }
    for key, flag, amount in INCOME_COLUMNS:
        values[flag] = int(key in given) if answered else None
        values[amount] = given.get(key)
    return values


def domestic_violence(check: Check, survivor, when_occurred, currently_fleeing) -> dict[str, Any]:
    """When it occurred and whether currently fleeing only for a survivor (4.11 A and B)."""
    if _code(survivor) != YES:
        for name, value in (
            ("when_occurred", when_occurred),
            ("currently_fleeing", currently_fleeing),
        ):
            if value is not None:
                check.fail(name, "only when survivor is YES", "INCONSISTENT")
    return {
        "domestic_violence_survivor": _code(survivor),
        "when_occurred": _code(when_occurred),
        "currently_fleeing": _code(currently_fleeing),
    }
