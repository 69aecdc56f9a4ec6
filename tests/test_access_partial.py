"""`access.partial`: a frontend can tell "only your organization's entries are shown" from
"everything is shown", and a partner still cannot tell a client with hidden data from one
without, through `access` or any other field (issue 14, point 5)."""

from __future__ import annotations

from datetime import date

import pytest

from hmis.auth.policy import is_partial
from hmis.auth.principal import Role
from hmis.db import history, models
from hmis.groups import SHARED_GROUPS, ElementGroup

from . import factories as f
from . import people
from .support import gql

EVERYTHING = """
query($id: ID!) { client(id: $id) {
  identity { ssn dob } demographics { race gender veteranStatus }
  enrollments { totalCount edges { node { entryDate project { name } } } }
  caseManager { firstName }
  contact { phone city }
  health { disablingCondition informationDate disabilities { disabilityType } }
  income { incomeFromAnySource totalMonthlyIncome } domesticViolence { survivor }
  caseNotes { noteDate text } researchKey
  access { group visible basis partial }
} }
"""
LIST = """
{ clients(first: 10) { totalCount edges { node { identity { firstName }
  contact { phone } health { disablingCondition } caseNotes { text }
  access { group visible basis partial } } } } }
"""
NON_SHARED = [g for g in ElementGroup if g not in SHARED_GROUPS]


@pytest.fixture
async def twins(sessions, api, token):
    """Two clients the shelter entered alike; the housing organization then records contact,
    health, income, domestic violence and a case note for the first one only."""
    world = await people.coc(sessions)
    world.api, world.token = api, token
    shelter, housing = world.writer(world.shelter), world.writer(world.housing)
    async with sessions() as s, s.begin():
        alike = {"dob": date(1980, 3, 3), "dob_data_quality": 1, "woman": 1, "veteran_status": 0}
        with_data = await f.client(s, shelter, first_name="Hana", last_name="Held", **alike)
        without = await f.client(s, shelter, first_name="Nell", last_name="None", **alike)
        for model, values in [
            (models.Contact, {"phone": "6305550100", "city": "Aurora"}),
            (models.HealthRecord, {"disabling_condition": 1, "information_date": date(2025, 1, 5)}),
            (models.IncomeBenefit, {"income_from_any_source": 1, "total_monthly_income": 300,
                                    "information_date": date(2025, 1, 5)}),
            (models.DomesticViolence, {"domestic_violence_survivor": 1,
                                       "information_date": date(2025, 1, 5)}),
            (models.CaseNote, {"note_date": date(2025, 1, 6), "text": "Housing intake."}),
        ]:  # fmt: skip
            await history.create(s, housing, model, client_id=with_data.id, **values)
    world.people.update(with_data=with_data, without=without)
    return world


async def ask(world, org: str, person, query=EVERYTHING) -> dict:
    organization = getattr(world, org)
    caller = world.token("agency_staff", org=organization.id, sub=f"staff-{org}")
    variables = {"id": str(person.id)} if person is not None else None
    status, body = await gql(world.api, query, variables, token=caller)
    assert status == 200 and "errors" not in body, body
    return body["data"]


async def test_a_partner_cannot_tell_a_client_with_hidden_data_from_one_without(twins):
    seen = await ask(twins, "outreach", twins.people["with_data"])
    unseen = await ask(twins, "outreach", twins.people["without"])
    assert seen == unseen  # every field, `access` included, byte for byte
    # The list and its count say no more: the same rows in the same shape.
    listed = (await ask(twins, "outreach", None, LIST))["clients"]
    assert listed["totalCount"] == 2
    first, second = (e["node"] for e in listed["edges"])
    assert {k: v for k, v in first.items() if k != "identity"} == {
        k: v for k, v in second.items() if k != "identity"
    }
    # ... while the housing organization does see what it recorded: the twins do differ.
    own = await ask(twins, "housing", twins.people["with_data"])
    assert own["client"]["health"]["disablingCondition"] == "YES"
    assert own["client"]["access"] == seen["client"]["access"]  # the flag is not the data


async def test_access_says_which_groups_show_only_the_callers_own_entries(twins):
    access = {
        a["group"]: a
        for a in (await ask(twins, "outreach", twins.people["without"]))["client"]["access"]
    }
    for group in NON_SHARED:
        assert access[group.value] == {
            "group": group.value,
            "visible": True,
            "basis": "OWN_AGENCY",
            "partial": True,
        }
    for group in SHARED_GROUPS:
        assert access[group.value]["partial"] is False
        assert access[group.value]["basis"] == "SHARED_WITH_PARTNERS"


async def test_a_refusal_does_not_move_the_flag(twins, sessions):
    before = await ask(twins, "outreach", twins.people["with_data"])
    await people.refuse(sessions, twins, twins.people["with_data"])
    after = await ask(twins, "outreach", twins.people["with_data"])
    assert after["client"]["access"] == before["client"]["access"]


async def test_other_roles_see_everything_recorded_and_say_so(twins, token):
    ada = str(twins.people["with_data"].id)
    for role in ("hmis_admin", "auditor"):
        status, body = await gql(twins.api, EVERYTHING, {"id": ada}, token=token(role))
        assert status == 200, body
        access = body["data"]["client"]["access"]
        assert all(a["visible"] and not a["partial"] for a in access), (role, access)
        assert body["data"]["client"]["health"]["disablingCondition"] == "YES"


def test_partial_depends_on_role_group_and_basis_only():
    # The function has no client or record argument: nothing per client can reach it.
    assert is_partial.__code__.co_varnames[: is_partial.__code__.co_argcount] == (
        "role",
        "group",
        "basis",
    )
    assert is_partial(Role.CLIENT, ElementGroup.CASE_NOTES, _basis("SELF"))
    assert not is_partial(Role.CLIENT, ElementGroup.HEALTH, _basis("SELF"))


def _basis(name):
    from hmis.auth.policy import Basis

    return Basis[name]


POLICY = "{ policy { role canonicalRole enteredBy group basis visible partial } }"
ME = "{ me { roles } }"


async def test_me_and_policy_spell_roles_alike(api, token, sessions):
    status, body = await gql(api, POLICY)
    assert status == 200, body
    rows = body["data"]["policy"]
    status, me = await gql(api, ME, token=token(["hmis_admin", "auditor", "researcher"]))
    assert status == 200, me
    spelled = set(me["data"]["me"]["roles"])
    assert spelled == {"HMIS_ADMIN", "AUDITOR", "RESEARCHER"}
    assert spelled <= {r["canonicalRole"] for r in rows}
    staff = [r for r in rows if r["canonicalRole"] == "AGENCY_STAFF"]
    assert {r["enteredBy"] for r in staff} == {"OWN_ORGANIZATION", "PARTNER_ORGANIZATIONS"}
    assert all(r["enteredBy"] is None for r in rows if r["canonicalRole"] != "AGENCY_STAFF")
    # The published `partial` is what `access` reports to staff: own entries only, non-shared.
    for row in staff:
        assert row["partial"] is (ElementGroup(row["group"]) not in SHARED_GROUPS), row
    # The old spelling stays, deprecated, for callers built on it.
    assert {r["role"] for r in staff} == {
        "agency_staff (own organization)",
        "agency_staff (partner data)",
    }
