"""What can be counted, over which periods, by which dimensions: fixed lists, so that two
queries can never be subtracted to isolate a few people (docs/aggregates.md)."""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date

from hmis.errors import BadInput
from hmis.groups import ElementGroup

MAX_DIMENSIONS = 2


class Measure(enum.Enum):
    """Unduplicated counts: a person (or household) counts once per cell."""

    PERSONS_SERVED = "PERSONS_SERVED"  # an enrollment open on some day of the period
    HOUSEHOLDS_SERVED = "HOUSEHOLDS_SERVED"  # by their head of household's enrollment
    ENROLLMENTS_STARTED = "ENROLLMENTS_STARTED"  # persons with a project start in the period
    EXITS = "EXITS"  # persons with a project exit in the period
    PERSONS_ACTIVE_ON_DATE = "PERSONS_ACTIVE_ON_DATE"  # in a project the night of the start


class Dimension(enum.Enum):
    PROJECT_TYPE = "PROJECT_TYPE"
    HOUSEHOLD_TYPE = "HOUSEHOLD_TYPE"
    AGE_GROUP = "AGE_GROUP"
    RACE_ETHNICITY = "RACE_ETHNICITY"
    SEX = "SEX"
    GENDER = "GENDER"
    VETERAN_STATUS = "VETERAN_STATUS"
    DESTINATION_CLASS = "DESTINATION_CLASS"
    ORGANIZATION = "ORGANIZATION"


# The element groups each dimension is counted from (for the audit event and the docs).
DIMENSION_GROUPS: dict[Dimension, ElementGroup] = {
    Dimension.PROJECT_TYPE: ElementGroup.ENROLLMENTS,
    Dimension.HOUSEHOLD_TYPE: ElementGroup.HOUSEHOLD,
    Dimension.AGE_GROUP: ElementGroup.IDENTITY,  # date of birth
    Dimension.RACE_ETHNICITY: ElementGroup.DEMOGRAPHICS,
    Dimension.SEX: ElementGroup.DEMOGRAPHICS,
    Dimension.GENDER: ElementGroup.DEMOGRAPHICS,
    Dimension.VETERAN_STATUS: ElementGroup.DEMOGRAPHICS,
    Dimension.DESTINATION_CLASS: ElementGroup.ENROLLMENTS,
    Dimension.ORGANIZATION: ElementGroup.ENROLLMENTS,
}
# A person may fall in several rows of these (HUD's non-exclusive race and gender; several
# enrollments in the period for the others): rows may add up to more than the total.
NON_EXCLUSIVE = {
    Dimension.RACE_ETHNICITY: "a person counts in every race and ethnicity they reported",
    Dimension.GENDER: "a person counts in every gender they reported",
    Dimension.PROJECT_TYPE: "a person enrolled in several project types counts in each",
    Dimension.ORGANIZATION: "a person served by several organizations counts in each",
    Dimension.HOUSEHOLD_TYPE: "a person in several households counts in each household type",
    Dimension.AGE_GROUP: "a person whose enrollments fall in different age groups counts in each",
    Dimension.DESTINATION_CLASS: "a person with several exits counts in each destination class",
}
# Dimensions this HMIS cannot count (none since FY2026 Sex was added; kept for the next).
UNAVAILABLE: dict[Dimension, str] = {}


class PeriodUnit(enum.Enum):
    YEAR = "YEAR"
    QUARTER = "QUARTER"
    MONTH = "MONTH"


@dataclass(frozen=True)
class Period:
    """A whole calendar unit: a period one day shorter could be subtracted from it."""

    unit: PeriodUnit
    start: date

    @property
    def end(self) -> date:  # the last day, inclusive
        months = {PeriodUnit.YEAR: 12, PeriodUnit.QUARTER: 3, PeriodUnit.MONTH: 1}[self.unit]
        month = self.start.month + months - 1
        year = self.start.year + (month - 1) // 12
        month = (month - 1) % 12 + 1
        return date(year, month, calendar.monthrange(year, month)[1])

    def check(self, where: list[str]) -> Period:
        """The period, or BAD_USER_INPUT naming `where` (the path of the period's input)."""
        name = ".".join([*where, "start"])
        first_months = {
            PeriodUnit.YEAR: (1,),
            PeriodUnit.QUARTER: (1, 4, 7, 10),
            PeriodUnit.MONTH: tuple(range(1, 13)),
        }[self.unit]
        if self.start.day != 1 or self.start.month not in first_months:
            days = {
                PeriodUnit.YEAR: "1 January",
                PeriodUnit.QUARTER: "1 January, April, July or October",
                PeriodUnit.MONTH: "the first day of a month",
            }[self.unit]
            raise BadInput(
                f"`{name}` must be the first day of a calendar {self.unit.value.lower()} "
                f"({days}); got {self.start.isoformat()}",
                field=[*where, "start"],
            )
        if not 1900 <= self.start.year <= 2200:
            raise BadInput(f"`{name}` must lie in the years 1900 to 2200", field=[*where, "start"])
        return self


def check_dimensions(by: list[Dimension] | None, where: list[str]) -> list[Dimension]:
    """The dimensions, or BAD_USER_INPUT naming `where` (the path of `by`)."""
    by, name = list(by or []), ".".join(where)
    if len(by) > MAX_DIMENSIONS:
        raise BadInput(
            f"`{name}` takes at most {MAX_DIMENSIONS} dimensions; got {len(by)}", field=where
        )
    if len(set(by)) != len(by):
        raise BadInput(f"`{name}` names a dimension twice", field=where)
    for d in by:
        if d in UNAVAILABLE:
            raise BadInput(f"`{name}`: {UNAVAILABLE[d]}", field=where)
    return by
