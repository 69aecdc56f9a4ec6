"""Malformed and oversized requests get a 4xx with a JSON error saying what is wrong, never a
500 or a hang (issue 12.3 body limit, 12.4, 12.7)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket

import pytest
import uvicorn

from hmis.app import create_app
from hmis.request_limits import MAX_BODY_BYTES

from .support import api_settings

JSON = {"content-type": "application/json"}

# (case, body, extra headers, status, words of the message)
MALFORMED = [
    ("null", b"null", {}, 400, "got null"),
    ("number", b"123", {}, 400, "got a number"),
    ("string", b'"x"', {}, 400, "got a string"),
    ("array", b"[]", {}, 400, "got an array"),
    ("not UTF-8", b'{"query": "\xff\xfe"}', {}, 400, "not UTF-8"),
    ("5,000 digits", b'{"query": "{ __typename }", "variables": {"n": ' + b"7" * 5000 + b"}}",
     {}, 400, "digits"),
    ("nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000, {}, 400, "nested too deeply"),
    ("NaN", b'{"query": "{ __typename }", "variables": {"n": NaN}}', {}, 400, "NaN"),
    ("truncated", b'{"query": ', {}, 400, "not JSON"),
    ("gzip", b'{"query": "{ __typename }"}', {"content-encoding": "gzip"}, 415, "gzip"),
    ("10 MB", b'{"query": "' + b" " * 10_000_000 + b'{ __typename }"}', {}, 413,
     str(MAX_BODY_BYTES)),
    ("wrong type", b"query=x", {"content-type": "text/plain"}, 400, "content type"),
    ("no query", b"{}", {}, 400, "query"),
]  # fmt: skip


def assert_json_error(response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    (error,) = response.json()["errors"]
    assert words in error["message"] and error["extensions"]["code"], error
    assert "Traceback" not in response.text


@pytest.mark.parametrize("case,body,headers,status,words", MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_malformed_bodies_get_a_json_4xx(api, case, body, headers, status, words):
    response = await api.post("/graphql", content=body, headers={**JSON, **headers})
    assert_json_error(response, status, words)
    # The service carries on.
    ok = await api.post("/graphql", json={"query": "{ __typename }"})
    assert ok.status_code == 200 and ok.json() == {"data": {"__typename": "Query"}}


async def test_a_streamed_body_over_the_limit_is_refused_while_it_arrives(api):
    async def chunks():
        yield b'{"query": "'
        for _ in range(20):
            yield b" " * 100_000  # no Content-Length: sent chunked
        yield b'{ __typename }"}'

    response = await api.post("/graphql", content=chunks(), headers=JSON)
    assert_json_error(response, 413, "larger than")


async def test_request_level_errors_are_json(api):
    assert_json_error(await api.put("/graphql", content=b"{}"), 405, "GET and POST")
    assert_json_error(await api.get("/no-such-page"), 404, "Not Found")
    gossip = {"HMIS-Purpose": "GOSSIP"}
    response = await api.post("/graphql", json={"query": "{ __typename }"}, headers=gossip)
    assert_json_error(response, 400, "HMIS-Purpose")


def free_port() -> int:
    """A free port in the range kept for this project's test servers, tried in random order:
    test runs side by side (several worktrees on one machine) taking the lowest free port
    would race for the same one between the probe and the server's bind."""
    for port in random.sample(range(18150, 18200), 50):
        with socket.socket() as probe, contextlib.suppress(OSError):
            probe.bind(("127.0.0.1", port))
            return port
    raise RuntimeError("no free port in 18150-18199")


async def test_a_body_shorter_than_its_content_length_times_out_with_408(
    engine, database_url, issuer
):
    app = create_app(api_settings(database_url, issuer, body_timeout_seconds=1))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no event)
            await asyncio.sleep(0.02)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"query\":")  # fmt: skip
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), timeout=10)
        writer.close()
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), reply
        assert b"REQUEST_TIMEOUT" in body and b"Content-Length" in body
    finally:
        server.should_exit = True
        await serving
        await app.state.engine.dispose()
