"""Integration: a real OpenID provider (panva/oidc-provider) issues service-account tokens.

A service account gets a JWT access token with Authlib's OAuth 2 client (client-credentials
grant, with a resource indicator), calls the API, and keeps working after the provider rotates
its signing key, with no restart of the API.
"""

from __future__ import annotations

import shutil
import warnings

import pytest
from authlib.deprecate import AuthlibDeprecationWarning

from tests import factories
from tests.oidc_provider import RESOURCE, SCOPE, OidcProvider, install
from tests.support import AUDIENCE, gql, post_graphql, serve

ME = "{ me { subject clientId isServiceAccount roles scopes organization { name } } }"
SECRET = "integration-test-secret-not-real"


@pytest.fixture(scope="module")
def oidc_provider_installed():
    if shutil.which("node") is None:
        pytest.skip("node is absent (not on PATH): the oidc-provider integration test needs it")
    install()


@pytest.fixture
async def intake_org(sessions):
    async with sessions() as session:
        org = await factories.organization(session, "Intake Partners")
        await session.commit()
        return org


@pytest.fixture
def provider(oidc_provider_installed, tmp_path, intake_org):
    clients = [
        {"client_id": "intake-sync", "client_secret": SECRET, "scope": SCOPE,
         "hmis_roles": ["agency_staff"], "hmis_org": str(intake_org.id)},
        {"client_id": "reporting-bot", "client_secret": SECRET, "scope": SCOPE},
    ]  # fmt: skip
    running = OidcProvider(tmp_path, clients=clients, audience=AUDIENCE)
    running.start()
    yield running
    running.stop()


async def service_account_token(provider: OidcProvider, client_id: str) -> str:
    with warnings.catch_warnings():
        # Authlib 1.9 nudges towards its httpx2 package; the project pins httpx.
        warnings.simplefilter("ignore", AuthlibDeprecationWarning)
        from authlib.integrations.httpx_client import AsyncOAuth2Client

    async with AsyncOAuth2Client(client_id, SECRET, scope=SCOPE) as oauth:
        token = await oauth.fetch_token(
            provider.token_endpoint, grant_type="client_credentials", resource=RESOURCE
        )
    return token["access_token"]


async def test_service_account_through_a_real_provider(database_url, provider, issuer):
    # The API finds the provider's keys through its discovery document, like in production.
    async with serve(database_url, issuer, oidc_issuer=provider.issuer) as api:
        status, body = await gql(
            api, ME, token=await service_account_token(provider, "intake-sync")
        )
        assert status == 200, body
        assert body["data"]["me"] == {
            "subject": "intake-sync",
            "clientId": "intake-sync",
            "isServiceAccount": True,
            "roles": ["AGENCY_STAFF"],
            "scopes": [SCOPE],
            "organization": {"name": "Intake Partners"},
        }

        no_role = await service_account_token(provider, "reporting-bot")
        response = await post_graphql(api, ME, token=no_role)
        assert response.status_code == 403
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert response.json()["data"] is None

        before_rotation = await service_account_token(provider, "intake-sync")
        provider.rotate_keys()

        after_rotation = await service_account_token(provider, "intake-sync")
        status, body = await gql(api, ME, token=after_rotation)
        assert status == 200, body
        assert body["data"]["me"]["subject"] == "intake-sync"

        # The provider no longer publishes the old key: its tokens are refused, with the reason.
        status, body = await gql(api, ME, token=before_rotation)
        assert status == 401
        assert body["errors"][0]["extensions"]["reason"] == "unknown_key"
