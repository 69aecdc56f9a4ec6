"""The element-group types of a client: each is built from the values a decision allows."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import strawberry

from hmis import hud
from hmis.db import models
from hmis.groups import ElementGroup as G

from . import enums as E
from .grouping import grouped

Values = dict[str, Any]


def _column_for(model, csv_name: str, key: str = "hud") -> str:
    """The model column that stores a HUD CSV column (from the column's `info`; `key`
    "fy2024" for the FY2024 name, as of gender, a local element since FY2026)."""
    return next(c.key for c in model.__table__.columns if c.info.get(key) == csv_name)


# (column, GraphQL value) pairs of the HUD flag columns: 1 in a column means that value.
RACE_FLAGS = [
    (_column_for(models.Client, csv), E.Race(int(m))) for m, csv in hud.RACE_COLUMNS.items()
]
GENDER_FLAGS = [
    (_column_for(models.Client, csv, "fy2024"), E.Gender(int(m)))
    for m, csv in hud.GENDER_COLUMNS.items()
]
INCOME_FLAGS = [
    (
        csv_flag,
        _column_for(models.IncomeBenefit, csv_flag),
        _column_for(models.IncomeBenefit, csv_amount),
    )
    for csv_flag, csv_amount in hud.INCOME_SOURCE_COLUMNS.values()
]


@grouped(G.IDENTITY, "Protected personal information (PPI).")
class Identity:
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    name_suffix: str | None
    name_data_quality: E.NameDataQuality | None
    ssn: str | None
    ssn_data_quality: E.SsnDataQuality | None
    dob: datetime.date | None
    dob_data_quality: E.DobDataQuality | None

    @classmethod
    def of(cls, v: Values) -> Identity:
        return cls(
            first_name=v["first_name"],
            middle_name=v["middle_name"],
            last_name=v["last_name"],
            name_suffix=v["name_suffix"],
            name_data_quality=E.code(E.NameDataQuality, v["name_data_quality"]),
            ssn=v["ssn"],
            ssn_data_quality=E.code(E.SsnDataQuality, v["ssn_data_quality"]),
            dob=v["dob"],
            dob_data_quality=E.code(E.DobDataQuality, v["dob_data_quality"]),
        )


@grouped(
    G.DEMOGRAPHICS,
    "Race and ethnicity and sex (HUD FY2026), gender (a local element since FY2026) and "
    "veteran status.",
)
class Demographics:
    race: list[E.Race]
    additional_race_ethnicity: str | None
    sex: E.Sex | None = strawberry.field(
        description="HUD FY2026 4.21; null when recorded before FY2026 (never taken from gender)."
    )
    gender: list[E.Gender]
    different_identity_text: str | None
    veteran_status: E.NoYesMissing | None

    @classmethod
    def of(cls, v: Values) -> Demographics:
        return cls(
            race=[value for column, value in RACE_FLAGS if v[column] == 1],
            additional_race_ethnicity=v["additional_race_ethnicity"],
            sex=E.code(E.Sex, v["sex"]),
            gender=[value for column, value in GENDER_FLAGS if v[column] == 1],
            different_identity_text=v["different_identity_text"],
            veteran_status=E.code(E.NoYesMissing, v["veteran_status"]),
        )


@grouped(G.CONTACT, "How the entering organization reaches the client.")
class Contact:
    id: strawberry.ID = strawberry.field(description="Of this record (to delete it).")
    phone: str | None
    email: str | None
    address_line1: str | None
    city: str | None
    state: str | None
    zip: str | None

    @classmethod
    def of(cls, v: Values) -> Contact:
        fields = ("phone", "email", "address_line1", "city", "state", "zip")
        return cls(id=gid(v["id"]), **{k: v[k] for k in fields})


@grouped(G.HEALTH, "A disability of one type (HUD Disabilities.csv).")
class Disability:
    disability_type: E.DisabilityType
    disability_response: int = strawberry.field(
        description="HUD DisabilityResponse: 0/1/8/9/99, or for substance use list 4.10.2."
    )
    indefinite_and_impairs: E.NoYesMissing | None
    information_date: datetime.date

    @classmethod
    def of(cls, v: Values) -> Disability:
        return cls(
            disability_type=E.DisabilityType(v["disability_type"]),
            disability_response=v["disability_response"],
            indefinite_and_impairs=E.code(E.NoYesMissing, v["indefinite_and_impairs"]),
            information_date=v["information_date"],
        )


@grouped(G.HEALTH, "Disabling condition and disabilities by type.")
class Health:
    id: strawberry.ID | None = strawberry.field(
        description="Of the latest health record (to delete it, with its disabilities)."
    )
    disabling_condition: E.NoYesMissing | None
    information_date: datetime.date | None
    disabilities: list[Disability]


@grouped(G.INCOME, "One source of income and its monthly amount (HUD IncomeBenefits.csv).")
class IncomeSource:
    source: str = strawberry.field(description="The HUD IncomeBenefits.csv column, e.g. Earned.")
    amount: Decimal | None


@grouped(G.INCOME, "Income from any source, total monthly income and the sources.")
class Income:
    id: strawberry.ID = strawberry.field(description="Of this record (to delete it).")
    income_from_any_source: E.NoYesMissing | None
    total_monthly_income: Decimal | None
    information_date: datetime.date
    sources: list[IncomeSource]

    @classmethod
    def of(cls, v: Values) -> Income:
        sources = [
            IncomeSource(source=csv, amount=v[amount]) for csv, flag, amount in INCOME_FLAGS
            if v[flag] == 1
        ]  # fmt: skip
        return cls(
            id=gid(v["id"]),
            income_from_any_source=E.code(E.NoYesMissing, v["income_from_any_source"]),
            total_monthly_income=v["total_monthly_income"],
            information_date=v["information_date"],
            sources=sources,
        )


@grouped(G.DOMESTIC_VIOLENCE, "Survivor status, when it occurred, currently fleeing.")
class DomesticViolence:
    id: strawberry.ID = strawberry.field(description="Of this record (to delete it).")
    survivor: E.NoYesMissing | None
    when_occurred: E.WhenDVOccurred | None
    currently_fleeing: E.NoYesMissing | None
    information_date: datetime.date

    @classmethod
    def of(cls, v: Values) -> DomesticViolence:
        return cls(
            id=gid(v["id"]),
            survivor=E.code(E.NoYesMissing, v["domestic_violence_survivor"]),
            when_occurred=E.code(E.WhenDVOccurred, v["when_occurred"]),
            currently_fleeing=E.code(E.NoYesMissing, v["currently_fleeing"]),
            information_date=v["information_date"],
        )


@grouped(G.CASE_NOTES, "A dated note by staff.")
class CaseNote:
    id: strawberry.ID
    note_date: datetime.date
    text: str
    compiled_for_legal_proceeding: bool = strawberry.field(
        description="Compiled for a legal proceeding: left out of the client's own copy."
    )

    @classmethod
    def of(cls, v: Values) -> CaseNote:
        return cls(
            id=strawberry.ID(str(v["id"])),
            note_date=v["note_date"],
            text=v["text"],
            compiled_for_legal_proceeding=bool(v["compiled_for_legal_proceeding"]),
        )


def gid(value: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(str(value))
