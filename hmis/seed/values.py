"""Values of one record at a time for the synthetic CoC (see hmis.seed.build): a person's
identity and demographics, a later edit of the profile, income and domestic violence."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from random import Random
from typing import Any

from hmis.db.models.clients import GENDER_COLUMNS, RACE_COLUMNS
from hmis.seed import data
from hmis.seed.data import Pools


@dataclass
class Person:
    id: uuid.UUID
    relationship: int
    dob: date  # the true date of birth (the record may lack it or hold a typo)
    woman: bool
    disabling: int = 0
    disabilities: list[tuple[int, int]] = field(default_factory=list)


def age(dob: date, day: date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def identity(
    rng: Random, pools: Pools, person: Person, adult: bool, like: dict | None
) -> dict[str, Any]:
    names = pools.female if person.woman else pools.male
    last = rng.choice(pools.last)
    if like and like["last_name"] and rng.random() < (0.8 if not adult else 0.5):
        last = like["last_name"]  # children (and some partners) share the head's name
    values = dict(
        first_name=rng.choice(names),
        middle_name=rng.choice(names) if rng.random() < 0.35 else None,
        last_name=last,
        name_suffix=rng.choice(data.NAME_SUFFIXES)
        if not person.woman and rng.random() < 0.02
        else None,
        name_data_quality=1,
        ssn=data.ssn(rng),
        ssn_data_quality=1,
        dob=person.dob,
        dob_data_quality=1,
    )
    r = rng.random()
    if r > 0.96:  # no name given
        values |= dict.fromkeys(("first_name", "middle_name", "last_name", "name_suffix"))
        values["name_data_quality"] = data.MISSING.pick(rng)
    elif r > 0.92:  # a street name or first name only
        values |= dict(middle_name=None, last_name=None, name_suffix=None)
        values["name_data_quality"] = 2
    r = rng.random()
    if r > (0.78 if adult else 0.55):
        values["ssn"], values["ssn_data_quality"] = None, data.MISSING.pick(rng)
    elif adult and r > 0.72:  # the last four digits only, HUD's "x" placeholders
        values["ssn"], values["ssn_data_quality"] = f"xxxxx{values['ssn'][5:]}", 2
    r = rng.random()
    if r > 0.95:
        values["dob"], values["dob_data_quality"] = None, data.MISSING.pick(rng)
    elif r > 0.9:  # the year only
        values["dob"], values["dob_data_quality"] = date(person.dob.year, 1, 1), 2
    return values


def profile_change(
    rng: Random, pools: Pools, person: Person, values: dict, adult: bool
) -> dict[str, Any]:
    """A later edit to the profile: returns the changed fields (may alter `values`)."""
    options = ["dob"]
    if adult and person.woman and values["last_name"]:
        options.append("last_name")
    if values["ssn_data_quality"] != 1:
        options.append("ssn")
    if adult and values["veteran_status"] not in (0, 1):
        options.append("veteran_status")
    chosen = rng.choice(options)
    if chosen == "last_name":  # married or took back a former name
        return {"last_name": rng.choice(pools.last)}
    if chosen == "ssn":  # the card was found: the full number, same last four if known
        full = data.ssn(rng)
        if values["ssn"]:
            full = full[:5] + values["ssn"][5:]
        return {"ssn": full, "ssn_data_quality": 1}
    if chosen == "veteran_status":
        return {"veteran_status": int(rng.random() < 0.1)}
    if values["dob_data_quality"] == 1:  # a typo at intake (the year off by one)
        dob = person.dob
        values["dob"] = date(dob.year + rng.choice((-1, 1)), dob.month, min(dob.day, 28))
        return {"dob": dob}
    return {"dob": person.dob, "dob_data_quality": 1}


def race(rng: Random, like: dict | None) -> dict[str, Any]:
    if like and rng.random() < 0.85:
        return {k: like[k] for k in (*RACE_COLUMNS, "race_none", "additional_race_ethnicity")}
    values: dict[str, Any] = dict.fromkeys(RACE_COLUMNS, 0)
    values |= dict(race_none=None, additional_race_ethnicity=None)
    if rng.random() < 0.03:
        values["race_none"] = data.MISSING.pick(rng)  # RaceNone only when none given
        return values
    values[data.RACES.pick(rng)] = 1
    if rng.random() < 0.2:
        values["hispanic_latinaeo"] = 1
    if rng.random() < 0.06:
        values[data.RACES.pick(rng)] = 1
    if rng.random() < 0.03:
        values["additional_race_ethnicity"] = rng.choice(data.ADDITIONAL_RACE)
    return values


def gender(rng: Random, woman: bool, adult: bool) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(GENDER_COLUMNS, 0)
    values |= dict(gender_none=None, different_identity_text=None)
    r = rng.random()
    if r < 0.01:
        values["gender_none"] = data.MISSING.pick(rng)
    elif adult and r < 0.02:
        values["non_binary"] = 1
    elif adult and r < 0.023:
        values["culturally_specific"] = 1
    elif adult and r < 0.025:
        values["different_identity"] = 1
        values["different_identity_text"] = rng.choice(data.DIFFERENT_IDENTITY)
    else:
        values["woman" if woman else "man"] = 1
        if adult and rng.random() < 0.012:
            values["transgender"] = 1
        if adult and rng.random() < 0.004:
            values["questioning"] = 1
    return values


def income(rng: Random) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys([*data.INCOME_AMOUNTS, *data.INCOME_AMOUNTS.values()])
    values |= dict(total_monthly_income=None, other_income_source_identify=None)
    r = rng.random()
    if r > 0.94:
        values["income_from_any_source"] = data.MISSING.pick(rng)
        return values
    values |= dict.fromkeys(data.INCOME_AMOUNTS, 0)
    if r > 0.5:
        values["income_from_any_source"] = 0
        return values
    total = 0
    for _ in range(rng.randint(1, 2)):
        flag, low, high = data.INCOME_SOURCES.pick(rng)
        if values[flag]:
            continue
        amount = data.money(rng, low, high)
        values[flag] = 1
        values[data.INCOME_AMOUNTS[flag]] = amount
        total += amount
        if flag == "other_income_source":
            values["other_income_source_identify"] = rng.choice(data.OTHER_INCOME)
    values |= dict(income_from_any_source=1, total_monthly_income=total)
    return values


def violence(rng: Random, dv: bool) -> dict[str, Any]:
    r = rng.random()
    survivor = 1 if dv or r < 0.18 else (0 if r < 0.95 else data.MISSING.pick(rng))
    values: dict[str, Any] = dict(
        domestic_violence_survivor=survivor, when_occurred=None, currently_fleeing=None
    )
    if survivor == 1:
        values["when_occurred"] = rng.randint(1, 2) if dv else rng.randint(1, 4)
        values["currently_fleeing"] = int(rng.random() < (0.7 if dv else 0.25))
    return values
