"""`hmis serve`: uvicorn on uvloop and httptools, in one process or several.

Several workers each listen on a socket of their own, bound to the same address with
SO_REUSEPORT: the kernel spreads new connections over the workers' sockets evenly (by a hash of
each connection's addresses). With one socket shared by every worker, as uvicorn's own
`--workers` does, whichever worker wakes first accepts every connection waiting: measured with
8 keep-alive clients, one worker held all 8 connections in most runs while the other idled
(bench/README.md), so a second worker added little. The supervisor here starts the workers,
starts a worker again if one dies, and stops them all on SIGINT or SIGTERM.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import time

log = logging.getLogger("hmis")
APP = "hmis.app:create_app"
# Workers that die are started again, but not forever: past this many restarts in a minute
# (per worker), or a worker that could not start (uvicorn's exit code 3: its app's startup
# failed), the supervisor stops every worker and exits with an error.
RESTARTS_PER_MINUTE = 3
STARTUP_FAILURE = 3


# Each worker builds its own app (engine, pool) from the same environment; the app keeps
# query strings out of uvicorn's access log (`hmis.logs`).
# `X-Forwarded-For` is not read (deployment.md: nothing in the API trusts it): the client of a
# request is the peer of its connection, which `RecycleConnections` counts by.
# On SIGTERM idle connections close at once and open requests get `GRACE_SECONDS` to finish
# before they are cancelled: an orchestrator's stop (10 s for Docker, 30 s for Kubernetes) must
# not wait on a slow upload or a long export stream.
GRACE_SECONDS = 5
SETTINGS = {"factory": True, "loop": "uvloop", "http": "httptools", "log_level": "info",
            "proxy_headers": False, "timeout_graceful_shutdown": GRACE_SECONDS}  # fmt: skip


def unused(host: str, port: int) -> None:
    """Raise OSError (address in use) if any socket listens on `host:port`, even one that lets
    others bind it (SO_REUSEPORT: another `hmis serve`, or workers left by a supervisor that was
    killed), which our own SO_REUSEPORT bind would join silently, splitting the connections
    between two servers. A bind without SO_REUSEPORT is refused by any such socket."""
    _bound(host, port, shared=False).close()


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to `host:port` that other workers of this user may bind too."""
    return _bound(host, port, shared=True)


def _bound(host: str, port: int, *, shared: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no use
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class RecycleConnections:
    """ASGI middleware: the reply to every `limit`-th request on a connection carries
    `Connection: close`, and the client reconnects. Each new connection lands on a worker by
    the kernel's hash, so a few long-lived keep-alive connections (a proxy's, a load
    generator's) do not stay unevenly spread: with 8 connections on 2 workers, a 6/2 or 7/1
    split (one run in three) held for good otherwise. A reconnection on a private network
    costs a fraction of a millisecond; a connection is told apart by the client's address and
    port."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit
        self.served: dict[tuple, int] = {}  # requests so far per open connection

    async def __call__(self, scope, receive, send):
        client = scope.get("client") if scope["type"] == "http" else None
        if client is None:
            return await self.app(scope, receive, send)
        key = tuple(client)
        served = self.served.pop(key, 0) + 1
        if served < self.limit:
            self.served[key] = served  # (re)inserted last: the oldest go first below
            while len(self.served) > 10_000:  # connections the client closed itself
                del self.served[next(iter(self.served))]
            return await self.app(scope, receive, send)

        async def closing(message):
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, closing)


def _die_with(supervisor: int) -> None:
    """Have the kernel stop this worker (SIGTERM) when its supervisor dies, even by SIGKILL:
    a worker left behind would go on serving the port (old code, old settings) beside the
    workers of the next `hmis serve`. Linux only (prctl); elsewhere workers outlive it."""
    if sys.platform != "linux":
        return
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != supervisor:  # it died before the call: no signal will come
        raise SystemExit(1)


def _worker(host: str, port: int, keepalive_requests: int, supervisor: int) -> None:
    _die_with(supervisor)
    import uvicorn

    from hmis.app import create_app

    def app():
        made = create_app()
        return RecycleConnections(made, keepalive_requests) if keepalive_requests else made

    sock = listening_socket(host, port)  # listened on by the server's loop
    uvicorn.Server(uvicorn.Config(app, host=host, port=port, **SETTINGS)).run(sockets=[sock])


def serve(host: str, port: int, workers: int, keepalive_requests: int = 0) -> None:
    import uvicorn

    if workers == 1:
        uvicorn.run(APP, host=host, port=port, **SETTINGS)
        return
    # Bound here first: a port in use fails now, with the reason, and no worker starts. Never
    # listened on, so it takes no connection.
    unused(host, port)
    reserved = listening_socket(host, port)
    logging.basicConfig(format="%(levelname)s:     %(message)s", level=logging.INFO)
    shown = f"[{host}]" if ":" in host else host
    log.info("hmis serve running on http://%s:%d with %d workers, each on a socket of its own "
             "(Press CTRL+C to quit)", shown, port, workers)  # fmt: skip
    context = multiprocessing.get_context("spawn")
    stopping = failed = False

    def stop(_signal, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    started: list = []
    restarts: list[float] = []

    def start():
        process = context.Process(
            target=_worker, args=(host, port, keepalive_requests, os.getpid())
        )
        process.start()
        started.append(process)

    try:
        for _ in range(workers):
            start()
        while not stopping:
            time.sleep(0.2)
            for process in [p for p in started if not p.is_alive()]:
                started.remove(process)
                now = time.monotonic()
                restarts[:] = [t for t in restarts if now - t < 60] + [now]
                if stopping:
                    break
                if process.exitcode == STARTUP_FAILURE or (
                    len(restarts) > RESTARTS_PER_MINUTE * workers
                ):
                    log.error("a worker stopped (exit code %s) and cannot be started again: "
                              "stopping", process.exitcode)  # fmt: skip
                    stopping = failed = True
                    break
                log.warning("a worker stopped (exit code %s): starting another",
                            process.exitcode)  # fmt: skip
                start()
    finally:
        for process in started:
            process.terminate()  # SIGTERM: uvicorn finishes its requests and its lifespan
        for process in started:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
        reserved.close()
    if failed:
        raise SystemExit(1)
