"""Browser frontends on other origins (`HMIS_CORS_ORIGINS`), over HTTP: preflights from an
allowed and a disallowed origin, the headers of actual replies, and no CORS at all when the
variable is unset."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hmis.cli import main
from hmis.config import ConfigError, Settings
from hmis.cors import ALLOWED_HEADERS, MAX_AGE_SECONDS

from .support import serve

FRONTEND = "http://localhost:3000"
ELSEWHERE = "https://evil.example.com"
ME = {"query": "{ me { subject } }"}
API_ROUTES = ["/graphql", "/exports/hmis-csv.zip", "/exports/aggregate.csv", "/my-record.json",
              "/my-record.html"]  # fmt: skip


def preflight(origin: str, method: str = "POST", headers: str = "authorization, content-type"):
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


@pytest.fixture
async def cors_api(engine, database_url, issuer):
    async with serve(
        database_url, issuer, cors_origins=(FRONTEND, "https://app.example.org")
    ) as api:
        yield api


@pytest.mark.parametrize("path", [*API_ROUTES, "/imports/hmis-csv"])
async def test_a_preflight_from_an_allowed_origin_is_answered_and_cached(cors_api, path):
    asked = "authorization, content-type, hmis-purpose"
    response = await cors_api.options(path, headers=preflight(FRONTEND, headers=asked))
    assert response.status_code == 204, response.text
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert int(response.headers["access-control-max-age"]) == MAX_AGE_SECONDS > 0
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"authorization", "content-type", "hmis-purpose"} <= allowed
    assert set(response.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST"}
    # Bearer tokens, never cookies: credentials are never allowed.
    assert "access-control-allow-credentials" not in response.headers
    assert "Origin" in response.headers["vary"]


async def test_a_preflight_from_another_origin_is_refused_without_cors_headers(cors_api):
    response = await cors_api.options("/graphql", headers=preflight(ELSEWHERE))
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "CORS_REJECTED"
    assert ELSEWHERE in error["message"]
    # An origin that only shares a prefix with an allowed one is another origin.
    response = await cors_api.options("/graphql", headers=preflight(FRONTEND + "0"))
    assert response.status_code == 403 and "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    ("method", "headers", "named"),
    [("DELETE", "content-type", "DELETE"), ("POST", "authorization, x-debug", "x-debug")],
)
async def test_a_preflight_for_another_method_or_header_is_refused(
    cors_api, method, headers, named
):
    response = await cors_api.options("/graphql", headers=preflight(FRONTEND, method, headers))
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert named in response.json()["errors"][0]["message"]


async def test_actual_replies_to_an_allowed_origin_carry_its_headers(cors_api, token):
    sent = {"Origin": FRONTEND, "Authorization": f"Bearer {token('auditor')}"}
    response = await cors_api.post("/graphql", json=ME, headers=sent)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == FRONTEND
    exposed = response.headers["access-control-expose-headers"]
    assert "X-Request-ID" in exposed and "WWW-Authenticate" in exposed
    assert "access-control-allow-credentials" not in response.headers
    assert "Origin" in response.headers["vary"]
    # A refusal must be readable too, or the frontend cannot say "sign in again".
    sent["Authorization"] = "Bearer not-a-token"
    response = await cors_api.post("/graphql", json=ME, headers=sent)
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert "www-authenticate" in response.headers


async def test_actual_replies_to_another_origin_carry_no_allow_origin(cors_api, token):
    sent = {"Origin": ELSEWHERE, "Authorization": f"Bearer {token('auditor')}"}
    response = await cors_api.post("/graphql", json=ME, headers=sent)
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-expose-headers" not in response.headers
    assert "Origin" in response.headers["vary"]  # a shared cache must not reuse it elsewhere


async def test_unset_means_no_cors_headers_at_all(api, token):
    for path in API_ROUTES:
        response = await api.options(path, headers=preflight(FRONTEND))
        assert response.status_code in (404, 405), (path, response.status_code)
        assert not [h for h in response.headers if h.startswith("access-control-")], path
    sent = {"Origin": FRONTEND, "Authorization": f"Bearer {token('auditor')}"}
    response = await api.post("/graphql", json=ME, headers=sent)
    assert response.status_code == 200
    assert not [h for h in response.headers if h.startswith("access-control-")]


def test_the_variable_is_read_and_checked_at_startup():
    env = {"HMIS_CORS_ORIGINS": f" {FRONTEND}, https://app.example.org:8443 ,"}
    assert Settings.from_env(env).cors_origins == (FRONTEND, "https://app.example.org:8443")
    assert Settings.from_env({}).cors_origins == ()
    assert {"Authorization", "Content-Type", "HMIS-Purpose"} <= set(ALLOWED_HEADERS)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("*", "'*' is not allowed"),
        (f"{FRONTEND},*", "'*' is not allowed"),
        ("null", "'null' is not allowed"),
        ("http://localhost:3000/", "is not an origin"),
        ("localhost:3000", "is not an origin"),
        ("https://App.Example.org", "is not an origin"),
        ("ftp://files.example.org", "is not an origin"),
    ],
)
def test_a_wildcard_or_a_malformed_origin_refuses_to_start(value, says):
    with pytest.raises(ConfigError, match="HMIS_CORS_ORIGINS") as refused:
        Settings.from_env({"HMIS_CORS_ORIGINS": value})
    assert says in str(refused.value)


def test_hmis_serve_refuses_a_wildcard_with_the_reason(issuer, tmp_path):
    env = {
        "HMIS_CORS_ORIGINS": "*",
        "HMIS_OIDC_ISSUER": issuer.url,
        "HMIS_PSEUDONYM_KEY": "k",
        "HMIS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
    }
    result = CliRunner(env=env).invoke(main, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "HMIS_CORS_ORIGINS: '*' is not allowed" in result.output
    assert "Traceback" not in result.output
