"""Input the databases would reject is refused first, as BAD_USER_INPUT naming the field, and
organization names compare alike on both databases (issue 12.5)."""

from __future__ import annotations

import json

import pytest

from .support import gql
from .writes import build_world, mutation, row_counts


async def send(api, query, variables=None, token=None) -> dict:
    """POST with the JSON escaped to ASCII: a lone surrogate travels as `\\ud800`, as any
    JSON encoder that accepts it sends it."""
    body = json.dumps({"query": query, "variables": variables})
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    response = await api.post("/graphql", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


UPDATE = mutation("updateClient", "client { id }")
SEARCH = "query($input: ClientSearchInput!) { searchClients(input: $input) { client { id } } }"


@pytest.mark.parametrize("bad,words", [("Ada\x00", "NUL"), ("Ada\ud800", "surrogate")],
                         ids=["NUL", "lone surrogate"])  # fmt: skip
async def test_text_no_database_can_store_is_refused_naming_the_field(
    api, token, sessions, bad, words
):
    world = await build_world(api, token)
    shelter = world.staff["Shelter"]
    client_id = await world.new_client()
    before = await row_counts(sessions)
    cases = [
        (UPDATE, {"input": {"id": client_id, "lastName": bad}}, ["input", "lastName"]),
        (mutation("addCaseNote", "caseNote { id }"),
         {"input": {"clientId": client_id, "text": f"note {bad}"}}, ["input", "text"]),
        (SEARCH, {"input": {"lastName": bad}}, ["input", "lastName"]),
        (mutation("createOrganization", "organization { id }"), {"input": {"name": bad}},
         ["input", "name"]),
    ]  # fmt: skip
    for query, variables, field in cases:
        caller = world.admin if "createOrganization" in query else shelter
        body = await send(api, query, variables, token=caller)
        (error,) = body["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, error
        assert words in error["message"] and body.get("data") is None
    # Written in the document instead of a variable (the escape makes the NUL).
    literal = bad.replace("\x00", "\\u0000").replace("\ud800", "\\ud800")
    query = f'{{ searchClients(input: {{lastName: "{literal}"}}) {{ client {{ id }} }} }}'
    body = await send(api, query, token=shelter)
    (error,) = body["errors"]
    if words == "NUL":
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": ["input", "lastName"]}
    else:  # GraphQL's own grammar has no lone surrogate
        assert "Invalid Unicode escape" in error["message"], error
    assert await row_counts(sessions) == before


async def test_a_time_past_year_9999_is_refused_naming_the_field(api, token):
    query = '{ auditEvents(filter: {from: "9999-12-31T23:59:59-23:59"}) { totalCount } }'
    _, body = await gql(api, query, token=token("hmis_admin"))
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": ["filter", "from"]}, error


async def test_a_search_term_longer_than_any_name_is_refused(api, token):
    _, body = await gql(api, SEARCH, {"input": {"lastName": "x" * 60_000}},
                        token=token("hmis_admin"))  # fmt: skip
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": ["input", "lastName"]}
    assert "at most 50" in error["message"]


async def test_organization_names_compare_without_case_on_both_databases(api, token):
    admin = token("hmis_admin")
    create = mutation("createOrganization", "organization { id }")
    _, body = await gql(api, create, {"input": {"name": "Ünïcödé"}}, token=admin)
    assert body["data"]["createOrganization"]["errors"] == [], body
    for name in ("ünïcödé", "Ünïcödé", "ÜNÏCÖDÉ"):
        _, body = await gql(api, create, {"input": {"name": name}}, token=admin)
        errors = body["data"]["createOrganization"]["errors"]
        assert [e["code"] for e in errors] == ["DUPLICATE_NAME"], body


async def test_an_empty_id_is_a_malformed_id_not_an_internal_error(api, token):
    # Found by `make fuzz`: "" passed `x and parse_id(x)` unparsed, and the database refused it.
    admin = token("hmis_admin")
    for query, field in (
        ('{ auditEvents(filter: {clientId: ""}) { totalCount } }', ["clientId"]),
        ('{ auditEvents(filter: {organizationId: ""}) { totalCount } }', ["organizationId"]),
        ('{ clients(filter: {projectId: ""}) { totalCount } }', ["projectId"]),
    ):
        _, body = await gql(api, query, token=admin)
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, body
    complaint = mutation("fileComplaint", "complaint { id }")
    _, body = await gql(api, complaint, {"input": {"text": "t", "clientId": ""}}, token=admin)
    errors = body["data"]["fileComplaint"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["input", "clientId"], "INVALID_ID")]
