"""setContact, recordHealth, recordIncome, recordDomesticViolence, addCaseNote: values are
checked and normalized, belong to the writing organization, and come back through the
policy (partners never see them)."""

from __future__ import annotations

import datetime

from .writes import build_world

AGENCY_ONLY = """query($id: ID!) { client(id: $id) {
  contact { phone email addressLine1 city state zip }
  health { disablingCondition disabilities { disabilityType disabilityResponse } }
  income { incomeFromAnySource totalMonthlyIncome sources { source amount } }
  domesticViolence { survivor whenOccurred currentlyFleeing }
  caseNotes { text compiledForLegalProceeding }
} }"""
CONTACT = "contact { phone email addressLine1 city state zip } version"


async def test_contact_is_normalized_owned_by_each_organization_and_version_locked(api, token):
    world = await build_world(api, token)
    shelter, outreach = world.staff["Shelter"], world.staff["Outreach"]
    ada = await world.new_client()
    payload = await world.ok(shelter, "setContact", {
        "clientId": ada, "phone": "+1 (630) 555-0199", "email": " ada@example.org ",
        "addressLine1": "1 Main St", "city": "Wheaton", "state": "il", "zip": "601871234"},
        CONTACT)  # fmt: skip
    assert payload["contact"] == {"phone": "6305550199", "email": "ada@example.org",
                                  "addressLine1": "1 Main St", "city": "Wheaton", "state": "IL",
                                  "zip": "60187-1234"}  # fmt: skip
    assert payload["version"] == 1
    # Another organization keeps its own contact record; neither sees the other's.
    await world.ok(outreach, "setContact", {"clientId": ada, "phone": "6305550111"}, CONTACT)
    seen = await world.query(outreach, AGENCY_ONLY, id=ada)
    assert seen["client"]["contact"]["phone"] == "6305550111"
    # Only the fields given change; null clears one; the version moves on.
    payload = await world.ok(shelter, "setContact", {"clientId": ada, "city": None,
                                                     "version": 1}, CONTACT)  # fmt: skip
    assert payload["contact"]["city"] is None and payload["contact"]["phone"] == "6305550199"
    assert payload["version"] == 2
    payload = await world.call(shelter, "setContact", {"clientId": ada, "city": "Elgin",
                                                       "version": 1}, CONTACT)  # fmt: skip
    assert [e["code"] for e in payload["errors"]] == ["STALE_VERSION"]
    assert (await world.query(shelter, AGENCY_ONLY, id=ada))["client"]["contact"]["city"] is None


async def test_assessments_and_notes_read_back_for_the_writer_only(api, token):
    world = await build_world(api, token)
    shelter, outreach = world.staff["Shelter"], world.staff["Outreach"]
    ada = await world.new_client()
    payload = await world.ok(shelter, "recordHealth", {
        "clientId": ada, "disablingCondition": "YES", "informationDate": "2025-01-10",
        "dataCollectionStage": "PROJECT_START", "disabilities": [
            {"disabilityType": "PHYSICAL", "response": 1, "indefiniteAndImpairs": "YES"},
            {"disabilityType": "SUBSTANCE_USE", "response": 3}]},
        "health { disablingCondition informationDate disabilities { disabilityType "
        "disabilityResponse indefiniteAndImpairs } }")  # fmt: skip
    assert payload["health"] == {"disablingCondition": "YES", "informationDate": "2025-01-10",
                                 "disabilities": [
        {"disabilityType": "PHYSICAL", "disabilityResponse": 1, "indefiniteAndImpairs": "YES"},
        {"disabilityType": "SUBSTANCE_USE", "disabilityResponse": 3,
         "indefiniteAndImpairs": None}]}  # fmt: skip
    payload = await world.ok(shelter, "recordIncome", {
        "clientId": ada, "incomeFromAnySource": "YES", "sources": [
            {"source": "EARNED", "amount": "900"}, {"source": "SSI", "amount": "100.50"}]},
        "income { totalMonthlyIncome informationDate sources { source amount } }")  # fmt: skip
    assert payload["income"] == {
        "totalMonthlyIncome": "1000.50", "informationDate": datetime.date.today().isoformat(),
        "sources": [{"source": "Earned", "amount": "900.00"},
                    {"source": "SSI", "amount": "100.50"}]}  # fmt: skip
    payload = await world.ok(shelter, "recordDomesticViolence", {
        "clientId": ada, "survivor": "YES", "whenOccurred": "WITHIN_PAST_THREE_MONTHS",
        "currentlyFleeing": "YES"}, "domesticViolence { survivor whenOccurred }")  # fmt: skip
    assert payload["domesticViolence"] == {"survivor": "YES",
                                           "whenOccurred": "WITHIN_PAST_THREE_MONTHS"}  # fmt: skip
    payload = await world.ok(shelter, "addCaseNote", {
        "clientId": ada, "text": "  Met at intake.  ", "compiledForLegalProceeding": True},
        "caseNote { noteDate text compiledForLegalProceeding }")  # fmt: skip
    assert payload["caseNote"] == {
        "noteDate": datetime.date.today().isoformat(),
        "text": "Met at intake.",
        "compiledForLegalProceeding": True,
    }
    own = (await world.query(shelter, AGENCY_ONLY, id=ada))["client"]
    assert own["income"]["totalMonthlyIncome"] == "1000.50" and own["caseNotes"]
    partner = (await world.query(outreach, AGENCY_ONLY, id=ada))["client"]
    assert partner == {"contact": None, "health": None, "income": None,
                       "domesticViolence": None, "caseNotes": []}  # fmt: skip


async def test_income_answers_other_than_yes(api, token):
    """HUD 4.02: NO sets every source flag 0 and a total of 0; a missing-data answer leaves
    the flags and the total empty."""
    world = await build_world(api, token)
    shelter = world.staff["Shelter"]
    ada = await world.new_client()
    select = "income { incomeFromAnySource totalMonthlyIncome sources { source } }"
    payload = await world.ok(
        shelter, "recordIncome", {"clientId": ada, "incomeFromAnySource": "NO"}, select
    )
    assert payload["income"] == {"incomeFromAnySource": "NO", "totalMonthlyIncome": "0.00",
                                 "sources": []}  # fmt: skip
    payload = await world.ok(
        shelter,
        "recordIncome",
        {"clientId": ada, "incomeFromAnySource": "CLIENT_PREFERS_NOT_TO_ANSWER"},
        select,
    )
    assert payload["income"]["totalMonthlyIncome"] is None


async def test_a_victim_service_provider_records_everything_but_ppi(api, token):
    world = await build_world(api, token)
    payload = await world.ok(world.admin, "createOrganization", {
        "name": "Safe House", "victimServiceProvider": True}, "organization { id }")  # fmt: skip
    vsp = token("agency_staff", org=payload["organization"]["id"], sub="vsp-staff")
    payload = await world.ok(vsp, "createClient", {"gender": ["WOMAN"]}, "client { id }")
    anonymous = payload["client"]["id"]
    await world.ok(
        vsp,
        "recordDomesticViolence",
        {"clientId": anonymous, "survivor": "YES", "currentlyFleeing": "YES"},
        "domesticViolence { survivor }",
    )
    await world.ok(vsp, "recordHealth", {"clientId": anonymous, "disablingCondition": "NO"},
                   "health { disablingCondition }")  # fmt: skip
    await world.ok(vsp, "addCaseNote", {"clientId": anonymous, "text": "Safety plan made."},
                   "caseNote { id }")  # fmt: skip
    payload = await world.call(vsp, "setContact", {"clientId": anonymous, "city": "Elgin",
                                                   "email": None}, "contact { city }")  # fmt: skip
    assert payload["contact"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        (["input", "city"], "VSP_NO_PPI")]  # fmt: skip
