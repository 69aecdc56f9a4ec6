"""graphql-http's server audits (github.com/graphql/graphql-http, `serverAudits`), pinned in
tests/http_audit/package.json and package-lock.json, installed there (node_modules, git-ignored)
by npm on first use, run by Node against a live server."""

from __future__ import annotations

import asyncio
import fcntl
import json
import shutil
import subprocess
from pathlib import Path

import pytest

AUDIT_DIR = Path(__file__).parent / "http_audit"


def install() -> None:
    """The pinned graphql-http, unless there; skip when Node/npm or the registry is missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are needed to run the graphql-http audit suite")
    manifest = AUDIT_DIR / "package.json"
    pinned = json.loads(manifest.read_text())["dependencies"]["graphql-http"]
    installed = AUDIT_DIR / "node_modules" / "graphql-http" / "package.json"
    with manifest.open() as lock:  # one npm install at a time in this tree
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed.exists() and json.loads(installed.read_text())["version"] == pinned:
            return
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(AUDIT_DIR)],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.skip(f"`npm ci` of graphql-http {pinned} failed (is the npm registry "
                        f"reachable?):\n{done.stderr[-2000:]}")  # fmt: skip


async def run(url: str) -> list[dict]:
    """Every audit's result ({id, name, status, reason}) against the GraphQL endpoint `url`."""
    install()
    process = await asyncio.create_subprocess_exec(
        "node", str(AUDIT_DIR / "audit.mjs"), url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()[-3000:]
    return json.loads(out)
