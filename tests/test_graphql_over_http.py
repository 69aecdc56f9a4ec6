"""GraphQL over HTTP (the GraphQL Foundation's draft): media types, status codes, methods."""

from __future__ import annotations

import contextlib
from collections import Counter

import pytest

from hmis.app import create_app

from . import http_audit
from .live_server import listening
from .support import api_settings

MODERN = "application/graphql-response+json"
# The audits that read the schema by introspection, which production switches off.
INTROSPECTING = {"2EA1", "28B9", "D6D5", "6A70"}


@contextlib.asynccontextmanager
async def audited(database_url, issuer, **settings):
    app = create_app(api_settings(database_url, issuer, **settings))
    try:
        async with listening(app) as base:
            yield await http_audit.run(f"{base}/graphql")
    finally:
        await app.state.engine.dispose()


async def test_graphql_http_audit_suite_passes_without_warnings(engine, database_url, issuer):
    async with audited(database_url, issuer, enable_graphiql=True) as results:
        score = Counter(r["status"] for r in results)
    failed = [f"{r['status']} {r['id']}: {r['name']} ({r['reason']})"
              for r in results if r["status"] != "ok"]  # fmt: skip
    print("graphql-http audit:", dict(score))
    assert not failed, "\n".join(failed)
    assert score["ok"] == len(results) > 50


async def test_in_production_only_the_introspecting_audits_fail(engine, database_url, issuer):
    async with audited(database_url, issuer) as results:
        failed = {r["id"] for r in results if r["status"] != "ok"}
    assert failed <= INTROSPECTING, failed


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        (MODERN, MODERN),
        (f"application/json, {MODERN}", MODERN),
        (f"{MODERN};q=0.5, application/json", "application/json"),
        ("application/*", "application/json"),
    ],
)
async def test_reply_media_type_follows_accept(api, accept, expected):
    headers = {"Accept": accept} if accept else {}
    response = await api.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == f"{expected}; charset=utf-8"
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_unacceptable_media_type_is_406_in_json(api):
    response = await api.post("/graphql", json={"query": "{ __typename }"},
                              headers={"Accept": "text/csv"})  # fmt: skip
    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


async def test_request_errors_are_400_without_data_under_graphql_response_json(api):
    for query in ("{", "{ noSuchField }"):
        modern = await api.post("/graphql", json={"query": query}, headers={"Accept": MODERN})
        assert modern.status_code == 400 and "data" not in modern.json(), modern.text
        assert modern.headers["content-type"].startswith(MODERN)
        legacy = await api.post("/graphql", json={"query": query},
                                headers={"Accept": "application/json"})  # fmt: skip
        assert legacy.status_code == 200 and legacy.json()["errors"], legacy.text
    coerce = await api.post("/graphql", headers={"Accept": MODERN}, json={
        "query": "query Q($first: Int) { clients(first: $first) { totalCount } }",
        "variables": {"first": "many"}})  # fmt: skip
    assert coerce.status_code == 400 and "data" not in coerce.json(), coerce.text


async def test_execution_errors_keep_their_status_under_graphql_response_json(api, token):
    # Refused by a guard (no token): 401 with WWW-Authenticate, as under application/json.
    response = await api.post("/graphql", json={"query": "{ clients { totalCount } }"},
                              headers={"Accept": MODERN})  # fmt: skip
    assert response.status_code == 401 and "www-authenticate" in response.headers
    headers = {"Accept": MODERN, "Authorization": "Bearer nonsense"}
    bad = await api.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert bad.status_code == 401 and bad.headers["content-type"].startswith(MODERN)


async def test_mutation_over_get_is_405_with_allow(api):
    response = await api.get("/graphql", params={"query": "mutation { __typename }"},
                             headers={"Accept": "application/json"})  # fmt: skip
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    other = await api.put("/graphql", json={"query": "{ __typename }"})
    assert other.status_code == 405 and other.headers["allow"] == "GET, POST"
