"""panva's oidc-provider, run as a real identity provider for the integration test.

`install()` puts the pinned package under tests/idp/node_modules (git-ignored) once, with npm;
`OidcProvider` runs tests/idp/provider.mjs on 127.0.0.1 with a key set generated here, and
rotates keys by restarting with a new key set on the same port (same issuer URL).
"""

from __future__ import annotations

import fcntl
import json
import select
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from joserfc.jwk import RSAKey

IDP_DIR = Path(__file__).parent / "idp"
RESOURCE = "urn:hmis:graphql"
SCOPE = "hmis:read"


def install() -> None:
    """Install the pinned oidc-provider unless it is there; fail loudly when npm cannot."""
    manifest = IDP_DIR / "package.json"
    pinned = json.loads(manifest.read_text())["dependencies"]["oidc-provider"]
    installed = IDP_DIR / "node_modules" / "oidc-provider" / "package.json"
    # Serialize with other test runs in this tree (their npm installs would collide).
    with manifest.open() as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed.exists() and json.loads(installed.read_text())["version"] == pinned:
            return
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("node is on PATH but npm is not; install npm to run this test")
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(IDP_DIR)],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(
                f"`npm install` of oidc-provider {pinned} failed; this test needs the npm "
                f"registry (is the network down?):\n{done.stderr[-3000:]}"
            )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OidcProvider:
    """One provider process. `issuer` is its URL; clients are oidc-provider client metadata
    plus `hmis_roles` / `hmis_org`, which it copies into access tokens as `roles` / `hmis_org`."""

    def __init__(self, workdir: Path, *, clients: list[dict[str, Any]], audience: str):
        self.workdir = workdir
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.token_endpoint = f"{self.issuer}/token"
        self.clients = clients
        self.audience = audience
        self.generation = 0
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.generation += 1
        key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"})
        key.ensure_kid()
        self.kid = key.kid
        config = {
            "port": self.port,
            "jwks": {"keys": [key.as_dict(private=True)]},
            "resource": RESOURCE,
            "audience": self.audience,
            "scope": SCOPE,
            "alg": "RS256",
            "clients": self.clients,
        }
        config_file = self.workdir / f"provider-{self.generation}.json"
        config_file.write_text(json.dumps(config))
        self.log = self.workdir / f"provider-{self.generation}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                ["node", str(IDP_DIR / "provider.mjs"), str(config_file)],
                stdout=subprocess.PIPE, stderr=log, text=True, cwd=IDP_DIR,
            )  # fmt: skip
        self._wait_ready(timeout=30)

    def _wait_ready(self, timeout: float) -> None:
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.1)
            if ready:
                line = self.process.stdout.readline()
                if line.startswith("READY "):
                    return
            if self.process.poll() is not None:
                break
        self.stop()
        pytest.fail(f"oidc-provider did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None

    def rotate_keys(self) -> None:
        """Restart with a brand-new signing key (same port, so the same issuer)."""
        old_kid = self.kid
        self.stop()
        self.start()
        assert self.kid != old_kid
