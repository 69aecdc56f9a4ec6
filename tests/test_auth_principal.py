"""`me`: the principal built from a verified token's claims, over HTTP.

Providers put roles, clients and organizations in different claims; these tests send tokens
shaped like each and read back what the API understood.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from hmis.app import create_app
from hmis.config import ConfigError
from tests import factories
from tests.support import api_settings, gql, post_graphql, serve

ME = """{ me { subject clientId isServiceAccount roles scopes organization { id name } } }"""


async def make_org(sessions, name: str, *, deleted: bool = False):
    async with sessions() as session:
        org = await factories.organization(session, name)
        if deleted:
            org.date_deleted = dt.datetime.now(dt.UTC)
        await session.commit()
        return org


async def test_me_for_a_partner_frontend_user(api, token):
    status, body = await gql(
        api, ME, token=token("auditor", sub="alice", scope="openid hmis:read", azp="spa")
    )

    assert status == 200
    assert body["data"]["me"] == {
        "subject": "alice",
        "clientId": "partner-frontend",  # `client_id` wins over `azp`
        "isServiceAccount": False,
        "roles": ["AUDITOR"],
        "scopes": ["hmis:read", "openid"],
        "organization": None,
    }


async def test_me_for_agency_staff_names_their_organization(api, token, sessions):
    org = await make_org(sessions, "Hope House")

    status, body = await gql(api, ME, token=token("agency_staff", org=org.id, sub="case-mgr-1"))

    assert status == 200
    assert body["data"]["me"]["roles"] == ["AGENCY_STAFF"]
    assert body["data"]["me"]["organization"] == {"id": str(org.id), "name": "Hope House"}


@pytest.mark.parametrize(
    ("claims", "is_service_account", "client_id"),
    [
        ({"sub": "sync-bot", "client_id": "sync-bot"}, True, "sync-bot"),  # RFC 9068
        (
            {"sub": "x7@clients", "client_id": None, "azp": "x7", "gty": "client-credentials"},
            True,
            "x7",
        ),  # Auth0  # fmt: skip
        ({"sub": "a1b2", "client_id": None, "appid": "c3d4", "idtyp": "app"}, True, "c3d4"),
        (
            {
                "sub": "f00",
                "client_id": None,
                "azp": "etl",
                "preferred_username": "service-account-etl",
            },
            True,
            "etl",
        ),  # Keycloak  # fmt: skip
        ({"sub": "okta-app", "client_id": None, "cid": "okta-app"}, True, "okta-app"),
        ({"sub": "bob", "client_id": "partner-frontend"}, False, "partner-frontend"),
        ({"sub": "bob", "client_id": None}, False, None),
    ],
    ids=["sub-is-client", "auth0-gty", "entra-app", "keycloak", "okta-cid", "user", "no-client"],
)
async def test_service_account_rule(api, issuer, claims, is_service_account, client_id):
    status, body = await gql(api, ME, token=issuer.token("auditor", **claims))

    assert status == 200
    assert body["data"]["me"]["isServiceAccount"] is is_service_account
    assert body["data"]["me"]["clientId"] == client_id


@pytest.mark.parametrize(
    ("claims", "roles"),
    [
        ({"roles": ["auditor", "researcher"]}, ["AUDITOR", "RESEARCHER"]),
        ({"roles": None, "groups": "auditor researcher"}, ["AUDITOR", "RESEARCHER"]),
        ({"roles": None, "groups": "auditor,researcher"}, ["AUDITOR", "RESEARCHER"]),
        (
            {"roles": None, "realm_access": {"roles": ["aggregate_reader", "uma_authorization"]}},
            ["AGGREGATE_READER"],
        ),  # fmt: skip
        ({"roles": None, "groups": ["hmis_admin"]}, ["HMIS_ADMIN"]),
        ({"roles": ["auditor", "Auditor", "admin", 7, None]}, ["AUDITOR"]),
    ],
    ids=["list", "spaces", "commas", "keycloak-realm", "groups", "junk-ignored"],
)
async def test_roles_from_the_default_claim_paths(api, issuer, claims, roles):
    status, body = await gql(api, ME, token=issuer.token(**claims))

    assert status == 200
    assert body["data"]["me"]["roles"] == roles


async def test_scopes_from_scp_list(api, token):
    status, body = await gql(api, ME, token=token("auditor", scp=["hmis.read", "hmis.write"]))

    assert body["data"]["me"]["scopes"] == ["hmis.read", "hmis.write"]


async def test_role_map_and_custom_claims(database_url, make_issuer, sessions):
    issuer = make_issuer()
    org = await make_org(sessions, "Northside Shelter")
    settings = {
        "roles_claims": ("https://hmis.example.org/roles", "resource_access.hmis.roles"),
        "org_claim": "https://hmis.example.org/org",
        "role_map": {"HMIS-Staff": "agency_staff", "HMIS-Admin": "hmis_admin"},
    }
    async with serve(database_url, issuer, **settings) as api:
        mapped = issuer.token(
            roles=None,
            **{"https://hmis.example.org/roles": ["HMIS-Staff"]},
            **{"https://hmis.example.org/org": str(org.id)},
        )
        status, body = await gql(api, ME, token=mapped)
        assert status == 200
        assert body["data"]["me"]["roles"] == ["AGENCY_STAFF"]
        assert body["data"]["me"]["organization"]["name"] == "Northside Shelter"

        nested = issuer.token(roles=None, resource_access={"hmis": {"roles": ["HMIS-Admin"]}})
        assert (await gql(api, ME, token=nested))[1]["data"]["me"]["roles"] == ["HMIS_ADMIN"]

        # With a role map, only mapped names count: a raw canonical name grants nothing.
        raw = issuer.token(roles=None, **{"https://hmis.example.org/roles": ["hmis_admin"]})
        status, body = await gql(api, ME, token=raw)
        assert status == 403
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_role_map_onto_an_unknown_role_refuses_to_start(database_url, issuer):
    with pytest.raises(ConfigError, match="HMIS_OIDC_ROLE_MAP"):
        create_app(api_settings(database_url, issuer, role_map={"staff": "superuser"}))


@pytest.mark.parametrize(
    ("org", "message"),
    [
        (None, "An agency_staff token must name the caller's organization in claim 'hmis_org'."),
        ("Hope House", "The organization in claim 'hmis_org' is not an organization ID (a UUID)."),
        (uuid.uuid4(), "The organization in claim 'hmis_org' is not a partner organization here."),
        ("deleted", "The organization in claim 'hmis_org' is not a partner organization here."),
    ],
    ids=["missing", "not-a-uuid", "unknown", "deleted"],
)
async def test_agency_staff_without_a_real_organization_is_forbidden(
    api, token, sessions, org, message
):
    if org == "deleted":
        org = (await make_org(sessions, "Closed Agency", deleted=True)).id

    response = await post_graphql(api, ME, token=token("agency_staff", org=org))

    assert response.status_code == 403
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == message
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_agency_staff_check_holds_even_with_another_role(api, token):
    """A bad organization is not ignored because the token also carries a harmless role."""
    response = await post_graphql(api, ME, token=token(["agency_staff", "auditor"], org="nope"))

    assert response.status_code == 403
