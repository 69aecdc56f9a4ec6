"""`hmis serve`: several uvicorn workers on uvloop and httptools, and an access log that
carries the path of each request but never its query string."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

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
            for _ in range(600):  # both workers started (each prints its start)
                if log.read_text().count("Application startup complete.") == 2:
                    break
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


ESTABLISHED, LISTEN = "01", "0A"  # TCP states in /proc/net/tcp


def _sockets(pid: int, port: int, state: str) -> int:
    """How many TCP sockets of the process on local `port` are in `state` (from /proc)."""
    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:  # gone
        return 0
    inodes = {link[8:-1] for link in links if link.startswith("socket:[")}
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            count += fields[3] == state and local_port == port and fields[9] in inodes
    return count


def _alive(pids: list[int]) -> list[int]:
    return [pid for pid in pids if os.path.exists(f"/proc/{pid}")]


def _listening(pid: int, port: int) -> list[int]:
    """The child processes of `pid` listening on `port`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(stat[1]) == pid and _sockets(int(entry.name), port, LISTEN):
                found.append(int(entry.name))
    return found


async def _start(port: int, env: dict, log: Path, workers: int = 2):
    with log.open("wb") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hmis.cli", "serve", "--port", str(port),
            "--workers", str(workers), env=env, stdout=output, stderr=output,
        )  # fmt: skip


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc (Linux)")
async def test_keep_alive_connections_spread_over_the_workers(issuer, tmp_path):
    """Each worker listens on a socket of its own: 16 keep-alive connections opened at once
    land on both workers (with one shared socket the first worker to wake took them all)."""
    port = free_port()
    env = {**os.environ, "HMIS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'none.db'}",
           "HMIS_ENV": "production", "HMIS_OIDC_ISSUER": issuer.url,
           "HMIS_PSEUDONYM_KEY": "test-pseudonym-key"}  # fmt: skip
    server = await _start(port, env, tmp_path / "serve.log")
    try:
        for _ in range(300):  # both workers up (the supervisor's other child is
            workers = _listening(server.pid, port)  # multiprocessing's resource tracker)
            if len(workers) == 2:
                break
            await asyncio.sleep(0.05)
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits) as client:
            replies = await asyncio.gather(*(client.get("/healthz") for _ in range(16)))
            assert {r.status_code for r in replies} == {200}
            held = [_sockets(pid, port, ESTABLISHED) for pid in workers]
            # By a hash of the addresses: all 16 on one worker has odds of 1 in 32,768.
            assert sum(held) == 16 and min(held) >= 1, held
        # A worker that dies is started again; the port keeps answering.
        os.kill(workers[0], signal.SIGKILL)
        for _ in range(300):
            now = _listening(server.pid, port)
            if len(now) == 2 and workers[0] not in now:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"no worker started again: {_listening(server.pid, port)}")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.get("/healthz")).status_code == 200
    finally:
        server.terminate()
        assert await asyncio.wait_for(server.wait(), timeout=40) == 0
    assert not _alive(workers)  # stopped with their supervisor


async def test_a_port_in_use_is_refused_with_the_reason(issuer, tmp_path):
    port = free_port()
    taken = socket.socket()
    taken.bind(("127.0.0.1", port))
    taken.listen()
    env = {**os.environ, "HMIS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'none.db'}",
           "HMIS_ENV": "production", "HMIS_OIDC_ISSUER": issuer.url,
           "HMIS_PSEUDONYM_KEY": "test-pseudonym-key"}  # fmt: skip
    try:
        server = await _start(port, env, tmp_path / "serve.log")
        assert await asyncio.wait_for(server.wait(), timeout=30) == 1
    finally:
        taken.close()
    text = (tmp_path / "serve.log").read_text()
    assert f"cannot listen on 127.0.0.1:{port}" in text and "Traceback" not in text, text


async def test_a_port_another_hmis_serve_listens_on_is_refused(issuer, tmp_path):
    """Another `hmis serve` (its workers listen with SO_REUSEPORT, as would orphaned workers of
    a supervisor that was killed) holds the port: binding with SO_REUSEPORT too would succeed
    and the kernel would silently split the connections between the two servers (another
    database, another version). Refused, with the reason, like any port in use."""
    from hmis.serve import listening_socket

    port = free_port()
    taken = listening_socket("127.0.0.1", port)
    taken.listen()
    env = {**os.environ, "HMIS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'none.db'}",
           "HMIS_ENV": "production", "HMIS_OIDC_ISSUER": issuer.url,
           "HMIS_PSEUDONYM_KEY": "test-pseudonym-key"}  # fmt: skip
    server = await _start(port, env, tmp_path / "serve.log")
    try:
        assert await asyncio.wait_for(server.wait(), timeout=30) == 1
    finally:
        if server.returncode is None:
            server.terminate()
            await asyncio.wait_for(server.wait(), timeout=40)
        taken.close()
    text = (tmp_path / "serve.log").read_text()
    assert f"cannot listen on 127.0.0.1:{port}" in text and "Traceback" not in text, text


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc (Linux)")
async def test_workers_stop_when_their_supervisor_is_killed(issuer, tmp_path):
    """A supervisor killed outright (SIGKILL, the OOM killer) cannot stop its workers: left
    behind, they went on serving the port beside the next `hmis serve`'s workers. The kernel
    stops them (the parent-death signal); the port is free again."""
    port = free_port()
    env = {**os.environ, "HMIS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'none.db'}",
           "HMIS_ENV": "production", "HMIS_OIDC_ISSUER": issuer.url,
           "HMIS_PSEUDONYM_KEY": "test-pseudonym-key"}  # fmt: skip
    server = await _start(port, env, tmp_path / "serve.log")
    workers: list[int] = []
    try:
        for _ in range(300):
            workers = _listening(server.pid, port)
            if len(workers) == 2:
                break
            await asyncio.sleep(0.05)
        assert len(workers) == 2, workers
    finally:
        server.kill()
        await asyncio.wait_for(server.wait(), timeout=20)
    try:
        for _ in range(400):
            if not any(_sockets(pid, port, LISTEN) for pid in workers):
                break
            await asyncio.sleep(0.05)
        held = [pid for pid in workers if _sockets(pid, port, LISTEN)]
        assert not held, f"workers still listening after their supervisor died: {held}"
    finally:
        for pid in workers:  # (whatever the outcome: no worker outlives the test)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("workers", [1, 2])
async def test_sigterm_stops_promptly_with_idle_connections(issuer, tmp_path, workers):
    """A container orchestrator sends SIGTERM and waits (10 s for Docker) before SIGKILL:
    idle keep-alive connections, and one that never sent a byte, are closed at once, and a
    request still open (a body that trickles in) gets `GRACE_SECONDS`, so the server stops
    in under 10 s, its lifespan ended (the audit sealed)."""
    port = free_port()
    env = {**os.environ, "HMIS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'none.db'}",
           "HMIS_ENV": "production", "HMIS_OIDC_ISSUER": issuer.url,
           "HMIS_PSEUDONYM_KEY": "test-pseudonym-key",
           "HMIS_BODY_TIMEOUT_SECONDS": "60"}  # fmt: skip
    server = await _start(port, env, tmp_path / "serve.log", workers=workers)
    held: list[socket.socket] = []
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.TransportError):
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                    if (await client.get("/healthz")).status_code == 200:
                        break
            await asyncio.sleep(0.1)
        for _ in range(6):
            connection = socket.create_connection(("127.0.0.1", port))
            held.append(connection)
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            assert connection.recv(4096).startswith(b"HTTP/1.1 200")
        held.append(socket.create_connection(("127.0.0.1", port)))  # silent
        slow = socket.create_connection(("127.0.0.1", port))
        held.append(slow)
        slow.sendall(b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 1000\r\n\r\n{")  # fmt: skip
        await asyncio.sleep(0.2)  # the connections accepted by their workers
        started = asyncio.get_running_loop().time()
        server.send_signal(signal.SIGTERM)
        waiting = asyncio.ensure_future(server.wait())
        while not waiting.done() and asyncio.get_running_loop().time() - started < 30:
            with contextlib.suppress(OSError):
                slow.sendall(b" ")  # the open request's body goes on arriving
            await asyncio.wait([waiting], timeout=0.5)
        code = await asyncio.wait_for(waiting, timeout=1)
        took = asyncio.get_running_loop().time() - started
    finally:
        for connection in held:
            connection.close()
        if server.returncode is None:
            server.kill()
            await server.wait()
    assert code in (0, -signal.SIGTERM), code  # one worker: uvicorn re-raises the signal
    assert took < 10, took
    text = (tmp_path / "serve.log").read_text()
    assert text.count("Application shutdown complete") == workers, text
