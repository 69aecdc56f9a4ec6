"""Corrections and complaints: who sees them and what resolving them does; and the client's
downloadable copy, which is the GraphQL view's own answer."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from hmis.db import models

from .support import gql
from .writes import build_world

CORRECTIONS = "query($s: CorrectionStatus) { correctionRequests(status: $s) { id status } }"
COMPLAINTS = "query($s: ComplaintStatus) { complaints(status: $s) { id status clientId } }"
IDENTITY = "query($id: ID!) { client(id: $id) { identity { ssn ssnDataQuality lastName } } }"


async def test_correction_requests_are_seen_by_the_parties_and_approval_corrects(
    api, token, sessions
):
    world = await build_world(api, token)
    shelter, outreach, housing = (world.staff[n] for n in ("Shelter", "Outreach", "Housing"))
    ada = await world.new_client(ssn="123456789")
    await world.ok(world.admin, "linkClientLogin", {"clientId": ada, "subject": "ada"},
                   "login { id }")  # fmt: skip
    client = token("client", sub="ada")
    # A partner files for the client: it sees what it filed; the entering organization sees
    # it too (it may resolve it); a third organization does not.
    payload = await world.ok(outreach, "requestCorrection", {
        "clientId": ada, "field": "ssn", "requestedValue": "xxxxx6789"},
        "correctionRequest { id status requestedValue }")  # fmt: skip
    ssn_request = payload["correctionRequest"]
    assert ssn_request["status"] == "PENDING" and ssn_request["requestedValue"] == "xxxxx6789"
    payload = await world.ok(client, "requestCorrection", {
        "clientId": ada, "field": "lastName", "requestedValue": "Byron"},
        "correctionRequest { id }")  # fmt: skip
    name_request = payload["correctionRequest"]["id"]
    for caller, expected in ((outreach, 1), (shelter, 2), (client, 2), (world.admin, 2),
                             (housing, 0), (token("auditor"), 2)):  # fmt: skip
        found = await world.query(caller, CORRECTIONS)
        assert len(found["correctionRequests"]) == expected
    # Approval applies the value as a correction (data quality derived again).
    await world.ok(world.admin, "resolveCorrection", {"id": ssn_request["id"], "approve": True},
                   "correctionRequest { status }")  # fmt: skip
    seen = await world.query(shelter, IDENTITY, id=ada)
    assert seen["client"]["identity"]["ssn"] == "xxxxx6789"
    assert seen["client"]["identity"]["ssnDataQuality"] == "APPROXIMATE_OR_PARTIAL"
    async with sessions() as s:
        kinds = list(await s.scalars(select(models.RecordVersion.kind).where(
            models.RecordVersion.record_id == uuid.UUID(ada)).order_by(
            models.RecordVersion.seq)))  # fmt: skip
    assert kinds == ["create", "correct"]
    # Denial records the reason and changes nothing.
    payload = await world.ok(shelter, "resolveCorrection", {
        "id": name_request, "approve": False, "reason": "No document shows this name."},
        "correctionRequest { status reason resolvedAt }")  # fmt: skip
    assert payload["correctionRequest"]["status"] == "DENIED"
    assert payload["correctionRequest"]["resolvedAt"]
    seen = await world.query(shelter, IDENTITY, id=ada)
    assert seen["client"]["identity"]["lastName"] == "Lovelace"
    found = await world.query(client, CORRECTIONS, s="DENIED")
    assert found["correctionRequests"] == [{"id": name_request, "status": "DENIED"}]


async def test_complaints_are_seen_only_by_the_complainant_and_administrators(api, token):
    world = await build_world(api, token)
    shelter = world.staff["Shelter"]
    ada = await world.new_client()
    await world.ok(world.admin, "linkClientLogin", {"clientId": ada, "subject": "ada"},
                   "login { id }")  # fmt: skip
    client, stranger = token("client", sub="ada"), token("client", sub="someone-else")
    # Staff file for Ada: the filer gets its receipt, but only Ada and admins can read it.
    payload = await world.ok(shelter, "fileComplaint", {
        "clientId": ada, "text": "She was asked for her SSN at the front desk."},
        "complaint { id status }")  # fmt: skip
    complaint = payload["complaint"]
    assert complaint["status"] == "RECEIVED"
    await world.ok(stranger, "fileComplaint", {"text": "No record, still a complaint."},
                   "complaint { id }")  # fmt: skip
    assert (await world.query(shelter, COMPLAINTS))["complaints"] == []
    assert (await world.query(token("auditor"), COMPLAINTS))["complaints"] == []
    mine = (await world.query(client, COMPLAINTS))["complaints"]
    assert mine == [{"id": complaint["id"], "status": "RECEIVED", "clientId": ada}]
    theirs = (await world.query(stranger, COMPLAINTS))["complaints"]
    assert len(theirs) == 1 and theirs[0]["clientId"] is None
    assert len((await world.query(world.admin, COMPLAINTS))["complaints"]) == 2
    await world.ok(world.admin, "updateComplaint", {"id": complaint["id"],
                   "status": "UNDER_REVIEW"}, "complaint { id }")  # fmt: skip
    found = await world.query(client, COMPLAINTS, s="RECEIVED")
    assert found["complaints"] == []
    found = await world.query(world.admin, COMPLAINTS, s="RECEIVED")
    assert len(found["complaints"]) == 1


async def test_a_complaint_staff_filed_is_bound_to_the_client_not_to_a_look_alike_subject(
    api, token, sessions
):
    world = await build_world(api, token)
    ada = await world.new_client()
    await world.ok(world.admin, "linkClientLogin", {"clientId": ada, "subject": "ada"},
                   "login { id }")  # fmt: skip
    filed = await world.ok(world.staff["Shelter"], "fileComplaint", {
        "clientId": ada, "text": "Asked for her SSN at the desk."}, "complaint { id }")  # fmt: skip
    # A token whose subject spells the client's ID reads nothing; Ada's own login reads it.
    for subject in (f"client:{ada}", f"client:{uuid.UUID(ada).hex}", ada):
        found = await world.query(token("client", sub=subject), COMPLAINTS)
        assert found["complaints"] == [], subject
    found = await world.query(token("client", sub="ada"), COMPLAINTS)
    assert [c["id"] for c in found["complaints"]] == [filed["complaint"]["id"]]
    async with sessions() as s:
        row = await s.get(models.Complaint, uuid.UUID(filed["complaint"]["id"]))
    assert (row.client_id, row.complainant_subject) == (uuid.UUID(ada), None)


async def test_the_copy_is_the_views_answer_escaped_and_refused_like_the_api(api, token):
    world = await build_world(api, token)
    ada = await world.new_client(firstName="<script>alert(1)</script>", lastName="O'Hara & Co")
    await world.ok(world.admin, "linkClientLogin", {"clientId": ada, "subject": "ada"},
                   "login { id }")  # fmt: skip
    auth = {"Authorization": f"Bearer {token('client', sub='ada')}"}
    reply = await api.get("/my-record.json", headers=auth)
    assert reply.status_code == 200 and reply.headers["cache-control"] == "no-store"
    _, body = await gql(api, "{ myRecord { client { identity { firstName lastName } } } }",
                        token=token("client", sub="ada"))  # fmt: skip
    assert reply.json()["myRecord"]["client"]["identity"] == {
        **body["data"]["myRecord"]["client"]["identity"], "middleName": None,
        "nameSuffix": None, "nameDataQuality": "FULL", "ssn": None,
        "ssnDataQuality": "DATA_NOT_COLLECTED", "dob": None,
        "dobDataQuality": "DATA_NOT_COLLECTED"}  # fmt: skip
    page = await api.get("/my-record.html", headers=auth)
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "O&#x27;Hara &amp; Co" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    # Refusals as the API gives them.
    reply = await api.get("/my-record.json", headers={"Authorization": "Bearer not-a-jwt"})
    assert reply.status_code == 401 and 'error="invalid_token"' in reply.headers[
        "www-authenticate"]  # fmt: skip
    reply = await api.get(
        "/my-record.json", headers={"Authorization": f"Bearer {token('hmis_admin')}"}
    )
    assert reply.status_code == 403
    assert reply.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    reply = await api.get(
        "/my-record.html", headers={"Authorization": f"Bearer {token('client', sub='nobody')}"}
    )
    assert reply.status_code == 404
    assert reply.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
