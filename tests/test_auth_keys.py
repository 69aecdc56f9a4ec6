"""The issuer's keys over real HTTP: discovery, rotation without restart, outages, 503.

Each test has a private loopback issuer it can rotate or take down, and counts what the API
fetched from it.
"""

from __future__ import annotations

import asyncio

from tests.support import gql, post_graphql, serve

ME = "{ me { subject } }"


async def test_keys_are_found_by_discovery_and_cached(database_url, make_issuer):
    issuer = make_issuer()
    async with serve(database_url, issuer) as api:
        for _ in range(3):
            status, _ = await gql(api, ME, token=issuer.token("auditor"))
            assert status == 200

    assert issuer.requests == ["/.well-known/openid-configuration", "/jwks.json"]


async def test_configured_jwks_url_skips_discovery(database_url, make_issuer):
    issuer = make_issuer()
    async with serve(database_url, issuer, oidc_jwks_url=f"{issuer.url}/jwks.json") as api:
        status, _ = await gql(api, ME, token=issuer.token("auditor"))

    assert status == 200
    assert issuer.requests == ["/jwks.json"]


async def test_key_rotation_needs_no_restart(database_url, make_issuer):
    issuer = make_issuer()
    async with serve(database_url, issuer) as api:
        before = issuer.token("auditor", sub="before")
        assert (await gql(api, ME, token=before))[0] == 200

        issuer.rotate()
        status, body = await gql(api, ME, token=issuer.token("auditor", sub="after"))
        assert (status, body) == (200, {"data": {"me": {"subject": "after"}}})

        # The old key is no longer published, so tokens it signed are refused.
        status, body = await gql(api, ME, token=before)
        assert status == 401
        assert body["errors"][0]["extensions"]["reason"] == "unknown_key"

    assert issuer.jwks_fetches == 2


async def test_unknown_kid_refetches_at_most_once_per_interval(database_url, make_issuer):
    issuer = make_issuer()
    async with serve(database_url, issuer) as api:
        assert (await gql(api, ME, token=issuer.token("auditor")))[0] == 200
        for kid in ("made-up-1", "made-up-2", "made-up-3"):
            status, body = await gql(api, ME, token=issuer.token("auditor", header={"kid": kid}))
            assert status == 401
            assert body["errors"][0]["extensions"]["reason"] == "unknown_key"

    # The first load, then one refetch for the first unknown kid; the others waited their turn.
    assert issuer.jwks_fetches == 2


async def test_concurrent_requests_share_one_fetch(database_url, make_issuer):
    issuer = make_issuer()
    async with serve(database_url, issuer) as api:
        tokens = [issuer.token("auditor", sub=f"u{n}") for n in range(20)]
        replies = await asyncio.gather(*(gql(api, ME, token=t) for t in tokens))
        assert {status for status, _ in replies} == {200}
        assert issuer.jwks_fetches == 1

        issuer.rotate()
        tokens = [issuer.token("auditor", sub=f"v{n}") for n in range(20)]
        replies = await asyncio.gather(*(gql(api, ME, token=t) for t in tokens))
        assert {status for status, _ in replies} == {200}
        assert issuer.jwks_fetches == 2


async def test_cached_keys_keep_working_while_the_issuer_is_down(database_url, make_issuer):
    issuer = make_issuer()
    # No cache lifetime: every request would like fresh keys.
    async with serve(database_url, issuer, oidc_jwks_cache_seconds=0) as api:
        assert (await gql(api, ME, token=issuer.token("auditor")))[0] == 200
        issuer.outage = True
        fetched = len(issuer.requests)

        for _ in range(3):
            status, body = await gql(api, ME, token=issuer.token("auditor", sub="still-in"))
            assert (status, body) == (200, {"data": {"me": {"subject": "still-in"}}})
        # One failed attempt, then the API backs off instead of hammering the issuer.
        assert len(issuer.requests) == fetched + 1

        # A key nobody published is still refused (not a 500 because the issuer is down).
        status, body = await gql(api, ME, token=issuer.token("auditor", header={"kid": "new"}))
        assert status == 401
        assert body["errors"][0]["extensions"]["reason"] == "unknown_key"


async def test_no_keys_at_all_is_503_until_the_issuer_is_back(database_url, make_issuer):
    issuer = make_issuer()
    issuer.outage = True
    async with serve(database_url, issuer) as api:
        response = await post_graphql(api, ME, token=issuer.token("auditor"))
        assert response.status_code == 503
        assert response.headers["retry-after"] == "30"
        [error] = response.json()["errors"]
        assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
        assert "signing keys are unavailable" in error["message"]

        # Public queries without a token do not depend on the issuer.
        assert (await gql(api, "{ organizations { id } }"))[0] == 200

        issuer.outage = False
        status, body = await gql(api, ME, token=issuer.token("auditor", sub="back"))
        assert (status, body) == (200, {"data": {"me": {"subject": "back"}}})


async def test_discovery_document_naming_another_issuer_is_not_trusted(database_url, make_issuer):
    issuer = make_issuer()
    configured = f"{issuer.url}/"  # the document says issuer.url: not the same issuer
    async with serve(database_url, issuer, oidc_issuer=configured) as api:
        response = await post_graphql(api, ME, token=issuer.token("auditor", iss=configured))

    assert response.status_code == 503
    assert "/jwks.json" not in issuer.requests
