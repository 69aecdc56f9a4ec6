"""The app listening on a real port (uvicorn, in the test's own event loop), for clients that
are other processes: Node's graphql-http audit, headless Chromium."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn

from .test_request_limits import free_port


@contextlib.asynccontextmanager
async def listening(app) -> AsyncIterator[str]:
    """`async with listening(app) as url:` the base URL (http://127.0.0.1:PORT) while it runs."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                            log_level="warning", access_log=False)  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(400):
            if server.started or task.done():
                break
            await asyncio.sleep(0.025)
        if not server.started:
            task.result()  # its startup error, if any
            raise RuntimeError(f"uvicorn did not start on port {port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=20)
