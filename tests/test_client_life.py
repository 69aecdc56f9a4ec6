"""A client's life through the API, as a new integrator would drive it: created by one agency,
enrolled, given a case manager, seen by a partner, refusing sharing with a household member,
updated afterwards, corrected on request, complaining, reading and downloading their own
record, and revoking. After each step every role sees what POLICY.md says."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

from hmis.auth.pseudonym import ResearchIdentifiers

from .support import api_settings, gql
from .writes import build_world

ROOT = Path(__file__).resolve().parents[1]
VIEW = """query($id: ID!) { client(id: $id) {
  identity { firstName middleName lastName dob }
  demographics { gender }
  enrollments { totalCount edges { node { entryDate exitDate project { name } } } }
  caseManager { firstName }
  contact { phone }
  health { disablingCondition }
  income { totalMonthlyIncome }
  domesticViolence { survivor }
  caseNotes { text }
  researchKey
} }"""
MINE = """{ myRecord { client { identity { firstName lastName dob } contact { phone }
  caseNotes { text } enrollments { totalCount } } } }"""
CORRECTIONS = "{ correctionRequests { field requestedValue status reason } }"
COMPLAINTS = "{ complaints { status text history { status note } } }"
FORBIDDEN = "FORBIDDEN"


def summary(client: dict | None) -> dict | None:
    """What a caller sees of a client, group by group (None: not visible)."""
    if client is None:
        return None
    enrollments = client["enrollments"]["edges"]
    return {
        "name": client["identity"] and
        f"{client['identity']['firstName']} {client['identity']['lastName']}",
        "dob": client["identity"] and client["identity"]["dob"],
        "enrollments": [(e["node"]["project"]["name"], e["node"]["exitDate"]) for e in enrollments],
        "caseManager": client["caseManager"] and client["caseManager"]["firstName"],
        "contact": client["contact"] and client["contact"]["phone"],
        "health": client["health"] and client["health"]["disablingCondition"],
        "income": client["income"] and client["income"]["totalMonthlyIncome"],
        "dv": client["domesticViolence"] and client["domesticViolence"]["survivor"],
        "notes": client["caseNotes"] and [n["text"] for n in client["caseNotes"]],
        "researchKey": bool(client["researchKey"]),
    }  # fmt: skip


async def test_a_clients_life_through_the_api(api, token, issuer):
    world = await build_world(api, token)
    shelter, outreach, admin = world.staff["Shelter"], world.staff["Outreach"], world.admin
    auditor, aggregate = token("auditor", sub="auditor-1"), token("aggregate_reader", sub="agg")
    researcher, ada_login = token("researcher", sub="researcher-1"), token("client", sub="ada")

    async def seen(caller, client_id):
        status, body = await gql(api, VIEW, {"id": client_id}, token=caller)
        if body.get("errors"):
            return body["errors"][0]["extensions"]["code"]
        return summary(body["data"]["client"])

    # Public, without signing in: the partner list and the notice in force.
    notice = (ROOT / "docs" / "sample-privacy-notice.md").read_text()
    await world.ok(admin, "publishPrivacyNotice", {
        "text": notice, "effectiveDate": datetime.date.today().isoformat()},
        "notice { title }")  # fmt: skip
    public = await world.query(None, "{ organizations { name } privacyNotice { title } }")
    assert [o["name"] for o in public["organizations"]] == ["Housing Org", "Outreach Org",
                                                             "Shelter Org"]  # fmt: skip
    assert public["privacyNotice"]["title"] == "Sample HMIS Privacy Notice"

    # 1-3. The shelter enters Ada and her son, enrolls them as a household, assigns Mona.
    ada = await world.new_client(ssn="123456789", dob="1990-01-01", gender=["WOMAN"])
    ben = await world.new_client(firstName="Ben")
    payload = await world.ok(shelter, "createEnrollment", {
        "clientId": ada, "projectId": world.projects["Shelter"], "entryDate": "2025-01-10"},
        "enrollment { id household { householdId } }")  # fmt: skip
    enrollment, household = payload["enrollment"]["id"], payload["enrollment"]["household"]
    await world.ok(shelter, "createEnrollment", {
        "clientId": ben, "projectId": world.projects["Shelter"], "entryDate": "2025-01-10",
        "householdId": household["householdId"], "relationshipToHoH": "CHILD"},
        "enrollment { id }")  # fmt: skip
    await world.ok(shelter, "assignCaseManager",
                   {"clientId": ada, "staffUserId": world.managers["Shelter"]},
                   "assignment { firstName }")  # fmt: skip
    # 4. ...and records what only the shelter may see.
    await world.ok(
        shelter,
        "setContact",
        {"clientId": ada, "phone": "(630) 555-0199", "state": "il", "zip": "60187"},
        "contact { phone }",
    )
    await world.ok(
        shelter,
        "recordHealth",
        {"clientId": ada, "disablingCondition": "NO", "enrollmentId": enrollment},
        "health { disablingCondition }",
    )
    await world.ok(
        shelter,
        "recordIncome",
        {
            "clientId": ada,
            "incomeFromAnySource": "YES",
            "sources": [{"source": "EARNED", "amount": "900.00"}],
        },
        "income { totalMonthlyIncome }",
    )
    await world.ok(
        shelter,
        "recordDomesticViolence",
        {"clientId": ada, "survivor": "NO"},
        "domesticViolence { survivor }",
    )
    await world.ok(
        shelter, "addCaseNote", {"clientId": ada, "text": "Intake done."}, "caseNote { id }"
    )
    await world.ok(shelter, "addCaseNote", {"clientId": ada, "text": "For the hearing.",
                   "compiledForLegalProceeding": True}, "caseNote { id }")  # fmt: skip

    everything = {"name": "Ada Lovelace", "dob": "1990-01-01",
                  "enrollments": [("Night Shelter", None)], "caseManager": "Mona",
                  "contact": "6305550199", "health": "NO", "income": "900.00", "dv": "NO",
                  "notes": ["For the hearing.", "Intake done."], "researchKey": False}  # fmt: skip
    shared_only = {**everything, "contact": None, "health": None, "income": None, "dv": None,
                   "notes": []}  # fmt: skip
    # 5. Seen by a partner: the shared groups only. The entering agency, admins and
    # auditors see everything; aggregate readers no row; researchers need an agreement.
    assert await seen(outreach, ada) == shared_only
    for caller in (shelter, admin, auditor):
        assert await seen(caller, ada) == everything
    assert await seen(aggregate, ada) == FORBIDDEN
    assert await seen(researcher, ada) == FORBIDDEN
    agreement = await world.ok(admin, "createResearchAgreement", {
        "subject": "researcher-1", "expiresOn": "2099-01-01"}, "agreement { id }")  # fmt: skip
    de_identified = {**everything, "name": None, "dob": None, "contact": None, "notes": None,
                     "researchKey": True}  # fmt: skip
    # Researchers name clients by their pseudonyms (they never receive real IDs).
    under = ResearchIdentifiers(api_settings("", issuer).pseudonym_key,
                                uuid.UUID(agreement["agreement"]["id"]))  # fmt: skip
    pseudonym = under.client(ada)
    assert pseudonym != ada and await seen(researcher, ada) is None
    assert await seen(researcher, pseudonym) == de_identified
    await world.ok(admin, "recordResearchConsent", {"clientId": ada}, "consent { id }")
    assert await seen(researcher, pseudonym) == {**de_identified, "name": "Ada Lovelace",
                                                 "dob": "1990-01-01"}  # fmt: skip
    # The client signs in: nothing until an administrator links the login to her record.
    assert await world.query(ada_login, MINE) == {"myRecord": None}
    await world.ok(admin, "linkClientLogin", {"clientId": ada, "subject": "ada"}, "login { id }")
    mine = (await world.query(ada_login, MINE))["myRecord"]["client"]
    assert mine["caseNotes"] == [{"text": "Intake done."}]  # not the legal-proceeding note

    # 6. Ada refuses sharing, naming Ben. 7. The shelter updates both and exits Ada; the
    # partner edits Ada's middle name. The partner sees its own edit, nothing else later.
    payload = await world.ok(shelter, "recordSharingRefusal",
                             {"clientId": ada, "householdMemberIds": [ben]},
                             "refusal { recordedAt coveredClientIds }")  # fmt: skip
    assert set(payload["refusal"]["coveredClientIds"]) == {ada, ben}
    for client_id in (ada, ben):
        await world.ok(shelter, "updateClient", {"id": client_id, "lastName": "Byron"},
                       "client { id }")  # fmt: skip
    await world.ok(shelter, "exitEnrollment", {"enrollmentId": enrollment, "exitDate": "2025-03-01",
                   "destination": "RENTAL_NO_SUBSIDY"}, "enrollment { id }")  # fmt: skip
    await world.ok(outreach, "updateClient", {"id": ada, "middleName": "M"}, "client { id }")
    current = {**everything, "name": "Ada Byron", "enrollments": [("Night Shelter", "2025-03-01")]}
    assert await seen(outreach, ada) == shared_only
    assert (await world.query(outreach, VIEW, id=ada))["client"]["identity"]["middleName"] == "M"
    assert (await seen(outreach, ben))["name"] == "Ben Lovelace"
    for caller in (shelter, admin, auditor):
        assert await seen(caller, ada) == current
    assert (await world.query(ada_login, MINE))["myRecord"]["client"]["identity"][
        "lastName"] == "Byron"  # fmt: skip

    # 8. Ada asks to correct her date of birth. The shelter (which entered her) sees and
    # approves it; the partner neither sees nor resolves it, but sees the corrected value.
    payload = await world.ok(ada_login, "requestCorrection", {
        "clientId": ada, "field": "dob", "requestedValue": "1990-01-02",
        "explanation": "My birth certificate says the 2nd."},
        "correctionRequest { id status }")  # fmt: skip
    request = payload["correctionRequest"]
    assert request["status"] == "PENDING"
    assert (await world.query(outreach, CORRECTIONS))["correctionRequests"] == []
    assert len((await world.query(shelter, CORRECTIONS))["correctionRequests"]) == 1
    status, body = await gql(
        api,
        """mutation($id: ID!) { resolveCorrection(input: {id: $id,
        approve: true}) { errors { code } } }""",
        {"id": request["id"]},
        token=outreach,
    )
    assert body["errors"][0]["extensions"]["code"] == FORBIDDEN
    approve = {"id": request["id"], "approve": True, "reason": "Birth certificate seen."}
    await world.ok(shelter, "resolveCorrection", approve, "correctionRequest { status }")
    assert await seen(outreach, ada) == {**shared_only, "dob": "1990-01-02"}
    assert (await world.query(ada_login, CORRECTIONS))["correctionRequests"] == [{
        "field": "dob", "requestedValue": "1990-01-02", "status": "APPROVED",
        "reason": "Birth certificate seen."}]  # fmt: skip

    # 9. Ada complains. Only she and administrators ever see it; admins move it along.
    await world.ok(ada_login, "fileComplaint", {"text": "A partner called my old number."},
                   "complaint { id status }")  # fmt: skip
    for caller in (outreach, shelter, auditor):
        assert (await world.query(caller, COMPLAINTS))["complaints"] == []
    (complaint,) = (await world.query(admin, "{ complaints { id status } }"))["complaints"]
    for step, note in (("UNDER_REVIEW", None), ("ESCALATED", "Sent to Community Services."),
                       ("RESOLVED", "Number removed.")):  # fmt: skip
        await world.ok(admin, "updateComplaint", {"id": complaint["id"], "status": step,
                       "note": note}, "complaint { status }")  # fmt: skip
    payload = await world.call(
        admin,
        "updateComplaint",
        {"id": complaint["id"], "status": "UNDER_REVIEW"},
        "complaint { id }",
    )
    assert [e["code"] for e in payload["errors"]] == ["INVALID_TRANSITION"]
    (mine,) = (await world.query(ada_login, COMPLAINTS))["complaints"]
    assert mine["status"] == "RESOLVED"
    assert [e["status"] for e in mine["history"]] == ["RECEIVED", "UNDER_REVIEW", "ESCALATED",
                                                      "RESOLVED"]  # fmt: skip

    # 10. Ada inspects and downloads her record: every group, without the legal note.
    reply = await api.get("/my-record.json", headers={"Authorization": f"Bearer {ada_login}"})
    assert reply.status_code == 200
    assert reply.headers["content-disposition"] == 'attachment; filename="my-record.json"'
    copy = reply.json()
    client = copy["myRecord"]["client"]
    assert client["identity"]["lastName"] == "Byron" and client["identity"]["dob"] == "1990-01-02"
    assert client["contact"]["phone"] == "6305550199"
    assert "sex" in client["demographics"]  # FY2026 4.21 (DEMOGRAPHICS)
    assert [n["text"] for n in client["caseNotes"]] == ["Intake done."]
    assert copy["complaints"][0]["status"] == "RESOLVED"
    assert copy["correctionRequests"][0]["status"] == "APPROVED"
    page = await api.get("/my-record.html", headers={"Authorization": f"Bearer {ada_login}"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Byron" in page.text and "Intake done." in page.text
    assert "For the hearing." not in page.text and "@media print" in page.text
    reply = await api.get("/my-record.json", headers={"Authorization": f"Bearer {shelter}"})
    assert reply.status_code == 403
    reply = await api.get("/my-record.html")
    assert reply.status_code == 401 and reply.headers["www-authenticate"].startswith("Bearer")

    # 11. Ada revokes: partners see her current record again. Ben stays covered until he
    # revokes too.
    await world.ok(shelter, "revokeSharingRefusal", {"clientId": ada}, "refusal { revokedAt }")
    assert await seen(outreach, ada) == {
        **shared_only, "name": "Ada Byron", "dob": "1990-01-02",
        "enrollments": [("Night Shelter", "2025-03-01")]}  # fmt: skip
    assert (await seen(outreach, ben))["name"] == "Ben Lovelace"
    await world.ok(shelter, "revokeSharingRefusal", {"clientId": ben}, "refusal { revokedAt }")
    assert (await seen(outreach, ben))["name"] == "Ben Byron"
