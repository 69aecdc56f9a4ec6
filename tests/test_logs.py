"""What the server's own log keeps of a request: never its query string (POLICY.md, Audit: no
search terms in clear), whichever way the query is sent."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import httpx
import pytest

PORT = 18232
SEARCH = """query Find($input: ClientSearchInput!) {
  searchClients(input: $input) { client { id } } }"""
TERMS = {"lastName": "Zornhausen", "dob": "1971-02-03", "ssnLast4": "4321"}


async def _serve(environ: dict[str, str]) -> asyncio.subprocess.Process:
    """`hmis serve` as production runs it, on 127.0.0.1:PORT, once it answers."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hmis.cli", "serve", "--port", str(PORT), env=environ,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                await client.get(f"http://127.0.0.1:{PORT}/healthz")
                return process
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    process.terminate()
    pytest.fail(f"hmis serve did not start: {(await process.communicate())[1].decode()}")


async def test_the_access_log_never_carries_a_query_string(database_url, engine, issuer, token):
    environ = {**os.environ, "HMIS_ENV": "production", "HMIS_DATABASE_URL": database_url,
               "HMIS_OIDC_ISSUER": issuer.url, "HMIS_PSEUDONYM_KEY": "a-secret"}  # fmt: skip
    process = await _serve(environ)
    try:
        headers = {"Authorization": f"Bearer {token('hmis_admin')}"}
        params = {"query": SEARCH, "variables": json.dumps({"input": TERMS})}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}") as client:
            got = await client.get("/graphql", params=params, headers=headers)
            assert got.status_code == 200 and "errors" not in got.json(), got.text
            posted = await client.post("/graphql", json={"query": SEARCH,
                                       "variables": {"input": TERMS}}, headers=headers)  # fmt: skip
            assert posted.status_code == 200
    finally:
        process.terminate()
        out, err = await process.communicate()
    logged = out.decode() + err.decode()
    # The request lines are there, without what followed the path.
    assert '"GET /graphql HTTP/1.1" 200' in logged, logged
    assert '"POST /graphql HTTP/1.1" 200' in logged, logged
    for term in (*TERMS.values(), "searchClients", "query="):
        assert term not in logged, (term, logged)
