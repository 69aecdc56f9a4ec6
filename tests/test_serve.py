"""`hmis serve`: several uvicorn workers on uvloop and httptools, and an access log that
carries the path of each request but never its query string."""

from __future__ import annotations

import asyncio
import os
import sys

import httpx

from .test_request_limits import free_port


async def test_serve_runs_workers_and_logs_paths_without_query_strings(issuer, tmp_path):
    # Once, not per database: nothing here reaches one (no token: 401 before any query).
    port = free_port()
    env = {**os.environ, "HMIS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'none.db'}",
           "HMIS_ENV": "production", "HMIS_OIDC_ISSUER": issuer.url,
           "HMIS_PSEUDONYM_KEY": "test-pseudonym-key"}  # fmt: skip
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hmis.cli", "serve", "--port", str(port), "--workers", "2",
            env=env, stdout=output, stderr=output,
        )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(200):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            secret = 'searchClients(input:{lastName:"Lovelace"}){client{id}}'
            response = await client.get("/graphql", params={"query": "{" + secret + "}"})
            assert response.status_code == 401, response.text
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=20)
    text = log.read_text()
    assert text.count("Started server process") == 2, text
    assert '"GET /graphql HTTP/1.1" 401' in text, text
    assert "Lovelace" not in text and "query=" not in text, text
