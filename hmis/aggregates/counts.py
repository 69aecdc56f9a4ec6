"""Unduplicated counts in the database: one statement per query, GROUP BY and COUNT DISTINCT
over every client of the CoC (the notice allows de-identified aggregates of every client,
refused or not). Records entered in error (deleted) are left out.

The statement: a common table of the enrollments the measure takes (one row per enrollment
and, for race and gender, per category reported), with each dimension's key; then the
counts by both keys, by each key, and in all (the margins and the total the suppression
needs), as one UNION ALL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from hmis import hud
from hmis.db import models

from .definitions import Dimension, Measure, Period

ADULT_AGE = 18
# HUD APR age ranges: (key, lowest age, highest age)
AGE_GROUPS = [
    ("UNDER_5", 0, 4), ("5_TO_12", 5, 12), ("13_TO_17", 13, 17), ("18_TO_24", 18, 24),
    ("25_TO_34", 25, 34), ("35_TO_44", 35, 44), ("45_TO_54", 45, 54), ("55_TO_64", 55, 64),
    ("65_AND_OVER", 65, 200),
]  # fmt: skip
# HUD 3.12 destinations by class (the hundreds of the FY2024 codes); the rest is "other".
DESTINATION_CLASSES = {1: "HOMELESS", 2: "INSTITUTIONAL", 3: "TEMPORARY", 4: "PERMANENT"}
VETERAN = {1: "YES", 0: "NO", 8: "DOESNT_KNOW_OR_PREFERS_NOT", 9: "DOESNT_KNOW_OR_PREFERS_NOT"}
# HUD FY2026 4.21 Sex; a profile recorded before FY2026 has none (not collected).
SEX = {0: "FEMALE", 1: "MALE", 8: "DOESNT_KNOW_OR_PREFERS_NOT", 9: "DOESNT_KNOW_OR_PREFERS_NOT"}
# Category -> Client column (HUD's names, lower case); NOT_REPORTED: none of them.
# Each race's flag column (found by its HUD CSV name: FY2026 renamed HispanicLatinaeo, the
# column kept its name so history reads alike).
RACE_KEYS = {
    race.name: next(
        c.key
        for c in models.Client.__table__.columns
        if c.info.get("hud") == hud.RACE_COLUMNS[race]
    )  # fmt: skip
    for race in hud.Race
} | {"NOT_REPORTED": None}
GENDER_KEYS = {gender.name: gender.name.lower() for gender in hud.Gender} | {"NOT_REPORTED": None}
FIXED_KEYS: dict[Dimension, list[str]] = {
    Dimension.PROJECT_TYPE: [t.name for t in hud.ProjectType] + ["UNKNOWN"],
    Dimension.HOUSEHOLD_TYPE: ["ADULTS_ONLY", "ADULTS_AND_CHILDREN", "CHILDREN_ONLY", "UNKNOWN"],
    Dimension.AGE_GROUP: [key for key, _, _ in AGE_GROUPS] + ["UNKNOWN"],
    Dimension.RACE_ETHNICITY: list(RACE_KEYS),
    Dimension.GENDER: list(GENDER_KEYS),
    Dimension.VETERAN_STATUS: ["YES", "NO", "DOESNT_KNOW_OR_PREFERS_NOT", "NOT_COLLECTED"],
    Dimension.SEX: ["FEMALE", "MALE", "DOESNT_KNOW_OR_PREFERS_NOT", "NOT_COLLECTED"],
    Dimension.DESTINATION_CLASS: [*DESTINATION_CLASSES.values(), "OTHER", "NO_EXIT"],
}


@dataclass
class Counts:
    """The true counts of a query (before suppression): by key tuples of `dimensions`."""

    dimensions: list[Dimension]
    keys: list[list[str]]  # every key of each dimension, in order
    total: int = 0
    margins: list[dict[str, int]] = field(default_factory=list)
    cells: dict[tuple[str, ...], int] = field(default_factory=dict)


async def count(
    session: AsyncSession, *, measure: Measure, period: Period, by: list[Dimension]
) -> Counts:
    organizations = await _organizations(session) if Dimension.ORGANIZATION in by else {}
    keys = [sorted(organizations.values()) if d is Dimension.ORGANIZATION else FIXED_KEYS[d]
            for d in by]  # fmt: skip
    statement = _statement(session.bind.dialect.name, measure, period, by)
    if session.bind.dialect.name == "postgresql":  # the four groupings sort in memory
        await session.execute(text("SET LOCAL work_mem = '32MB'"))
    counts = Counts(by, keys, margins=[dict.fromkeys(k, 0) for k in keys])
    counts.cells = {key: 0 for key in _product(keys)} if len(by) == 2 else {}
    for level, k1, k2, n in (await session.execute(statement)).all():
        named = [organizations.get(k, k) if d is Dimension.ORGANIZATION else k
                 for d, k in zip(by, (k1, k2), strict=False)]  # fmt: skip
        if level == 0:
            counts.total = n
        elif level == 3:
            counts.cells[(named[0], named[1])] = n
        else:
            counts.margins[level - 1][named[level - 1]] = n
    if len(by) == 1:
        counts.cells = {(k,): n for k, n in counts.margins[0].items()}
    return counts


def sql_text(bind, *, measure: Measure, period: Period, by: list[Dimension]) -> str:
    """The statement `count` runs, with its values inlined (for the benchmark's report)."""
    statement = _statement(bind.dialect.name, measure, period, by)
    return str(statement.compile(bind, compile_kwargs={"literal_binds": True}))


def _product(keys: list[list[str]]) -> list[tuple[str, ...]]:
    return [(a, b) for a in keys[0] for b in keys[1]]


async def _organizations(session: AsyncSession) -> dict[str, str]:
    """Organization names by the text of their IDs (as the statement's keys are)."""
    rows = await session.execute(select(models.Organization.id, models.Organization.name))
    return {_id_text(session, row.id): row.name for row in rows}


def _id_text(session: AsyncSession, value: uuid.UUID) -> str:
    # SQLAlchemy keeps UUIDs as 32 hex digits on SQLite; PostgreSQL casts to the dashed form.
    return value.hex if session.bind.dialect.name == "sqlite" else str(value)


def _statement(dialect: str, measure: Measure, period: Period, by: list[Dimension]):
    """The one statement: level 0 the total, 1 and 2 each dimension's margin, 3 the cells."""
    facts = _facts(dialect, measure, period, by)
    unit = facts.c.unit
    keys = [facts.c[f"k{i}"] for i in range(len(by))]
    parts = [select(literal(0), null(), null(), func.count(unit.distinct()))]
    for i, key in enumerate(keys):
        row = [key, null()] if i == 0 else [null(), key]
        parts.append(select(literal(i + 1), *row, func.count(unit.distinct())).group_by(key))
    if len(keys) == 2:
        parts.append(select(literal(3), *keys, func.count(unit.distinct())).group_by(*keys))
    return union_all(*parts)


def _facts(dialect: str, measure: Measure, period: Period, by: list[Dimension]):
    """The enrollments the measure takes, with the unit counted and each dimension's key."""
    e, c, p, x = models.Enrollment, models.Client, models.Project, models.Exit
    start, end = literal(period.start, Date), literal(period.end, Date)
    open_on = {
        Measure.PERSONS_SERVED: and_(e.entry_date <= end, or_(x.exit_date.is_(None),
                                                              x.exit_date >= start)),
        Measure.HOUSEHOLDS_SERVED: and_(e.entry_date <= end, or_(x.exit_date.is_(None),
                                                                 x.exit_date >= start)),
        Measure.ENROLLMENTS_STARTED: e.entry_date.between(start, end),
        Measure.EXITS: x.exit_date.between(start, end),
        # HUD counts nights: the exit day is not a night in the project.
        Measure.PERSONS_ACTIVE_ON_DATE: and_(e.entry_date <= start, or_(x.exit_date.is_(None),
                                                                        x.exit_date > start)),
    }[measure]  # fmt: skip
    household = func.coalesce(e.household_id, cast(e.id, String))
    unit = (
        case((e.relationship_to_hoh == 1, household))
        if measure is Measure.HOUSEHOLDS_SERVED
        else e.client_id
    )
    aged = bool({Dimension.AGE_GROUP, Dimension.HOUSEHOLD_TYPE} & set(by))
    columns = {
        "unit": unit,
        "client_id": e.client_id,
        "household": household,
        "project_type": p.project_type,
        "organization_id": cast(p.organization_id, String),  # keys are text
        "exit_date": x.exit_date,
        "destination": x.destination,
        "veteran_status": c.veteran_status,
        "sex": c.sex,
    }
    if aged:  # HUD: age on the later of the project start and the period's start
        columns["age"] = _age(dialect, _later(dialect, e.entry_date, start), c.dob)
    base = (
        select(*(v.label(k) for k, v in columns.items()))
        .select_from(e)
        .join(c, and_(c.id == e.client_id, c.date_deleted.is_(None)))
        .join(p, p.id == e.project_id)
        .outerjoin(x, and_(x.enrollment_id == e.id, x.date_deleted.is_(None)))
        .where(e.date_deleted.is_(None), open_on)
        .cte("enrolled")
    )
    source = base
    joins = []
    if Dimension.HOUSEHOLD_TYPE in by:
        hh = (
            select(
                base.c.household,
                func.max(case((base.c.age >= ADULT_AGE, 1), else_=0)).label("adult"),
                func.max(case((base.c.age < ADULT_AGE, 1), else_=0)).label("child"),
                func.max(case((base.c.age.is_(None), 1), else_=0)).label("unknown"),
            )
            .group_by(base.c.household)
            .subquery("households")
        )
        joins.append((hh, hh.c.household == base.c.household))
    flags = {}
    for dim, table, mapping in ((Dimension.RACE_ETHNICITY, "races", RACE_KEYS),
                                (Dimension.GENDER, "genders", GENDER_KEYS)):  # fmt: skip
        if dim in by:
            flags[dim] = _categories(table, mapping)
            joins.append((flags[dim], flags[dim].c.client_id == base.c.client_id))
    keys = []
    for i, dim in enumerate(by):
        if dim is Dimension.HOUSEHOLD_TYPE:
            key = case(
                (hh.c.unknown == 1, "UNKNOWN"),
                (and_(hh.c.adult == 1, hh.c.child == 1), "ADULTS_AND_CHILDREN"),
                (hh.c.adult == 1, "ADULTS_ONLY"),
                else_="CHILDREN_ONLY",
            )
        elif dim in flags:
            key = flags[dim].c.category
        else:
            key = _key(dialect, dim, source.c, end)
        keys.append(key.label(f"k{i}"))
    query = select(base.c.unit, *keys).select_from(base)
    for table, on in joins:
        query = query.join(table, on)
    return query.where(base.c.unit.is_not(None)).cte("facts")


def _key(dialect: str, dim: Dimension, f, end):
    """A dimension's key for a row of the enrollments (one key per row)."""
    if dim is Dimension.PROJECT_TYPE:
        return case({int(t): t.name for t in hud.ProjectType}, value=f.project_type,
                    else_="UNKNOWN")  # fmt: skip
    if dim is Dimension.ORGANIZATION:
        return f.organization_id
    if dim is Dimension.AGE_GROUP:
        if dialect == "postgresql":  # the age computed once (a simple CASE reads it once)
            lows = postgresql.array([lo for _, lo, _ in AGE_GROUPS[1:]])
            bucket = func.width_bucket(f.age, lows)
            groups = case({i: k for i, (k, _, _) in enumerate(AGE_GROUPS)}, value=bucket,
                          else_="UNKNOWN")  # fmt: skip
            return case((f.age < 0, "UNKNOWN"), else_=groups)  # a date of birth in error
        return case(*((f.age.between(lo, hi), k) for k, lo, hi in AGE_GROUPS), else_="UNKNOWN")
    if dim is Dimension.VETERAN_STATUS:
        return case(VETERAN, value=f.veteran_status, else_="NOT_COLLECTED")
    if dim is Dimension.SEX:
        return case(SEX, value=f.sex, else_="NOT_COLLECTED")
    if dim is Dimension.DESTINATION_CLASS:
        classes = [(f.destination.between(h * 100, h * 100 + 99), k)
                   for h, k in DESTINATION_CLASSES.items()]  # fmt: skip
        return case(
            (or_(f.exit_date.is_(None), f.exit_date > end), "NO_EXIT"), *classes, else_="OTHER"
        )
    raise AssertionError(dim)


def _categories(name: str, mapping: dict[str, str | None]):
    """HUD's non-exclusive categories as rows: (client, category) for each one reported, and
    NOT_REPORTED for a client who reported none."""
    c = models.Client
    columns = [getattr(c, column) for column in mapping.values() if column]
    parts = [
        select(c.id.label("client_id"), literal(key).label("category")).where(
            getattr(c, column) == 1
        )
        for key, column in mapping.items()
        if column
    ]
    parts.append(select(c.id, literal("NOT_REPORTED")).where(and_(*(col != 1 for col in columns))))
    return union_all(*parts).subquery(name)


def _later(dialect: str, a, b):
    return func.max(a, b) if dialect == "sqlite" else func.greatest(a, b)


def _age(dialect: str, on, dob):
    """Whole years from `dob` to `on` (None without a date of birth)."""
    if dialect == "sqlite":
        year = lambda d: cast(func.strftime("%Y", d), Integer)  # noqa: E731
        before_birthday = case((func.strftime("%m-%d", on) < func.strftime("%m-%d", dob), 1),
                               else_=0)  # fmt: skip
        return case((dob.is_(None), None), else_=year(on) - year(dob) - before_birthday)
    return cast(func.date_part("year", func.age(on, dob)), Integer)
