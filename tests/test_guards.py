"""Guards: query size limits, production introspection, masked internal errors, clean logs."""

from __future__ import annotations

import logging

from sqlalchemy import text

from . import people
from .support import gql, serve


async def test_deep_queries_are_refused(api, token):
    # The schema has no cycles today, so depth is defense in depth: the limit still speaks.
    too_deep = "{ " + "clients { edges { node { " * 4 + "id" + " } } }" * 4 + " }"
    _, body = await gql(api, too_deep, token=token("hmis_admin"))
    assert body["data"] is None
    assert any("depth" in e["message"] for e in body["errors"]), body


async def test_too_many_aliases_are_refused(api, token):
    aliases = " ".join(f"a{i}: organizations {{ id }}" for i in range(40))
    _, body = await gql(api, "{ " + aliases + " }", token=token("hmis_admin"))
    assert body["data"] is None and "aliases" in body["errors"][0]["message"].lower()


async def test_introspection_is_off_in_production_unless_enabled(database_url, issuer):
    query = "{ __schema { queryType { name } } }"
    async with serve(database_url, issuer) as api:
        _, body = await gql(api, query)
        assert body["data"] is None and "introspection" in body["errors"][0]["message"].lower()
    async with serve(database_url, issuer, enable_graphiql=True) as api:
        _, body = await gql(api, query)
        assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_internal_errors_are_masked_and_logged_without_detail(
    api, token, sessions, engine, caplog
):
    world = await people.coc(sessions)
    client = await people.fully_recorded_client(sessions, world, last_name="Zebulon")
    async with engine.begin() as connection:  # break the database under the API
        await connection.execute(text("ALTER TABLE case_notes RENAME TO case_notes_moved"))
    try:
        with caplog.at_level(logging.DEBUG):
            _, body = await gql(api, 'query($id: ID!) { client(id: $id) { caseNotes { text } } }',
                                {"id": str(client.id)}, token=token("hmis_admin"))  # fmt: skip
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE case_notes_moved RENAME TO case_notes"))
    error = body["errors"][0]
    assert error["message"] == "Internal error." and "extensions" not in error
    assert "Traceback" not in str(body) and "case_notes" not in str(body)
    assert any("internal error" in r.getMessage() for r in caplog.records)


async def test_logs_hold_no_search_terms_or_names(api, token, sessions, caplog):
    world = await people.coc(sessions)
    await people.fully_recorded_client(sessions, world, last_name="Zebulon")
    with caplog.at_level(logging.DEBUG):
        for query in [
            '{ searchClients(input: {lastName: "Zebulon"}) { client { id } } }',
            '{ searchClients(input: {lastName: "Zebulon", ssnLast4: "12"}) { client { id } } }',
            '{ searchClients(input: {lastName: "Zebulon", bogus: 1}) { client { id } } }',
            # An alias is the caller's text too: a failing field's path names it.
            '{ Zebulon_1: searchClients(input: {lastName: "Ze", ssnLast4: "12"}) { matchedOn } }',
        ]:
            await gql(api, query, token=token("hmis_admin"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Zebulon" not in logged and "123456789" not in logged
