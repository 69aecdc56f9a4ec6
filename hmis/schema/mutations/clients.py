"""createClient and updateClient: the shared client profile (IDENTITY, DEMOGRAPHICS)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hmis.auth.policy import Action
from hmis.db import history, models
from hmis.groups import ElementGroup
from hmis.resolvers import validate as rules
from hmis.resolvers.clients import one_client
from hmis.resolvers.validate import Check

from .. import enums as E
from ..clients import Client
from ..groups import GENDER_FLAGS, RACE_FLAGS
from .common import FieldError, allowed, caller_org, find_seen, mutate, refuse_ppi

PPI = ("first_name", "middle_name", "last_name", "name_suffix", "ssn", "dob")


@strawberry.input(description="The client profile; data-quality fields are derived when omitted "
                  "(full when the value is given, else not collected).")  # fmt: skip
class CreateClientInput:
    first_name: str | None = strawberry.UNSET
    middle_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    name_suffix: str | None = strawberry.UNSET
    ssn: str | None = strawberry.field(
        default=strawberry.UNSET, description="Nine digits; 'x' for unknown digits."
    )
    dob: datetime.date | None = strawberry.UNSET
    race: list[E.Race] | None = strawberry.UNSET
    additional_race_ethnicity: str | None = strawberry.UNSET
    sex: E.Sex | None = strawberry.field(
        default=strawberry.UNSET, description="HUD FY2026 4.21; null or omitted: 99 on create."
    )
    gender: list[E.Gender] | None = strawberry.UNSET
    different_identity_text: str | None = strawberry.UNSET
    veteran_status: E.NoYesMissing | None = strawberry.UNSET
    name_data_quality: E.NameDataQuality | None = strawberry.UNSET
    ssn_data_quality: E.SsnDataQuality | None = strawberry.UNSET
    dob_data_quality: E.DobDataQuality | None = strawberry.UNSET


@strawberry.input(description="Only the fields present are changed; null clears a field.")
class UpdateClientInput(CreateClientInput):
    id: strawberry.ID
    version: int | None = strawberry.field(
        default=None, description="The version you edited; a stale one is refused."
    )


@strawberry.type
class CreateClientPayload:
    client: Client | None
    errors: list[FieldError]


@strawberry.type
class UpdateClientPayload:
    client: Client | None
    errors: list[FieldError]


def _given(input: CreateClientInput) -> dict[str, Any]:
    return {
        k: v
        for k, v in vars(input).items()
        if v is not strawberry.UNSET and k not in ("id", "version")
    }


def profile_changes(check: Check, given: dict[str, Any], current: dict[str, Any]) -> dict:
    """Column values from the fields given, checked, with HUD data quality derived from the
    resulting values wherever the caller did not state it."""
    out: dict[str, Any] = {}
    for name in ("first_name", "middle_name", "last_name", "name_suffix"):
        if name in given:
            out[name] = check.text(name, given[name], max_length=rules.MAX_NAME_LENGTH)
    for name in ("additional_race_ethnicity", "different_identity_text"):
        if name in given:
            out[name] = check.text(name, given[name], max_length=100)
    if "ssn" in given:
        out["ssn"] = check.ssn("ssn", given["ssn"])
    if "dob" in given:
        out["dob"] = check.past_date("dob", given["dob"])
    if "sex" in given:
        out["sex"] = int(given["sex"].value) if given["sex"] else 99
    elif not current:
        out["sex"] = 99  # a new profile: not collected, as HUD codes a missing answer
    if "veteran_status" in given:
        out["veteran_status"] = (
            int(given["veteran_status"].value) if given["veteran_status"] else 99
        )
    for field, flags, none_column in (("race", RACE_FLAGS, "race_none"),
                                      ("gender", GENDER_FLAGS, "gender_none")):  # fmt: skip
        if field in given:
            chosen = {E.canonical(v) for v in given[field] or []}
            for column, value in flags:
                out[column] = int(value in chosen)
            out[none_column] = None if chosen else 99
    merged = {**dict.fromkeys(PPI), **current, **out}
    for quality, sources in models.Client.__derived__.items():
        if given.get(quality) is not None:
            out[quality] = int(given[quality].value)
        elif not current or any(s in out for s in sources):
            out[quality] = DERIVE[quality](merged)
    return out


# How each HUD data quality is derived from the values it describes (`Client.__derived__`).
DERIVE = {
    "name_data_quality": lambda v: rules.name_quality(v["first_name"], v["last_name"]),
    "ssn_data_quality": lambda v: rules.ssn_quality(v["ssn"]),
    "dob_data_quality": lambda v: rules.dob_quality(v["dob"]),
}


def _vsp_check(check: Check, org: models.Organization | None, values: dict[str, Any]) -> None:
    """HUD: a victim service provider does not enter PPI into the HMIS."""
    refuse_ppi(check, org, ElementGroup.IDENTITY, {name: values.get(name) for name in PPI})


async def _derive_current(
    session: AsyncSession, principal, row: models.Client, given, changed: dict
) -> None:
    """A frozen partner's write derived data quality from its view; the current row's quality
    follows from the current values of the fields written. The difference is written for
    no organization (as an administrator's correction of the derived value would be), after
    the refusal: no partner sees it, and those who see current data see it consistent."""
    fix = {}
    current = {c: getattr(row, c) for c in PPI}
    for quality, sources in models.Client.__derived__.items():
        if given.get(quality) is None and any(s in changed for s in sources):
            value = DERIVE[quality](current)
            if value != getattr(row, quality):
                fix[quality] = value
    if fix:
        derivation = history.Writer(subject=principal.subject, organization_id=None)
        await history.update(session, derivation, row, fix)


async def _read_back(info: Info, client_id: uuid.UUID) -> Client | None:
    found = await one_client(info.context, client_id)
    return found and Client(row=found[0], decision=found[1])


@strawberry.type
class ClientMutations:
    @strawberry.mutation(description="Enter a new client (agency staff, administrators).")
    async def create_client(self, info: Info, input: CreateClientInput) -> CreateClientPayload:
        principal = allowed(info, Action.EDIT_PROFILE)

        async def work(session: AsyncSession):
            check = Check()
            values = profile_changes(check, _given(input), {})
            _vsp_check(check, await caller_org(session, principal), values)
            check.done()
            row = await history.create(session, principal.writer, models.Client, **values)
            return row.id

        return await mutate(info, work, CreateClientPayload, "client", read_back=_read_back)

    @strawberry.mutation(description="Change fields of a client profile; each change is stamped.")
    async def update_client(self, info: Info, input: UpdateClientInput) -> UpdateClientPayload:
        principal = allowed(info, Action.EDIT_PROFILE)

        async def work(session: AsyncSession):
            check = Check()
            client_id = check.uuid("id", input.id)
            check.done()
            await history.begin_write(session, clients=[client_id])  # lock, then read
            # Checked, diffed and derived against what the caller sees (for a partner and a
            # refused client: the record as of the refusal), never the hidden current row.
            row, seen = await find_seen(session, principal, models.Client, client_id, check, "id")
            given = _given(input)
            changes = profile_changes(check, given, seen.values)
            _vsp_check(check, await caller_org(session, principal), changes)
            check.done()
            try:
                changed = await history.update(
                    session, principal.writer, row, changes, seen=seen,
                    expected_version=input.version,
                )  # fmt: skip
            except history.StaleVersion as stale:
                check.fail("version", str(stale), "STALE_VERSION")
                check.done()
            await _derive_current(session, principal, row, given, changed)
            return row.id

        return await mutate(info, work, UpdateClientPayload, "client", read_back=_read_back)
