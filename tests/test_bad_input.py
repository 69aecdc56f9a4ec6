"""Bad input to every mutation: missing, malformed, out of range, a wrong HUD code, another
organization's record, a caller the write table does not allow. Each gets a clear error (a
FieldError naming the field and the rule, a GraphQL validation error, or FORBIDDEN) and
nothing is written."""

from __future__ import annotations

import datetime
import uuid
from types import SimpleNamespace

from sqlalchemy import select

from hmis.db import models
from hmis.schema import build_schema

from .support import gql
from .writes import build_world, mutation

TODAY = datetime.date.today()
FUTURE = (TODAY + datetime.timedelta(days=3)).isoformat()
YESTERDAY = (TODAY - datetime.timedelta(days=1)).isoformat()
MISSING = str(uuid.uuid4())
FORBIDDEN, GRAPHQL = "FORBIDDEN", "GRAPHQL"
# Mutations of other issues, tested there.
ELSEWHERE = {"recordDisclosure"}

# mutation -> [(case, caller, input from the scene's ids, expected)]. Expected is FORBIDDEN,
# (GRAPHQL, words of the validation message), or [(last part of the field path, code)].
CASES = {
    "createOrganization": [
        ("missing name", "admin", lambda i: {}, (GRAPHQL, "name")),
        ("empty name", "admin", lambda i: {"name": " "}, [("name", "REQUIRED")]),
        ("too long", "admin", lambda i: {"name": "x" * 201}, [("name", "TOO_LONG")]),
        ("duplicate", "admin", lambda i: {"name": "shelter org"}, [("name", "DUPLICATE_NAME")]),
        ("not admin", "shelter", lambda i: {"name": "New"}, FORBIDDEN),
    ],
    "createProject": [
        ("missing org", "admin", lambda i: {"name": "P"}, (GRAPHQL, "organizationId")),
        ("malformed org", "admin", lambda i: {"organizationId": "x", "name": "P"},
         [("organizationId", "INVALID_ID")]),
        ("unknown org", "admin", lambda i: {"organizationId": MISSING, "name": "P"},
         [("organizationId", "NOT_FOUND")]),
        ("wrong code", "admin", lambda i: {"organizationId": i.shelter, "name": "P",
                                           "projectType": "CASTLE"}, (GRAPHQL, "CASTLE")),
        ("out of range", "admin", lambda i: {"organizationId": i.shelter, "name": "P",
                                             "operatingStartDate": "1970-01-01"},
         [("operatingStartDate", "DATE_ORDER")]),
        ("empty name", "admin", lambda i: {"organizationId": i.shelter, "name": ""},
         [("name", "REQUIRED")]),
        ("not admin", "shelter", lambda i: {"organizationId": i.shelter, "name": "P"}, FORBIDDEN),
    ],
    "createStaffUser": [
        ("malformed", "admin", lambda i: {"organizationId": i.shelter, "firstName": "A",
                                          "lastName": "B", "phone": "555-0100",
                                          "email": "mona", "extension": "12a"},
         [("phone", "INVALID_PHONE"), ("extension", "INVALID_DIGITS"), ("email", "INVALID_EMAIL")]),
        ("empty names", "admin", lambda i: {"organizationId": i.shelter, "firstName": "",
                                            "lastName": " "},
         [("firstName", "REQUIRED"), ("lastName", "REQUIRED")]),
        ("taken subject", "admin", lambda i: {"organizationId": i.shelter, "firstName": "A",
                                              "lastName": "B", "subject": "mona-login"},
         [("subject", "DUPLICATE_SUBJECT")]),
        ("not admin", "outreach", lambda i: {"organizationId": i.outreach, "firstName": "A",
                                             "lastName": "B"}, FORBIDDEN),
    ],
    "linkClientLogin": [
        ("malformed", "admin", lambda i: {"clientId": "1", "subject": "s"},
         [("clientId", "INVALID_ID")]),
        ("unknown client", "admin", lambda i: {"clientId": MISSING, "subject": "s"},
         [("clientId", "NOT_FOUND")]),
        ("linked", "admin", lambda i: {"clientId": i.ben, "subject": "ada"},
         [("subject", "ALREADY_LINKED")]),
        ("empty subject", "admin", lambda i: {"clientId": i.ben, "subject": ""},
         [("subject", "REQUIRED")]),
        ("not admin", "shelter", lambda i: {"clientId": i.ben, "subject": "s"}, FORBIDDEN),
    ],
    "createResearchAgreement": [
        ("out of range", "admin", lambda i: {"subject": "r", "expiresOn": TODAY.isoformat()},
         [("expiresOn", "DATE_IN_PAST")]),
        ("malformed date", "admin", lambda i: {"subject": "r", "expiresOn": "2030-02-30"},
         (GRAPHQL, "expiresOn")),
        ("empty subject", "admin", lambda i: {"subject": "", "expiresOn": "2099-01-01"},
         [("subject", "REQUIRED")]),
        ("not admin", "auditor", lambda i: {"subject": "r", "expiresOn": "2099-01-01"}, FORBIDDEN),
    ],
    "recordResearchConsent": [
        ("unknown client", "admin", lambda i: {"clientId": MISSING}, [("clientId", "NOT_FOUND")]),
        ("twice", "admin", lambda i: {"clientId": i.ben}, [("clientId", "ALREADY_CONSENTED")]),
        ("not admin", "shelter", lambda i: {"clientId": i.ada}, FORBIDDEN),
    ],
    "publishPrivacyNotice": [
        ("backdated", "admin", lambda i: {"text": "# N", "effectiveDate": YESTERDAY},
         [("effectiveDate", "DATE_IN_PAST")]),
        ("same date", "admin", lambda i: {"text": "# N", "effectiveDate": TODAY.isoformat()},
         [("effectiveDate", "DUPLICATE_EFFECTIVE_DATE")]),
        ("empty", "admin", lambda i: {"text": "  ", "effectiveDate": FUTURE},
         [("text", "REQUIRED")]),
        ("not admin", "shelter", lambda i: {"text": "# N", "effectiveDate": FUTURE}, FORBIDDEN),
    ],
    "createClient": [
        ("malformed ssn", "shelter", lambda i: {"ssn": "12345"}, [("ssn", "INVALID_SSN")]),
        ("future dob", "shelter", lambda i: {"dob": FUTURE}, [("dob", "DATE_IN_FUTURE")]),
        ("wrong code", "shelter", lambda i: {"race": ["MARTIAN"]}, (GRAPHQL, "MARTIAN")),
        ("vsp ppi", "vsp", lambda i: {"firstName": "Ada"}, [("firstName", "VSP_NO_PPI")]),
        ("not allowed", "auditor", lambda i: {"firstName": "Ada"}, FORBIDDEN),
    ],
    "updateClient": [
        ("missing id", "shelter", lambda i: {"lastName": "B"}, (GRAPHQL, "id")),
        ("malformed id", "shelter", lambda i: {"id": "7"}, [("id", "INVALID_ID")]),
        ("unknown", "shelter", lambda i: {"id": MISSING, "lastName": "B"}, [("id", "NOT_FOUND")]),
        ("stale", "outreach", lambda i: {"id": i.ada, "lastName": "B", "version": 0},
         [("version", "STALE_VERSION")]),
        ("too long", "shelter", lambda i: {"id": i.ada, "lastName": "x" * 51},
         [("lastName", "TOO_LONG")]),
        ("vsp ppi", "vsp", lambda i: {"id": i.ada, "ssn": "123456789"}, [("ssn", "VSP_NO_PPI")]),
    ],
    "createEnrollment": [
        ("future", "shelter", lambda i: {"clientId": i.cy, "projectId": i.project,
                                         "entryDate": FUTURE}, [("entryDate", "DATE_IN_FUTURE")]),
        ("before project", "shelter", lambda i: {"clientId": i.cy, "projectId": i.project,
                                                 "entryDate": "2014-06-01"},
         [("entryDate", "DATE_ORDER")]),
        ("household without relationship", "shelter",
         lambda i: {"clientId": i.cy, "projectId": i.project, "entryDate": "2025-01-01",
                    "householdId": "HH-1"}, [("relationshipToHoH", "REQUIRED")]),
        ("unknown project", "shelter", lambda i: {"clientId": i.cy, "projectId": MISSING,
                                                  "entryDate": "2025-01-01"},
         [("projectId", "NOT_FOUND")]),
        ("other organization's project", "outreach",
         lambda i: {"clientId": i.cy, "projectId": i.project, "entryDate": "2025-01-01"},
         FORBIDDEN),
    ],
    "exitEnrollment": [
        ("before entry", "shelter", lambda i: {"enrollmentId": i.enrollment,
                                               "exitDate": "2024-01-01", "destination": "DECEASED"},
         [("exitDate", "DATE_ORDER")]),
        ("wrong code", "shelter", lambda i: {"enrollmentId": i.enrollment,
                                             "exitDate": "2025-03-01", "destination": "MARS"},
         (GRAPHQL, "MARS")),
        ("unknown", "shelter", lambda i: {"enrollmentId": MISSING, "exitDate": "2025-03-01",
                                          "destination": "DECEASED"},
         [("enrollmentId", "NOT_FOUND")]),
        ("other organization's", "outreach", lambda i: {"enrollmentId": i.enrollment,
                                                        "exitDate": "2025-03-01",
                                                        "destination": "DECEASED"}, FORBIDDEN),
    ],
    "assignCaseManager": [
        ("unknown staff", "shelter", lambda i: {"clientId": i.ada, "staffUserId": MISSING},
         [("staffUserId", "NOT_FOUND")]),
        ("unknown client", "shelter", lambda i: {"clientId": MISSING, "staffUserId": i.manager},
         [("clientId", "NOT_FOUND")]),
        ("other organization's staff", "outreach",
         lambda i: {"clientId": i.ada, "staffUserId": i.manager}, FORBIDDEN),
    ],
    "updateEnrollment": [
        ("future", "shelter", lambda i: {"enrollmentId": i.enrollment, "entryDate": FUTURE},
         [("entryDate", "DATE_IN_FUTURE")]),
        ("unknown", "shelter", lambda i: {"enrollmentId": MISSING, "entryDate": "2025-01-02"},
         [("enrollmentId", "NOT_FOUND")]),
        ("stale", "shelter", lambda i: {"enrollmentId": i.enrollment, "entryDate": "2025-01-02",
                                        "version": 9}, [("version", "STALE_VERSION")]),
        ("wrong code", "shelter", lambda i: {"enrollmentId": i.enrollment,
                                             "relationshipToHoH": "COUSIN"}, (GRAPHQL, "COUSIN")),
        ("other organization's", "outreach", lambda i: {"enrollmentId": i.enrollment,
                                                        "entryDate": "2025-01-02"}, FORBIDDEN),
    ],
    "updateExit": [
        ("no exit", "shelter", lambda i: {"enrollmentId": i.enrollment, "exitDate": "2025-03-01"},
         [("enrollmentId", "NOT_EXITED")]),
        ("unknown", "shelter", lambda i: {"enrollmentId": MISSING, "exitDate": "2025-03-01"},
         [("enrollmentId", "NOT_FOUND")]),
        ("wrong code", "shelter", lambda i: {"enrollmentId": i.enrollment, "destination": "MARS"},
         (GRAPHQL, "MARS")),
        ("other organization's", "outreach", lambda i: {"enrollmentId": i.enrollment,
                                                        "exitDate": "2025-03-01"}, FORBIDDEN),
    ],
    "reopenEnrollment": [
        ("no exit", "shelter", lambda i: {"enrollmentId": i.enrollment, "reason": "r"},
         [("enrollmentId", "NOT_EXITED")]),
        ("missing reason", "shelter", lambda i: {"enrollmentId": i.enrollment},
         (GRAPHQL, "reason")),
        ("empty reason", "shelter", lambda i: {"enrollmentId": i.enrollment, "reason": " "},
         [("reason", "REQUIRED"), ("enrollmentId", "NOT_EXITED")]),
        ("other organization's", "outreach", lambda i: {"enrollmentId": i.enrollment,
                                                        "reason": "r"}, FORBIDDEN),
    ],
    "endCaseManagerAssignment": [
        ("unknown", "shelter", lambda i: {"assignmentId": MISSING},
         [("assignmentId", "NOT_FOUND")]),
        ("malformed", "shelter", lambda i: {"assignmentId": "x"},
         [("assignmentId", "INVALID_ID")]),
        ("not staff", "admin", lambda i: {"assignmentId": MISSING}, FORBIDDEN),
    ],
    "createHouseholdEnrollment": [
        ("no head", "shelter", lambda i: {"projectId": i.project, "entryDate": "2025-01-01",
                                          "members": [{"clientId": i.cy,
                                                       "relationshipToHoH": "CHILD"}]},
         [("members", "NO_HEAD")]),
        ("two heads", "shelter", lambda i: {"projectId": i.project, "entryDate": "2025-01-01",
                                            "members": [
                                                {"clientId": i.cy, "relationshipToHoH": "SELF"},
                                                {"clientId": i.ada, "relationshipToHoH": "SELF"}]},
         [("relationshipToHoH", "HEAD_EXISTS")]),
        ("unknown member", "shelter",
         lambda i: {"projectId": i.project, "entryDate": "2025-01-01", "members": [
             {"clientId": i.cy, "relationshipToHoH": "SELF"},
             {"clientId": MISSING, "relationshipToHoH": "CHILD"}]},
         [("clientId", "NOT_FOUND")]),
        ("open stay", "shelter", lambda i: {"projectId": i.project, "entryDate": "2025-01-01",
                                            "members": [
                                                {"clientId": i.cy, "relationshipToHoH": "SELF"},
                                                {"clientId": i.ben, "relationshipToHoH": "CHILD"}]},
         [("clientId", "OPEN_ENROLLMENT_EXISTS")]),
        ("other organization's project", "outreach",
         lambda i: {"projectId": i.project, "entryDate": "2025-01-01",
                    "members": [{"clientId": i.cy, "relationshipToHoH": "SELF"}]}, FORBIDDEN),
    ],
    "deleteEnrollment": [
        ("empty reason", "shelter", lambda i: {"id": i.enrollment, "reason": ""},
         [("reason", "REQUIRED")]),
        ("too long", "shelter", lambda i: {"id": i.enrollment, "reason": "x" * 501},
         [("reason", "TOO_LONG")]),
        ("unknown", "shelter", lambda i: {"id": MISSING, "reason": "r"}, [("id", "NOT_FOUND")]),
        ("other organization's", "outreach", lambda i: {"id": i.enrollment, "reason": "r"},
         FORBIDDEN),
        ("not allowed", "auditor", lambda i: {"id": i.enrollment, "reason": "r"}, FORBIDDEN),
    ],
    "deleteCaseManagerAssignment": [
        ("malformed", "shelter", lambda i: {"id": "x", "reason": "r"}, [("id", "INVALID_ID")]),
        ("unknown", "shelter", lambda i: {"id": MISSING, "reason": "r"}, [("id", "NOT_FOUND")]),
        ("not allowed", "researcher", lambda i: {"id": MISSING, "reason": "r"}, FORBIDDEN),
    ],
    **{name: [
        ("unknown", "shelter", lambda i: {"id": MISSING, "reason": "r"}, [("id", "NOT_FOUND")]),
        ("missing reason", "shelter", lambda i: {"id": MISSING}, (GRAPHQL, "reason")),
        ("not allowed", "ada", lambda i: {"id": MISSING, "reason": "r"}, FORBIDDEN),
    ] for name in ("deleteContact", "deleteHealthRecord", "deleteIncome",
                   "deleteDomesticViolence", "deleteCaseNote")},
    "deleteClient": [
        ("empty reason", "admin", lambda i: {"id": i.cy, "reason": " "}, [("reason", "REQUIRED")]),
        ("unknown", "admin", lambda i: {"id": MISSING, "reason": "r"}, [("id", "NOT_FOUND")]),
        ("not admin", "shelter", lambda i: {"id": i.cy, "reason": "r"}, FORBIDDEN),
    ],
    "setContact": [
        ("malformed", "shelter", lambda i: {"clientId": i.ada, "phone": "12345", "email": "a@b",
                                            "state": "ZZ", "zip": "1234"},
         [("phone", "INVALID_PHONE"), ("email", "INVALID_EMAIL"), ("state", "INVALID_STATE"),
          ("zip", "INVALID_ZIP")]),
        ("stale", "shelter", lambda i: {"clientId": i.ada, "city": "Elgin", "version": 5},
         [("version", "STALE_VERSION")]),
        ("unknown client", "shelter", lambda i: {"clientId": MISSING, "city": "Elgin"},
         [("clientId", "NOT_FOUND")]),
        ("vsp ppi", "vsp", lambda i: {"clientId": i.ada, "phone": "6305550199"},
         [("phone", "VSP_NO_PPI")]),
        ("not staff", "admin", lambda i: {"clientId": i.ada, "city": "Elgin"}, FORBIDDEN),
    ],
    "recordHealth": [
        ("missing", "shelter", lambda i: {"clientId": i.ada}, (GRAPHQL, "disablingCondition")),
        ("future", "shelter", lambda i: {"clientId": i.ada, "disablingCondition": "NO",
                                         "informationDate": FUTURE},
         [("informationDate", "DATE_IN_FUTURE")]),
        ("wrong code", "shelter", lambda i: {"clientId": i.ada, "disablingCondition": "NO",
                                             "disabilities": [{"disabilityType": "PHYSICAL",
                                                               "response": 3}]},
         [("response", "WRONG_CODE")]),
        ("inconsistent", "shelter", lambda i: {"clientId": i.ada, "disablingCondition": "NO",
                                               "disabilities": [{"disabilityType": "HIV_AIDS",
                                                                 "response": 1}]},
         [("disablingCondition", "INCONSISTENT")]),
        ("duplicate", "shelter", lambda i: {"clientId": i.ada, "disablingCondition": "NO",
                                            "disabilities": [
                                                {"disabilityType": "PHYSICAL", "response": 0},
                                                {"disabilityType": "PHYSICAL", "response": 0}]},
         [("disabilityType", "DUPLICATE")]),
        ("another client's enrollment", "shelter",
         lambda i: {"clientId": i.ada, "disablingCondition": "NO",
                    "enrollmentId": i.ben_enrollment}, [("enrollmentId", "WRONG_CLIENT")]),
        ("other organization's enrollment", "shelter",
         lambda i: {"clientId": i.ada, "disablingCondition": "NO",
                    "enrollmentId": i.outreach_enrollment}, FORBIDDEN),
    ],
    "recordIncome": [
        ("negative", "shelter", lambda i: {"clientId": i.ada, "incomeFromAnySource": "YES",
                                           "sources": [{"source": "SSI", "amount": "-5"}]},
         [("amount", "NEGATIVE_AMOUNT")]),
        ("out of range", "shelter", lambda i: {"clientId": i.ada, "incomeFromAnySource": "YES",
                                               "sources": [{"source": "SSI",
                                                            "amount": "1000000"}]},
         [("amount", "OUT_OF_RANGE")]),
        ("cents", "shelter", lambda i: {"clientId": i.ada, "incomeFromAnySource": "YES",
                                        "sources": [{"source": "SSI", "amount": "10.123"}]},
         [("amount", "INVALID_AMOUNT")]),
        ("total", "shelter", lambda i: {"clientId": i.ada, "incomeFromAnySource": "YES",
                                        "totalMonthlyIncome": "100",
                                        "sources": [{"source": "SSI", "amount": "90"}]},
         [("totalMonthlyIncome", "TOTAL_MISMATCH")]),
        ("sources with no income", "shelter",
         lambda i: {"clientId": i.ada, "incomeFromAnySource": "NO",
                    "sources": [{"source": "SSI", "amount": "90"}]},
         [("incomeFromAnySource", "INCONSISTENT")]),
        ("yes without sources", "shelter", lambda i: {"clientId": i.ada,
                                                      "incomeFromAnySource": "YES"},
         [("sources", "REQUIRED")]),
        ("other unnamed", "shelter", lambda i: {"clientId": i.ada, "incomeFromAnySource": "YES",
                                                "sources": [{"source": "OTHER_INCOME_SOURCE",
                                                             "amount": "5"}]},
         [("otherIncomeSourceIdentify", "REQUIRED")]),
        ("wrong code", "shelter", lambda i: {"clientId": i.ada, "incomeFromAnySource": "YES",
                                             "sources": [{"source": "LOTTERY", "amount": "5"}]},
         (GRAPHQL, "LOTTERY")),
    ],
    "recordDomesticViolence": [
        ("inconsistent", "shelter", lambda i: {"clientId": i.ada, "survivor": "NO",
                                               "whenOccurred": "ONE_YEAR_OR_MORE"},
         [("whenOccurred", "INCONSISTENT")]),
        ("wrong code", "shelter", lambda i: {"clientId": i.ada, "survivor": "MAYBE"},
         (GRAPHQL, "MAYBE")),
        ("too early", "shelter", lambda i: {"clientId": i.ada, "survivor": "NO",
                                            "informationDate": "1980-01-01"},
         [("informationDate", "DATE_TOO_EARLY")]),
        ("malformed client", "shelter", lambda i: {"clientId": "ada", "survivor": "NO"},
         [("clientId", "INVALID_ID")]),
    ],
    "addCaseNote": [
        ("empty", "shelter", lambda i: {"clientId": i.ada, "text": "  "}, [("text", "REQUIRED")]),
        ("too long", "shelter", lambda i: {"clientId": i.ada, "text": "x" * 10_001},
         [("text", "TOO_LONG")]),
        ("future", "shelter", lambda i: {"clientId": i.ada, "text": "t", "noteDate": FUTURE},
         [("noteDate", "DATE_IN_FUTURE")]),
        ("not staff", "auditor", lambda i: {"clientId": i.ada, "text": "t"}, FORBIDDEN),
    ],
    "recordSharingRefusal": [
        ("unknown member", "shelter", lambda i: {"clientId": i.ada,
                                                 "householdMemberIds": [MISSING]},
         [("0", "NOT_FOUND")]),
        ("malformed", "shelter", lambda i: {"clientId": "x"}, [("clientId", "INVALID_ID")]),
        ("not allowed", "researcher", lambda i: {"clientId": i.ada}, FORBIDDEN),
    ],
    "revokeSharingRefusal": [
        ("not refused", "shelter", lambda i: {"clientId": i.ada}, [("clientId", "NOT_REFUSED")]),
    ],
    "requestCorrection": [
        ("not a PPI field", "ada", lambda i: {"clientId": i.ada, "field": "email",
                                              "requestedValue": "a@b.org"},
         [("field", "INVALID_FIELD")]),
        ("malformed ssn", "ada", lambda i: {"clientId": i.ada, "field": "ssn",
                                            "requestedValue": "12-34"},
         [("requestedValue", "INVALID_SSN")]),
        ("malformed dob", "ada", lambda i: {"clientId": i.ada, "field": "dob",
                                            "requestedValue": "yesterday"},
         [("requestedValue", "INVALID_DATE")]),
        ("future dob", "ada", lambda i: {"clientId": i.ada, "field": "dob",
                                         "requestedValue": FUTURE},
         [("requestedValue", "DATE_IN_FUTURE")]),
        ("empty", "ada", lambda i: {"clientId": i.ada, "field": "lastName",
                                    "requestedValue": " "}, [("requestedValue", "REQUIRED")]),
        ("someone else's record", "ada", lambda i: {"clientId": i.ben, "field": "lastName",
                                                    "requestedValue": "B"}, FORBIDDEN),
        ("unknown client", "shelter", lambda i: {"clientId": MISSING, "field": "lastName",
                                                 "requestedValue": "B"},
         [("clientId", "NOT_FOUND")]),
        ("vsp ppi", "vsp", lambda i: {"clientId": i.ada, "field": "lastName",
                                      "requestedValue": "B"}, [("requestedValue", "VSP_NO_PPI")]),
    ],
    "resolveCorrection": [
        ("deny without reason", "shelter", lambda i: {"id": i.request, "approve": False},
         [("reason", "REQUIRED")]),
        ("unknown", "shelter", lambda i: {"id": MISSING, "approve": True}, [("id", "NOT_FOUND")]),
        ("resolved", "shelter", lambda i: {"id": i.denied, "approve": True},
         [("id", "ALREADY_RESOLVED")]),
        ("other organization's client", "outreach", lambda i: {"id": i.request, "approve": True},
         FORBIDDEN),
        ("the client", "ada", lambda i: {"id": i.request, "approve": True}, FORBIDDEN),
    ],
    "fileComplaint": [
        ("empty", "ada", lambda i: {"text": ""}, [("text", "REQUIRED")]),
        ("too long", "ada", lambda i: {"text": "x" * 10_001}, [("text", "TOO_LONG")]),
        ("staff without client", "shelter", lambda i: {"text": "t"}, [("clientId", "REQUIRED")]),
        ("someone else's record", "ada", lambda i: {"text": "t", "clientId": i.ben}, FORBIDDEN),
        ("not allowed", "auditor", lambda i: {"text": "t", "clientId": i.ada}, FORBIDDEN),
    ],
    "updateComplaint": [
        ("skips review", "admin", lambda i: {"id": i.complaint, "status": "RESOLVED"},
         [("status", "INVALID_TRANSITION")]),
        ("wrong code", "admin", lambda i: {"id": i.complaint, "status": "CLOSED"},
         (GRAPHQL, "CLOSED")),
        ("unknown", "admin", lambda i: {"id": MISSING, "status": "UNDER_REVIEW"},
         [("id", "NOT_FOUND")]),
        ("not admin", "shelter", lambda i: {"id": i.complaint, "status": "UNDER_REVIEW"},
         FORBIDDEN),
    ],
    "mergeClients": [
        ("itself", "admin", lambda i: {"survivorId": i.ada, "mergedId": i.ada, "reason": "r"},
         [("mergedId", "SAME_CLIENT")]),
        ("unknown", "admin", lambda i: {"survivorId": i.ada, "mergedId": MISSING, "reason": "r"},
         [("mergedId", "NOT_FOUND")]),
        ("malformed", "admin", lambda i: {"survivorId": "1", "mergedId": i.ben, "reason": ""},
         [("survivorId", "INVALID_ID"), ("reason", "REQUIRED")]),
        ("not admin", "shelter", lambda i: {"survivorId": i.ada, "mergedId": i.ben,
                                            "reason": "r"}, FORBIDDEN),
    ],
    "unmergeClients": [
        ("unknown", "admin", lambda i: {"mergeId": MISSING, "reason": "r"},
         [("mergeId", "NOT_FOUND")]),
        ("malformed", "admin", lambda i: {"mergeId": "x", "reason": "r" * 2001},
         [("mergeId", "INVALID_ID"), ("reason", "TOO_LONG")]),
        ("not admin", "auditor", lambda i: {"mergeId": MISSING, "reason": "r"}, FORBIDDEN),
    ],
}  # fmt: skip


async def scene(api, token):
    """Records for every case to point at, and a caller for each role."""
    world = await build_world(api, token)
    admin, shelter = world.admin, world.staff["Shelter"]
    payload = await world.ok(admin, "createOrganization", {"name": "Safe House",
                             "victimServiceProvider": True}, "organization { id }")  # fmt: skip
    vsp = token("agency_staff", org=payload["organization"]["id"], sub="vsp-staff")
    ada = await world.new_client(ssn="123456789", dob="1990-01-01")
    ben = await world.new_client(firstName="Ben")
    cy = await world.new_client(firstName="Cy")  # enrolled nowhere

    async def enroll(org, client_id):
        payload = await world.ok(world.staff[org], "createEnrollment", {
            "clientId": client_id, "projectId": world.projects[org],
            "entryDate": "2025-01-10"}, "enrollment { id }")  # fmt: skip
        return payload["enrollment"]["id"]

    await world.ok(shelter, "setContact", {"clientId": ada, "city": "Wheaton"}, "version")
    await world.ok(
        admin,
        "createStaffUser",
        {
            "organizationId": world.orgs["Outreach"],
            "firstName": "Olly",
            "lastName": "O",
            "subject": "mona-login",
        },
        "staffUser { id }",
    )
    await world.ok(admin, "linkClientLogin", {"clientId": ada, "subject": "ada"}, "login { id }")
    await world.ok(admin, "recordResearchConsent", {"clientId": ben}, "consent { id }")
    await world.ok(admin, "publishPrivacyNotice", {"text": "# Notice",
                   "effectiveDate": TODAY.isoformat()}, "notice { id }")  # fmt: skip
    client = token("client", sub="ada")
    ask = {"clientId": ada, "field": "firstName", "requestedValue": "Adah"}
    request = await world.ok(client, "requestCorrection", ask, "correctionRequest { id }")
    denied = await world.ok(client, "requestCorrection", ask, "correctionRequest { id }")
    await world.ok(
        shelter,
        "resolveCorrection",
        {"id": denied["correctionRequest"]["id"], "approve": False, "reason": "No document."},
        "correctionRequest { id }",
    )
    complaint = await world.ok(client, "fileComplaint", {"text": "t"}, "complaint { id }")
    ids = SimpleNamespace(
        shelter=world.orgs["Shelter"], outreach=world.orgs["Outreach"], ada=ada, ben=ben, cy=cy,
        project=world.projects["Shelter"], manager=world.managers["Shelter"],
        enrollment=await enroll("Shelter", ada), ben_enrollment=await enroll("Shelter", ben),
        outreach_enrollment=await enroll("Outreach", ada),
        request=request["correctionRequest"]["id"], denied=denied["correctionRequest"]["id"],
        complaint=complaint["complaint"]["id"],
    )  # fmt: skip
    callers = {"admin": admin, "shelter": shelter, "outreach": world.staff["Outreach"],
               "vsp": vsp, "ada": client, "auditor": token("auditor", sub="auditor-1"),
               "researcher": token("researcher", sub="researcher-1")}  # fmt: skip
    return ids, callers


async def snapshot(sessions) -> tuple[int, ...]:
    """Rows in every table but the audit log's, in one statement."""
    from sqlalchemy import func

    tables = [t for t in models.Base.metadata.sorted_tables
              if t.name not in ("write_clock", "audit_events", "audit_chain", "audit_links",
                                "audit_pending")]  # fmt: skip
    counts = [select(func.count()).select_from(t).scalar_subquery() for t in tables]
    async with sessions() as s:
        return tuple((await s.execute(select(*counts))).one())


async def test_bad_input_to_every_mutation_is_refused_and_writes_nothing(
    api, token, sessions, subtests
):
    ids, callers = await scene(api, token)
    for name, cases in CASES.items():
        for case, caller, make, expected in cases:
            with subtests.test(mutation=name, case=case):
                before = await snapshot(sessions)
                _, body = await gql(api, mutation(name, ""), {"input": make(ids)},
                                    token=callers[caller])  # fmt: skip
                if expected == FORBIDDEN:
                    assert body["errors"][0]["extensions"]["code"] == FORBIDDEN, body
                elif expected[0] == GRAPHQL:
                    assert body.get("data") is None, body
                    assert expected[1] in body["errors"][0]["message"], body
                else:
                    errors = body["data"][name]["errors"]
                    found = [(e["field"][-1], e["code"]) for e in errors]
                    assert found == expected, errors
                    assert all(e["field"][0] == "input" and e["message"] for e in errors)
                assert await snapshot(sessions) == before


def test_every_mutation_has_bad_input_cases():
    names = set(build_schema()._schema.mutation_type.fields)
    assert names - ELSEWHERE == set(CASES)
