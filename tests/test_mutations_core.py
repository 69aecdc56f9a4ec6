"""Intake, services and refusals through GraphQL mutations: valid writes read back through
the policy; invalid input gets FieldErrors and writes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from hmis.db import models

from . import factories as f
from . import people
from .support import gql

CREATE = """mutation($input: CreateClientInput!) { createClient(input: $input) {
  client { id identity { firstName lastName ssn ssnDataQuality nameDataQuality dobDataQuality }
           demographics { race gender } }
  errors { field message code } } }"""
UPDATE = """mutation($input: UpdateClientInput!) { updateClient(input: $input) {
  client { identity { lastName } } errors { field code } } }"""
ENROLL = """mutation($input: CreateEnrollmentInput!) { createEnrollment(input: $input) {
  enrollment { id entryDate project { name } household { relationshipToHoH } }
  errors { field code } } }"""
EXIT = """mutation($input: ExitEnrollmentInput!) { exitEnrollment(input: $input) {
  enrollment { exitDate destination reasonForLeaving } errors { field code } } }"""
HOUSEHOLD = """mutation($input: CreateEnrollmentInput!) { createEnrollment(input: $input) {
  enrollment { household { householdId } } } }"""
REFUSE = """mutation($input: RecordSharingRefusalInput!) { recordSharingRefusal(input: $input) {
  refusal { id recordedAt coveredClientIds } errors { field code } } }"""


@pytest.fixture
async def world(sessions, api, token):
    world = await people.coc(sessions)
    world.api = api
    world.staff = {name: token("agency_staff", org=getattr(world, name).id, sub=f"{name}-staff")
                   for name in ("shelter", "outreach", "housing")}  # fmt: skip
    return world


async def counts(sessions) -> tuple[int, int]:
    async with sessions() as s:
        rows = await s.scalar(select(func.count()).select_from(models.Client))
        versions = await s.scalar(select(func.count()).select_from(models.RecordVersion))
    return rows, versions


async def test_create_client_derives_data_quality(world):
    _, body = await gql(world.api, CREATE, {"input": {
        "firstName": "Ada", "lastName": "Lovelace", "ssn": "xxxxx6789", "race": ["WHITE", "ASIAN"],
        "gender": ["WOMAN"]}}, token=world.staff["shelter"])  # fmt: skip
    payload = body["data"]["createClient"]
    assert payload["errors"] == []
    identity = payload["client"]["identity"]
    assert identity == {"firstName": "Ada", "lastName": "Lovelace", "ssn": "xxxxx6789",
                        "ssnDataQuality": "APPROXIMATE_OR_PARTIAL", "nameDataQuality": "FULL",
                        "dobDataQuality": "DATA_NOT_COLLECTED"}  # fmt: skip
    assert set(payload["client"]["demographics"]["race"]) == {"WHITE", "ASIAN"}


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"ssn": "12345"}, "ssn", "INVALID_SSN"),
        ({"ssn": "000123456"}, "ssn", "INVALID_SSN"),
        ({"dob": (date.today() + timedelta(days=2)).isoformat()}, "dob", "DATE_IN_FUTURE"),
        ({"dob": "1850-01-01"}, "dob", "DATE_TOO_EARLY"),
        ({"firstName": "x" * 51}, "firstName", "TOO_LONG"),
    ],
)
async def test_invalid_profile_input_is_refused_and_nothing_written(world, sessions, values,
                                                                    field, code):  # fmt: skip
    before = await counts(sessions)
    _, body = await gql(world.api, CREATE, {"input": {"lastName": "Ok", **values}},
                        token=world.staff["shelter"])  # fmt: skip
    payload = body["data"]["createClient"]
    assert payload["client"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["input", field], code)]
    assert await counts(sessions) == before


async def test_wrong_hud_code_is_a_clear_graphql_error(world):
    _, body = await gql(world.api, CREATE, {"input": {"race": ["MARTIAN"]}},
                        token=world.staff["shelter"])  # fmt: skip
    assert body["data"] is None and "MARTIAN" in body["errors"][0]["message"]


async def test_victim_service_provider_may_not_store_ppi(world, sessions, token):
    async with sessions() as s, s.begin():
        vsp = await f.organization(s, "Safe House", vsp=True)
    caller = token("agency_staff", org=vsp.id)
    before = await counts(sessions)
    _, body = await gql(world.api, CREATE, {"input": {"firstName": "Ada", "ssn": "123456789"}},
                        token=caller)  # fmt: skip
    assert {e["code"] for e in body["data"]["createClient"]["errors"]} == {"VSP_NO_PPI"}
    assert await counts(sessions) == before
    _, body = await gql(world.api, CREATE, {"input": {"gender": ["MAN"]}}, token=caller)
    assert body["data"]["createClient"]["errors"] == []  # an anonymous record is fine


async def test_update_changes_only_given_fields_and_refuses_a_stale_version(world):
    _, body = await gql(world.api, CREATE, {"input": {"firstName": "Ada", "lastName": "L"}},
                        token=world.staff["shelter"])  # fmt: skip
    client_id = body["data"]["createClient"]["client"]["id"]
    _, body = await gql(world.api, UPDATE, {"input": {"id": client_id, "lastName": "Byron",
                                                      "version": 1}},
                        token=world.staff["outreach"])  # fmt: skip
    assert body["data"]["updateClient"] == {"client": {"identity": {"lastName": "Byron"}},
                                            "errors": []}  # fmt: skip
    _, body = await gql(world.api, UPDATE, {"input": {"id": client_id, "lastName": "Stale",
                                                      "version": 1}},
                        token=world.staff["shelter"])  # fmt: skip
    assert body["data"]["updateClient"]["errors"] == [{"field": ["input", "version"],
                                                       "code": "STALE_VERSION"}]  # fmt: skip


async def test_enroll_exit_and_their_rules(world):
    _, body = await gql(world.api, CREATE, {"input": {"firstName": "Ada", "lastName": "L"}},
                        token=world.staff["shelter"])  # fmt: skip
    client_id = body["data"]["createClient"]["client"]["id"]
    enroll = {"clientId": client_id, "projectId": str(world.shelter_project.id),
              "entryDate": "2025-01-10"}  # fmt: skip
    # Only the organization operating the project may enroll in it.
    _, body = await gql(world.api, ENROLL, {"input": enroll}, token=world.staff["outreach"])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, body = await gql(world.api, ENROLL, {"input": enroll}, token=world.staff["shelter"])
    enrollment = body["data"]["createEnrollment"]["enrollment"]
    assert enrollment["project"]["name"] == "Night Shelter"
    assert enrollment["household"] == {"relationshipToHoH": "SELF"}
    _, body = await gql(world.api, ENROLL, {"input": enroll}, token=world.staff["shelter"])
    assert body["data"]["createEnrollment"]["errors"] == [
        {"field": ["input", "projectId"], "code": "OPEN_ENROLLMENT_EXISTS"}]  # fmt: skip
    exit = {"enrollmentId": enrollment["id"], "exitDate": "2024-12-31",
            "destination": "RENTAL_NO_SUBSIDY"}  # fmt: skip
    _, body = await gql(world.api, EXIT, {"input": exit}, token=world.staff["shelter"])
    assert body["data"]["exitEnrollment"]["errors"] == [
        {"field": ["input", "exitDate"], "code": "DATE_ORDER"}]  # fmt: skip
    exit["exitDate"], exit["reasonForLeaving"] = "2025-03-01", "COMPLETED_PROGRAM"
    _, body = await gql(world.api, EXIT, {"input": exit}, token=world.staff["shelter"])
    assert body["data"]["exitEnrollment"]["enrollment"] == {
        "exitDate": "2025-03-01", "destination": "RENTAL_NO_SUBSIDY",
        "reasonForLeaving": "COMPLETED_PROGRAM"}  # fmt: skip
    _, body = await gql(world.api, EXIT, {"input": exit}, token=world.staff["shelter"])
    assert body["data"]["exitEnrollment"]["errors"][0]["code"] == "ALREADY_EXITED"


async def test_refusal_through_the_api_freezes_what_partners_see(world):
    _, body = await gql(world.api, CREATE, {"input": {"firstName": "Ada", "lastName": "L"}},
                        token=world.staff["shelter"])  # fmt: skip
    ada = body["data"]["createClient"]["client"]["id"]
    _, body = await gql(world.api, CREATE, {"input": {"firstName": "Ben", "lastName": "L"}},
                        token=world.staff["shelter"])  # fmt: skip
    ben = body["data"]["createClient"]["client"]["id"]
    # A form covers household members: Ben shares Ada's household at the shelter.
    household = None
    for client_id in (ada, ben):
        stay = {"clientId": client_id, "projectId": str(world.shelter_project.id),
                "entryDate": "2025-01-10"}  # fmt: skip
        if household:
            stay.update(householdId=household, relationshipToHoH="CHILD")
        _, body = await gql(world.api, HOUSEHOLD, {"input": stay}, token=world.staff["shelter"])
        household = body["data"]["createEnrollment"]["enrollment"]["household"]["householdId"]
    _, body = await gql(world.api, REFUSE, {"input": {"clientId": ada,
                                                      "householdMemberIds": [ben]}},
                        token=world.staff["shelter"])  # fmt: skip
    refusal = body["data"]["recordSharingRefusal"]["refusal"]
    assert set(refusal["coveredClientIds"]) == {ada, ben} and refusal["recordedAt"]
    await gql(world.api, UPDATE, {"input": {"id": ada, "lastName": "Byron"}},
              token=world.staff["shelter"])  # fmt: skip
    view = "query($id: ID!) { client(id: $id) { identity { lastName } } }"
    _, body = await gql(world.api, view, {"id": ada}, token=world.staff["outreach"])
    assert body["data"]["client"]["identity"]["lastName"] == "L"
    revoke = """mutation($id: ID!) { revokeSharingRefusal(input: {clientId: $id}) {
      refusal { revokedAt } errors { code } } }"""
    _, body = await gql(world.api, revoke, {"id": ada}, token=world.staff["shelter"])
    assert body["data"]["revokeSharingRefusal"]["refusal"]["revokedAt"]
    _, body = await gql(world.api, view, {"id": ada}, token=world.staff["outreach"])
    assert body["data"]["client"]["identity"]["lastName"] == "Byron"
    _, body = await gql(world.api, revoke, {"id": ada}, token=world.staff["shelter"])
    assert body["data"]["revokeSharingRefusal"]["errors"] == [{"code": "NOT_REFUSED"}]


@pytest.mark.parametrize("role", ["auditor", "researcher", "aggregate_reader", "client"])
async def test_roles_that_may_not_write_are_forbidden(world, token, sessions, role):
    before = await counts(sessions)
    _, body = await gql(world.api, CREATE, {"input": {"firstName": "Ada"}},
                        token=token(role, sub=f"{role}-w"))  # fmt: skip
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await counts(sessions) == before
