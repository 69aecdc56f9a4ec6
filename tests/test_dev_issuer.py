"""The development issuer and `hmis dev-token`, and production refusing both."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import stat
import sys

import httpx
import pytest

from hmis.app import create_app
from hmis.auth.dev_issuer import DEV_ISSUER_URL
from hmis.auth.principal import Role
from hmis.config import DEVELOPMENT_PSEUDONYM_KEY, ConfigError, Settings
from hmis.db import models
from tests import factories
from tests.support import gql

ME = "{ me { subject roles organization { name } } }"


def dev_settings(database_url, key_dir, **overrides) -> Settings:
    return Settings(database_url=database_url, env="development", dev_key_dir=key_dir, **overrides)


async def dev_token(database_url, key_dir, *args: str, env: str = "development"):
    """Run `hmis dev-token ARGS` as a user would; returns (exit code, stdout, stderr)."""
    environ = {
        **os.environ,
        "HMIS_ENV": env,
        "HMIS_DATABASE_URL": database_url,
        "HMIS_DEV_KEY_DIR": str(key_dir),
    }
    environ.pop("HMIS_OIDC_ISSUER", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hmis.cli", "dev-token", *args, env=environ,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def dev_api(engine, database_url, tmp_path):
    app = create_app(dev_settings(database_url, tmp_path / "dev-issuer"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
    await app.state.engine.dispose()


def test_production_refuses_to_start_without_an_issuer(database_url):
    with pytest.raises(ConfigError, match="HMIS_OIDC_ISSUER is required in production"):
        create_app(Settings(database_url=database_url, env="production"))


@pytest.mark.parametrize("field", ["oidc_issuer", "oidc_jwks_url"])
def test_production_refuses_the_development_issuer(database_url, field):
    values = {"oidc_issuer": "https://idp.example.org", field: DEV_ISSUER_URL}
    with pytest.raises(ConfigError, match="development issuer"):
        create_app(Settings(database_url=database_url, env="production", **values))


async def test_production_serves_no_development_issuer(api):
    assert (await api.get("/dev-issuer/jwks.json")).status_code == 404


async def test_development_issuer_publishes_its_key(dev_api, tmp_path):
    discovery = (await dev_api.get("/dev-issuer/.well-known/openid-configuration")).json()
    jwks = (await dev_api.get("/dev-issuer/jwks.json")).json()

    assert discovery["issuer"] == DEV_ISSUER_URL
    assert discovery["jwks_uri"] == f"{DEV_ISSUER_URL}/jwks.json"
    [key] = jwks["keys"]
    assert key["kty"] == "EC" and key["crv"] == "P-256" and "d" not in key
    key_file = tmp_path / "dev-issuer" / "signing-key.jwk.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


async def test_dev_token_is_accepted_by_the_development_api(dev_api, database_url, tmp_path):
    code, out, err = await dev_token(
        database_url, tmp_path / "dev-issuer", "--role", "auditor", "--sub", "dev-ann"
    )

    assert code == 0, err
    status, body = await gql(dev_api, ME, token=out.strip())
    assert (status, body) == (
        200,
        {"data": {"me": {"subject": "dev-ann", "roles": ["AUDITOR"], "organization": None}}},
    )


async def test_dev_token_all_roles_uses_real_rows(dev_api, database_url, sessions, tmp_path):
    async with sessions() as session:
        org = await factories.organization(session, "Harbor Outreach")
        staff = await factories.staff(session, org)
        staff.subject = "harbor-staff-1"
        person = await factories.client(session, factories.staff_writer(org), first_name="Q")
        login = models.ClientLogin(client_id=person.id, subject="client-login-1", created_by="test")
        login.created_at = dt.datetime.now(dt.UTC)
        session.add(login)
        await session.commit()

    code, out, err = await dev_token(database_url, tmp_path / "dev-issuer", "--all-roles")

    assert code == 0, err
    lines = out.splitlines()
    # Each token follows a line "role (sub subject[, organization name (id)])".
    tokens = {line.split(" ")[0]: lines[n + 1] for n, line in enumerate(lines) if " (sub " in line}
    assert set(tokens) == {role.value for role in Role}
    status, body = await gql(dev_api, ME, token=tokens["agency_staff"])
    assert status == 200
    assert body["data"]["me"] == {
        "subject": "harbor-staff-1",
        "roles": ["AGENCY_STAFF"],
        "organization": {"name": "Harbor Outreach"},
    }
    status, body = await gql(dev_api, ME, token=tokens["client"])
    assert body["data"]["me"]["subject"] == "client-login-1"


async def test_dev_token_all_roles_says_what_is_missing(engine, database_url, tmp_path):
    code, out, err = await dev_token(database_url, tmp_path / "dev-issuer", "--all-roles")

    assert code == 0, err
    assert "agency_staff: no token, agency_staff needs an organization" in out
    assert "client: no token, no client login is linked to a client record yet" in out


async def test_dev_token_refuses_outside_development(database_url, tmp_path):
    code, _out, err = await dev_token(
        database_url, tmp_path / "dev-issuer", "--role", "auditor", env="production"
    )

    assert code == 1
    assert "dev-token needs HMIS_ENV=development" in err


def test_production_refuses_to_start_without_a_pseudonym_secret(database_url):
    values = {"oidc_issuer": "https://idp.example.org", "database_url": database_url}
    with pytest.raises(ConfigError, match="HMIS_PSEUDONYM_KEY"):
        create_app(Settings(env="production", **values))
    with pytest.raises(ConfigError, match="HMIS_PSEUDONYM_KEY"):
        create_app(Settings(env="production", pseudonym_key=DEVELOPMENT_PSEUDONYM_KEY, **values))
    assert Settings.from_env({"HMIS_ENV": "development"}).pseudonym_key == DEVELOPMENT_PSEUDONYM_KEY
