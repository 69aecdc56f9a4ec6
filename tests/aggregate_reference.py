"""Brute-force counts over the seeded rows, in Python, from HUD's definitions as
docs/aggregates.md states them: the reference `aggregateCounts` is checked against."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from hmis import hud
from hmis.aggregates.counts import RACE_KEYS
from hmis.aggregates.definitions import Dimension, Measure, Period
from hmis.db import models


async def load(sessions) -> dict:
    async with sessions() as s:
        rows = {}
        for name, model in (("clients", models.Client), ("enrollments", models.Enrollment),
                            ("exits", models.Exit), ("projects", models.Project),
                            ("organizations", models.Organization)):  # fmt: skip
            rows[name] = [dict(r._mapping) for r in await s.execute(select(model.__table__))]
    return rows


def _age(on: date, dob: date | None) -> int | None:
    if dob is None:
        return None
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def _age_group(age: int | None) -> str:
    if age is None:
        return "UNKNOWN"
    for key, lo, hi in (("UNDER_5", 0, 4), ("5_TO_12", 5, 12), ("13_TO_17", 13, 17),
                        ("18_TO_24", 18, 24), ("25_TO_34", 25, 34), ("35_TO_44", 35, 44),
                        ("45_TO_54", 45, 54), ("55_TO_64", 55, 64)):  # fmt: skip
        if lo <= age <= hi:
            return key
    return "65_AND_OVER" if age >= 65 else "UNKNOWN"


def _destination(exit_row, end: date) -> str:
    if exit_row is None or exit_row["exit_date"] > end:
        return "NO_EXIT"
    hundreds = exit_row["destination"] // 100
    return {1: "HOMELESS", 2: "INSTITUTIONAL", 3: "TEMPORARY", 4: "PERMANENT"}.get(
        hundreds, "OTHER"
    )


def count(data: dict, measure: Measure, period: Period, by: list[Dimension]):
    """(total, [margin per dimension], {key tuple: count}) as sets of units, counted."""
    start, end = period.start, period.end
    clients = {c["id"]: c for c in data["clients"] if c["date_deleted"] is None}
    projects = {p["id"]: p for p in data["projects"]}
    orgs = {o["id"]: o["name"] for o in data["organizations"]}
    exits = {x["enrollment_id"]: x for x in data["exits"] if x["date_deleted"] is None}
    taken = []
    for e in data["enrollments"]:
        if e["date_deleted"] is not None or e["client_id"] not in clients:
            continue
        x = exits.get(e["id"])
        out = x["exit_date"] if x else None
        keep = {
            Measure.PERSONS_SERVED: e["entry_date"] <= end and (out is None or out >= start),
            Measure.HOUSEHOLDS_SERVED: e["entry_date"] <= end and (out is None or out >= start),
            Measure.ENROLLMENTS_STARTED: start <= e["entry_date"] <= end,
            Measure.EXITS: out is not None and start <= out <= end,
            Measure.PERSONS_ACTIVE_ON_DATE: e["entry_date"] <= start
            and (out is None or out > start),
        }[measure]
        if keep:
            taken.append((e, x))
    household_ages = defaultdict(list)
    for e, _ in taken:
        c = clients[e["client_id"]]
        household_ages[e["household_id"] or str(e["id"])].append(
            _age(max(e["entry_date"], start), c["dob"])
        )

    def keys(dim: Dimension, e, x) -> list[str]:
        c, p = clients[e["client_id"]], projects[e["project_id"]]
        if dim is Dimension.PROJECT_TYPE:
            known = p["project_type"] in {int(t) for t in hud.ProjectType}
            return [hud.ProjectType(p["project_type"]).name if known else "UNKNOWN"]
        if dim is Dimension.ORGANIZATION:
            return [orgs[p["organization_id"]]]
        if dim is Dimension.AGE_GROUP:
            return [_age_group(_age(max(e["entry_date"], start), c["dob"]))]
        if dim is Dimension.VETERAN_STATUS:
            v = c["veteran_status"]
            return [{1: "YES", 0: "NO", 8: "DOESNT_KNOW_OR_PREFERS_NOT",
                     9: "DOESNT_KNOW_OR_PREFERS_NOT"}.get(v, "NOT_COLLECTED")]  # fmt: skip
        if dim is Dimension.SEX:
            return [{0: "FEMALE", 1: "MALE", 8: "DOESNT_KNOW_OR_PREFERS_NOT",
                     9: "DOESNT_KNOW_OR_PREFERS_NOT"}.get(c["sex"], "NOT_COLLECTED")]  # fmt: skip
        if dim is Dimension.DESTINATION_CLASS:
            return [_destination(x, end)]
        if dim is Dimension.HOUSEHOLD_TYPE:
            ages = household_ages[e["household_id"] or str(e["id"])]
            if any(a is None for a in ages):
                return ["UNKNOWN"]
            adult, child = any(a >= 18 for a in ages), any(a < 18 for a in ages)
            return ["ADULTS_AND_CHILDREN" if adult and child else
                    "ADULTS_ONLY" if adult else "CHILDREN_ONLY"]  # fmt: skip
        if dim is Dimension.RACE_ETHNICITY:
            found = [r.name for r in hud.Race if c[RACE_KEYS[r.name]] == 1]
        else:
            found = [g.name for g in hud.Gender if c[g.name.lower()] == 1]
        return found or ["NOT_REPORTED"]

    total, margins, cells = set(), [defaultdict(set) for _ in by], defaultdict(set)
    for e, x in taken:
        if measure is Measure.HOUSEHOLDS_SERVED:
            if e["relationship_to_hoh"] != 1:
                continue
            unit = e["household_id"] or str(e["id"])
        else:
            unit = e["client_id"]
        total.add(unit)
        per_dim = [keys(d, e, x) for d in by]
        for i, ks in enumerate(per_dim):
            for k in ks:
                margins[i][k].add(unit)
        if len(by) == 2:
            for a in per_dim[0]:
                for b in per_dim[1]:
                    cells[(a, b)].add(unit)
    return (
        len(total),
        [{k: len(v) for k, v in m.items()} for m in margins],
        {k: len(v) for k, v in cells.items()},
    )
