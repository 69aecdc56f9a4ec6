"""What one document may ask: limits computed in time linear in the document, before anything
else validates or runs it, each refusal naming the limit (issue 12.2, 12.3, 12.6)."""

from __future__ import annotations

import gc
import time
import tracemalloc
import uuid

from graphql import get_introspection_query

from hmis.schema.documents import CACHEABLE_CHARS, DocumentCache
from hmis.schema.inputs import MAX_LIST_LENGTH
from hmis.schema.limits import MAX_COST, MAX_NESTING

from .support import gql, serve
from .writes import build_world, mutation


def doubling(levels: int) -> str:
    """Fragments that each spread the next one twice: 2**levels spreads when expanded."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    return "{ ...F0 } " + " ".join(fragments) + f" fragment F{levels} on Query {{ __typename }}"


def chain(length: int) -> str:
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(length)]
    return "{ ...F0 } " + " ".join(fragments) + f" fragment F{length} on Query {{ __typename }}"


def code_of(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


async def test_fragments_are_measured_once_however_often_they_are_spread(api):
    started = time.perf_counter()
    status, body = await gql(api, doubling(20))  # anonymous, 0.8 KB
    assert time.perf_counter() - started < 1.0
    assert status == 200 and body == {"data": {"__typename": "Query"}}


async def test_a_long_fragment_chain_is_refused_without_python_internals(api):
    status, body = await gql(api, chain(250))
    assert code_of(body) == "QUERY_TOO_COMPLEX" and str(MAX_NESTING) in body["errors"][0]["message"]
    assert "recursion" not in str(body)
    _, body = await gql(api, chain(MAX_NESTING - 5))
    assert body == {"data": {"__typename": "Query"}}


async def test_cost_is_computed_from_first_and_refused_with_cost_and_limit(api, token):
    admin = token("hmis_admin")
    page = "clients(first: 200) { edges { node { enrollments(first: 200) { totalCount } } } }"
    aliased = "{ " + " ".join(f"a{i}: {page}" for i in range(30)) + " }"
    started = time.perf_counter()
    _, body = await gql(api, aliased, token=admin)
    assert time.perf_counter() - started < 1.0
    message = body["errors"][0]["message"]
    assert code_of(body) == "QUERY_TOO_COMPLEX" and body["data"] is None
    assert "1206000" in message and str(MAX_COST) in message, message
    # Variables count as literals do.
    paged = "clients(first: $n) { edges { node { enrollments(first: $n) { totalCount } } } }"
    query = f"query($n: Int) {{ a: {paged} b: {paged} }}"
    _, body = await gql(api, query, {"n": 200}, token=admin)
    assert code_of(body) == "QUERY_TOO_COMPLEX"
    _, body = await gql(api, query, {"n": 100}, token=admin)
    assert "errors" not in body, body
    # One page at the cap, with its enrollments at theirs, is allowed.
    _, body = await gql(api, "{ " + page + " }", token=admin)
    assert "errors" not in body, body


async def test_verify_audit_log_is_asked_once_per_request(api, token):
    aliased = "{ " + " ".join(f"v{i}: verifyAuditLog {{ ok }}" for i in range(30)) + " }"
    _, body = await gql(api, aliased, token=token("hmis_admin"))
    assert code_of(body) == "QUERY_TOO_COMPLEX" and "verifyAuditLog" in body["errors"][0]["message"]
    _, body = await gql(api, "{ verifyAuditLog { ok } }", token=token("auditor"))
    assert code_of(body) == "FORBIDDEN"
    _, body = await gql(api, "{ verifyAuditLog { ok } }", token=token("hmis_admin"))
    assert body["data"]["verifyAuditLog"]["ok"] is True


async def test_input_lists_are_capped_before_anything_runs(api, token):
    world = await build_world(api, token)
    client_id = await world.new_client()
    shelter = world.staff["Shelter"]
    members = [str(uuid.uuid4()) for _ in range(MAX_LIST_LENGTH + 1)]
    refusal = mutation("recordSharingRefusal", "refusal { id }")
    started = time.perf_counter()
    _, body = await gql(api, refusal, {"input": {"clientId": client_id,
                        "householdMemberIds": members}}, token=shelter)  # fmt: skip
    assert time.perf_counter() - started < 1.0
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT",
                                   "field": ["input", "householdMemberIds"]}, error  # fmt: skip
    assert f"at most {MAX_LIST_LENGTH}" in error["message"]
    literal = (
        f'mutation {{ recordSharingRefusal(input: {{clientId: "{client_id}", '
        f"householdMemberIds: {members}}}) {{ refusal {{ id }} }} }}"
    ).replace("'", '"')
    _, body = await gql(api, literal, token=shelter)
    assert body["errors"][0]["extensions"]["field"] == ["input", "householdMemberIds"]
    # 100,000 of them do not even fit in a request.
    response = await api.post("/graphql", json={"query": refusal, "variables": {"input": {
        "clientId": client_id, "householdMemberIds": members * 1000}}})  # fmt: skip
    assert response.status_code == 413


async def test_big_documents_do_not_stay_in_memory(api):
    # Distinct documents of 90,000 characters (3,000 tokens of long names): each parses into
    # a few MB of nodes, which the former parse cache (256 entries) kept for good.
    def document(n: int) -> str:
        return "{ " + " ".join(f"f{n}_{i}_{'x' * 40}" for i in range(1400)) + " }"

    await gql(api, document(-1))
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(4):
            _, body = await gql(api, document(n))
            assert body["errors"], body
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 2_000_000, grown


async def test_graphiqls_introspection_query_passes_the_limits(database_url, issuer):
    query = get_introspection_query(
        descriptions=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    async with serve(database_url, issuer, enable_graphiql=True) as api:
        _, body = await gql(api, query)
    assert "errors" not in body and body["data"]["__schema"]["queryType"]["name"] == "Query"


def test_the_document_cache_is_bounded_in_bytes():
    cache = DocumentCache(max_bytes=1_000_000)
    for n in range(2000):
        query = f"{{ f{n} }}" + " " * 500
        cache.put(query, object())
        assert cache.bytes <= cache.max_bytes
    assert len(cache.entries) < 2000 and cache.get(query) is not None
    cache.put("{ x }" + " " * CACHEABLE_CHARS, object())  # too big to keep
    assert cache.get("{ x }" + " " * CACHEABLE_CHARS) is None
