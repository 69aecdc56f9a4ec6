"""The container image: the Dockerfile copies what exists and runs the API as production does;
it is built where a Docker daemon answers (skipped, saying so, where none does)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


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


def test_the_image_builds():
    unavailable = _daemon()
    if unavailable:
        pytest.skip(f"cannot build the image here: {unavailable}")
    built = subprocess.run(["make", "docker"], cwd=ROOT, capture_output=True, text=True,
                           timeout=1800)  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    version = subprocess.run(["docker", "run", "--rm", "hmis:latest", "hmis", "--version"],
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert version.stdout.startswith("hmis "), version.stderr
