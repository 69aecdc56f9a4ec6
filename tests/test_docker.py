"""The container image: the Dockerfile copies what exists and runs the API as production does.

With HMIS_TEST_DOCKER=1 and a Docker daemon, the image is also built (`make docker`, three to
five minutes on a vfs-backed daemon, so not in every `make test`), migrated onto PostgreSQL and
served: `/healthz`, `/readyz` and a public GraphQL query answer 200. The base is
python:3.11-slim when it is present or can be pulled; where Docker Hub cannot be reached, the
stand-in base of deploy/build-base-image.sh (hmis-base:bookworm: built once with debootstrap,
as root, then reused). Skipped, saying why, when any of that is missing."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from hmis.db.session import make_engine

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
DEFAULT_BASE = "python:3.11-slim"
STAND_IN_BASE = "hmis-base:bookworm"
# The server the image is run against: HMIS_TEST_DATABASE_URL's, else the local one.
ADMIN_URL = os.environ.get(
    "HMIS_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
CHECK_DATABASE = "docker_check"


def test_the_dockerfile_copies_files_that_exist_and_runs_production():
    sources = [
        part
        for line in DOCKERFILE.splitlines()
        if line.startswith("COPY ")
        for part in line.split()[1:-1]
        if not part.startswith("--")
    ]
    assert sources and [s for s in sources if not (ROOT / s).exists()] == []
    # What the package needs beside itself at run time (hmis.db.migrate, hmis.home).
    assert {"alembic.ini", "migrations", "docs", "hmis"} <= set(sources)
    assert "HMIS_ENV=production" in DOCKERFILE
    assert re.search(r"^USER (?!root)\w+", DOCKERFILE, re.M)
    assert "hmis serve" in DOCKERFILE and "/healthz" in DOCKERFILE
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "*.db", "var", ".git"} <= set(ignored)  # no local data or secrets


def test_make_docker_builds_the_image():
    commands = subprocess.run(["make", "-n", "docker"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout  # fmt: skip
    assert "docker build" in commands and "hmis:latest" in commands


def _daemon() -> str | None:
    """Why no image can be built here, or None when a Docker daemon answers."""
    if shutil.which("docker") is None:
        return "the docker command is not installed"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    if info.returncode != 0:
        return f"no Docker daemon answers: {info.stderr.strip().splitlines()[-1:]}"
    return None


def _docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


def _base_image() -> str:
    """The base to build on: python:3.11-slim if present or pullable, else the stand-in
    (reused when built before, else built now); skips, saying why, when there is neither."""
    if _docker("image", "inspect", DEFAULT_BASE).returncode == 0:
        return DEFAULT_BASE
    pulled = _docker("pull", DEFAULT_BASE, timeout=900)
    if pulled.returncode == 0:
        return DEFAULT_BASE
    if _docker("image", "inspect", STAND_IN_BASE).returncode == 0:
        return STAND_IN_BASE
    why = f"{DEFAULT_BASE} cannot be pulled ({pulled.stderr.strip()[-200:]})"
    if shutil.which("debootstrap") is None or os.geteuid() != 0:
        pytest.skip(
            f"{why}, and there is no {STAND_IN_BASE}: building it needs debootstrap and root "
            "(run deploy/build-base-image.sh as root, or install debootstrap)"
        )
    built = subprocess.run([str(ROOT / "deploy" / "build-base-image.sh"), STAND_IN_BASE],
                           capture_output=True, text=True, timeout=1800)  # fmt: skip
    assert built.returncode == 0, f"{why}; building it failed:\n{built.stderr[-3000:]}"
    return STAND_IN_BASE


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> str:
    """The image `make docker` builds here (its ID, so a parallel build cannot swap it)."""
    if os.environ.get("HMIS_TEST_DOCKER") != "1":
        pytest.skip("building the image takes minutes: set HMIS_TEST_DOCKER=1 to build and run it")
    unavailable = _daemon()
    if unavailable:
        pytest.skip(f"cannot build the image here: {unavailable}")
    base = _base_image()
    iidfile = tmp_path_factory.mktemp("docker") / "image-id"
    started = time.monotonic()
    built = subprocess.run(
        ["make", "docker", f"BASE_IMAGE={base}", f"DOCKER_BUILD_FLAGS=--iidfile={iidfile}"],
        cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    image_id = iidfile.read_text().strip()
    size = _docker("image", "inspect", "--format", "{{.Size}}", image_id).stdout.strip()
    print(f"\nbuilt {image_id[:19]} on {base} in {time.monotonic() - started:.0f} s, "
          f"{int(size) / 1e6:.0f} MB")  # fmt: skip
    return image_id


def test_the_image_builds(image):
    version = _docker("run", "--rm", image, "hmis", "--version")
    assert version.stdout.startswith("hmis "), version.stderr


async def _fresh_database() -> str:
    """An empty `docker_check` database beside ADMIN_URL's; its URL. Skips without a server."""
    admin = make_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS {CHECK_DATABASE} WITH (FORCE)"))
            await connection.execute(text(f"CREATE DATABASE {CHECK_DATABASE}"))
    except (OSError, OperationalError) as error:
        pytest.skip(f"no PostgreSQL answers at {make_url(ADMIN_URL).render_as_string()}: {error}")
    finally:
        await admin.dispose()
    return make_url(ADMIN_URL).set(database=CHECK_DATABASE).render_as_string(hide_password=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_the_image_migrates_and_serves_production(image):
    """`hmis migrate`, then `hmis serve`, in the image on the host's network, with what
    production requires (a pseudonym key and an identity provider, never contacted here since
    no request carries a token): health, readiness and a public query answer 200."""
    database_url = await _fresh_database()
    environment = [
        f"HMIS_DATABASE_URL={database_url}",
        f"HMIS_PSEUDONYM_KEY={secrets.token_urlsafe(48)}",
        "HMIS_OIDC_ISSUER=https://idp.example.invalid/realms/hmis",
    ]
    env_args = [arg for pair in environment for arg in ("-e", pair)]
    migrated = _docker("run", "--rm", "--network", "host", *env_args, image, "hmis", "migrate",
                       timeout=300)  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    assert "database is at the newest schema" in migrated.stdout + migrated.stderr

    port = _free_port()
    name = f"hmis-test-docker-{os.getpid()}"
    started = _docker("run", "-d", "--name", name, "--network", "host", *env_args, image,
                      "hmis", "serve", "--host", "127.0.0.1", "--port", str(port),
                      "--workers", "1")  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        deadline = time.monotonic() + 120
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            while True:
                try:
                    health = await http.get("/healthz")
                    break
                except httpx.TransportError:
                    running = _docker("inspect", "--format", "{{.State.Running}}", name).stdout
                    logs = _docker("logs", name).stderr[-3000:]
                    assert running.strip() == "true", f"the server stopped:\n{logs}"
                    assert time.monotonic() < deadline, f"no answer in 120 s:\n{logs}"
                    await asyncio.sleep(0.5)
            ready = await http.get("/readyz")
            query = await http.post("/graphql", json={"query": "{ organizations { name } }"})
        print(f"\n/healthz {health.status_code}, /readyz {ready.status_code}, "
              f"/graphql {query.status_code} {query.text}")  # fmt: skip
        assert (health.status_code, ready.status_code, query.status_code) == (200, 200, 200)
        assert query.json() == {"data": {"organizations": []}}
    finally:
        _docker("rm", "--force", name)
