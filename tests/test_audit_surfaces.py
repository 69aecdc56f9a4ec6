"""Every access to a client's data leaves an event, beyond client pages and profile writes:
correction requests and complaints read or written, and the access log itself read
(issue 11, point 6). Events name the client and groups, never the values, nor text the caller
chose (point 7)."""

from __future__ import annotations

import hashlib
import re
import uuid

from .test_audit import ask, assert_no_ppi, events
from .writes import build_world, mutation

SECRETS = ("234567891", "Bank statement shows it.", "No document shows this number.",
           "Asked for her SSN at the desk.", "Looked into it.")  # fmt: skip


async def test_corrections_complaints_and_the_log_itself_leave_events(api, token, sessions):
    world = await build_world(api, token)
    shelter, outreach = world.staff["Shelter"], world.staff["Outreach"]
    ada = await world.new_client(ssn="123456789")
    ada_login, auditor = token("client", sub="ada"), token("auditor", sub="auditor-1")

    async def logged(caller, document, variables=None) -> list[tuple]:
        """The events of one request: (client, action, groups, actor's organization)."""
        _, request_id = await ask(api, document, variables, token=caller)
        return [(str(e.client_id), e.action, e.groups, e.organization_id and str(e.organization_id))
                for e in await events(sessions, request_id=request_id)]  # fmt: skip

    link = mutation("linkClientLogin", "login { id }")
    assert await logged(world.admin, link, {"input": {"clientId": ada, "subject": "ada"}}) == [
        (ada, "link_login", [], None)]  # fmt: skip
    consent = mutation("recordResearchConsent", "consent { id }")
    assert await logged(world.admin, consent, {"input": {"clientId": ada}}) == [
        (ada, "consent_research", [], None)]  # fmt: skip

    request = mutation("requestCorrection", "correctionRequest { id requestedValue }")
    assert await logged(outreach, request, {"input": {
        "clientId": ada, "field": "ssn", "requestedValue": "234567891",
        "explanation": "Bank statement shows it."}}) == [
        (ada, "request_correction", ["IDENTITY"], world.orgs["Outreach"])]  # fmt: skip
    corrections = "{ correctionRequests { id requestedValue } }"
    assert await logged(shelter, corrections) == [
        (ada, "view", ["IDENTITY"], world.orgs["Shelter"])
    ]
    (pending,) = (await world.query(shelter, corrections))["correctionRequests"]
    deny = mutation("resolveCorrection", "correctionRequest { status requestedValue }")
    assert await logged(shelter, deny, {"input": {
        "id": pending["id"], "approve": False, "reason": "No document shows this number."}}) == [
        (ada, "deny_correction", ["IDENTITY"], world.orgs["Shelter"])]  # fmt: skip

    file = mutation("fileComplaint", "complaint { id text }")
    assert await logged(shelter, file, {"input": {
        "clientId": ada, "text": "Asked for her SSN at the desk."}}) == [
        (ada, "complain", [], world.orgs["Shelter"])]  # fmt: skip
    complaints = "{ complaints { id text } }"
    assert await logged(ada_login, complaints) == [(ada, "view", [], None)]
    (complaint,) = (await world.query(world.admin, complaints))["complaints"]
    move = mutation("updateComplaint", "complaint { id text }")
    assert await logged(world.admin, move, {"input": {
        "id": complaint["id"], "status": "UNDER_REVIEW", "note": "Looked into it."}}) == [
        (ada, "handle_complaint", [], None)]  # fmt: skip

    # Reading who accessed Ada is an access to Ada's data too.
    log = "query($id: ID!) { auditEvents(filter: {clientId: $id}) { edges { node { id } } } }"
    assert await logged(auditor, log, {"id": ada}) == [(ada, "view_log", [], None)]
    # Nobody's access is missing from the client's own accounting of it.
    history = "{ myRecord { accessHistory { organization { name } action groups } } }"
    actions = {e["action"] for e in (await world.query(ada_login, history))["myRecord"]
               ["accessHistory"]}  # fmt: skip
    assert {"request_correction", "deny_correction", "complain", "handle_complaint",
            "view_log"} <= actions  # fmt: skip
    everything = await events(sessions)
    assert all(e.client_id in (None, uuid.UUID(ada)) for e in everything)
    assert_no_ppi(everything, *SECRETS)


async def test_the_log_keeps_a_digest_of_the_operation_and_only_a_registered_name(
    api, token, sessions
):
    world = await build_world(api, token)
    ada = await world.new_client()
    staff = world.staff["Shelter"]
    read = "{ client(id: $id) { identity { lastName } } }"

    async def kept(document: str) -> str:
        _, request_id = await ask(api, document, {"id": ada}, token=staff)
        (event,) = await events(sessions, request_id=request_id)
        return event.operation_name

    hidden = await kept(f"query Nora_ssn_123456789($id: ID!) {read}")
    assert re.fullmatch("[0-9a-f]{32}", hidden), hidden
    assert hidden == await kept(f"query Nora_ssn_123456789($id: ID!) {read}")  # stable
    assert hidden != await kept(f"query Nora_ssn_987654321($id: ID!) {read}")
    # Not a plain hash of the document, which a guess of the name could be tested against.
    document = f"query Nora_ssn_123456789($id: ID!) {read}"
    assert hashlib.sha256(document.encode()).hexdigest()[:32] != hidden
    # A root field's name is a registered name: kept, as the field is spelled.
    for name in ("client", "Client"):
        label = await kept(f"query {name}($id: ID!) {read}")
        assert re.fullmatch("client [0-9a-f]{32}", label), label
    assert re.fullmatch("[0-9a-f]{32}", await kept(f"query ClientNora($id: ID!) {read}"))
