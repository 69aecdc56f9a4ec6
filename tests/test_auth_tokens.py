"""Bearer token validation through HTTP: every way a token can be wrong, and what the caller reads.

Each case is a real signed (or deliberately mis-signed) token sent to /graphql. The operation
asks for a public field and `me`, so a refused token must refuse the whole request: no data.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from tests.support import ALGORITHMS, b64url, gql, post_graphql

QUERY = "{ organizations { id } me { subject roles } }"


def _now() -> int:
    return int(time.time())


def _tampered(issuer) -> str:
    """A valid auditor token whose payload was edited to claim hmis_admin, signature kept."""
    header, _payload, signature = issuer.token("auditor").split(".")
    forged = b64url(issuer.claims("hmis_admin"))
    return f"{header}.{forged}.{signature}"


def _alg_none(issuer) -> str:
    header = b64url({"alg": "none", "typ": "JWT"})
    return f"{header}.{b64url(issuer.claims('hmis_admin'))}."


def _hs256_with_public_key(issuer) -> str:
    """The key-confusion attack: HMAC "signed" with the issuer's public RSA key as the secret."""
    public_pem = issuer.keys["RS256"].as_pem(private=False)
    signing_input = (
        f"{b64url({'alg': 'HS256', 'typ': 'JWT', 'kid': issuer.keys['RS256'].kid})}."
        f"{b64url(issuer.claims('hmis_admin'))}"
    )
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def _rs512(issuer) -> str:
    """Asymmetric, but not on the allowlist."""
    key = RSAKey.generate_key(2048, parameters={"kid": "rs512-key"})
    header = {"alg": "RS512", "typ": "at+jwt", "kid": key.kid}
    return jwt.encode(header, issuer.claims("hmis_admin"), key, algorithms=["RS512"])


def _unknown_kid(issuer) -> str:
    stranger = ECKey.generate_key("P-256", parameters={"kid": "not-published", "alg": "ES256"})
    return issuer.token("hmis_admin", alg="ES256", key=stranger)


def _known_kid_wrong_key(issuer) -> str:
    """Names the issuer's key ID but is signed by someone else's key."""
    kid = issuer.keys["ES256"].kid
    stranger = ECKey.generate_key("P-256", parameters={"kid": kid, "alg": "ES256"})
    return issuer.token("hmis_admin", alg="ES256", key=stranger)


def _alg_key_mismatch(issuer) -> str:
    """An ES256 header pointing at the issuer's RSA key ID."""
    stranger = ECKey.generate_key("P-256", parameters={"kid": issuer.keys["RS256"].kid})
    return issuer.token("hmis_admin", alg="ES256", key=stranger)


def _jwe_shaped(issuer) -> str:
    return ".".join([b64url({"alg": "RSA-OAEP", "enc": "A256GCM"}), "a", "b", "c", "d"])


REFUSED = [
    ("expired", lambda i: i.token("hmis_admin", exp=_now() - 120, iat=_now() - 600), "expired"),
    ("no exp", lambda i: i.token("hmis_admin", exp=None), "malformed"),
    ("not yet valid", lambda i: i.token("hmis_admin", nbf=_now() + 300), "not_yet_valid"),
    ("issued in the future", lambda i: i.token("hmis_admin", iat=_now() + 300), "not_yet_valid"),
    (
        "wrong issuer",
        lambda i: i.token("hmis_admin", iss="https://idp.evil.example"),
        "wrong_issuer",
    ),  # fmt: skip
    ("no issuer", lambda i: i.token("hmis_admin", iss=None), "wrong_issuer"),
    ("wrong audience", lambda i: i.token("hmis_admin", aud="another-api"), "wrong_audience"),
    ("no audience", lambda i: i.token("hmis_admin", aud=None), "wrong_audience"),
    ("tampered payload", _tampered, "bad_signature"),
    ("signed by another key under a known kid", _known_kid_wrong_key, "bad_signature"),
    ("algorithm does not fit the key", _alg_key_mismatch, "bad_signature"),
    ("alg none", _alg_none, "disallowed_algorithm"),
    ("HS256 signed with the public key", _hs256_with_public_key, "disallowed_algorithm"),
    ("RS512", _rs512, "disallowed_algorithm"),
    ("unknown kid", _unknown_kid, "unknown_key"),
    ("not a JWT", lambda i: "not-a-jwt", "malformed"),
    ("garbage segments", lambda i: "eyJhbGciOi.bm90IGpzb24.c2ln", "malformed"),
    ("encrypted (JWE)", _jwe_shaped, "malformed"),
    ("missing sub", lambda i: i.token("hmis_admin", sub=None), "missing_sub"),
    ("empty sub", lambda i: i.token("hmis_admin", sub=""), "missing_sub"),
    ("oversized", lambda i: i.token("hmis_admin", padding="x" * 9000), "too_large"),
    ("wrong typ", lambda i: i.token("hmis_admin", header={"typ": "dpop+jwt"}), "wrong_type"),
]


@pytest.mark.parametrize(("case", "make", "reason"), REFUSED, ids=[c[0] for c in REFUSED])
async def test_refused_token_gets_401_with_reason_and_no_data(api, issuer, case, make, reason):
    token = make(issuer)
    response = await post_graphql(api, QUERY, token=token)

    assert response.status_code == 401, case
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": reason}
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="')
    assert error["message"] in challenge
    # Never echo the credential, nor any part of it.
    for part in token.split("."):
        if len(part) > 8:
            assert part not in response.text
            assert part not in challenge


@pytest.mark.parametrize("alg", ALGORITHMS)
async def test_valid_token_of_each_allowed_algorithm(api, token, alg):
    status, body = await gql(api, QUERY, token=token("auditor", alg=alg, sub=f"user-{alg}"))

    assert status == 200
    assert body == {"data": {"organizations": [], "me": {"subject": f"user-{alg}",
                                                        "roles": ["AUDITOR"]}}}  # fmt: skip


async def test_clock_skew_within_the_leeway_is_accepted(api, token):
    skewed = token("auditor", exp=_now() - 30, nbf=_now() + 30, iat=_now() + 30)

    status, body = await gql(api, QUERY, token=skewed)

    assert status == 200
    assert body["data"]["me"]["roles"] == ["AUDITOR"]


async def test_audience_list_containing_ours_is_accepted(api, token):
    status, _ = await gql(api, QUERY, token=token("auditor", aud=["another-api", "hmis-graphql"]))

    assert status == 200


@pytest.mark.parametrize("roles", [[], ["superuser", "offline_access"]], ids=["none", "unknown"])
async def test_valid_token_without_hmis_role_is_forbidden(api, token, roles):
    response = await post_graphql(api, "{ me { subject } }", token=token(roles))

    assert response.status_code == 403
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["message"] == "The access token carries no HMIS role."
    assert error["path"] == ["me"]
    assert "www-authenticate" not in response.headers


async def test_no_token_on_a_field_that_needs_one_is_401(api):
    # `me` alone: beside a sibling database field, graphql-core cancels that resolver when the
    # non-null `me` fails, which currently leaks its connection (reported to the team).
    response = await post_graphql(api, "{ me { subject } }")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer error="invalid_token", '
        'error_description="An access token is required for this operation."'
    )
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "missing_token"}


@pytest.mark.parametrize("field", ["organizations", "privacyNoticeHistory"])
async def test_public_queries_need_no_token(api, field):
    status, body = await gql(api, f"{{ {field} {{ id }} }}")

    assert status == 200
    assert body == {"data": {field: []}}


async def test_public_queries_stay_public_for_a_token_without_role(api, token):
    status, body = await gql(api, "{ organizations { id } }", token=token([]))

    assert status == 200
    assert body == {"data": {"organizations": []}}


@pytest.mark.parametrize(
    "header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "token-without-scheme"]
)
async def test_authorization_header_that_is_not_a_bearer_token_is_401(api, header):
    response = await api.post(
        "/graphql", json={"query": "{ organizations { id } }"}, headers={"Authorization": header}
    )

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["reason"] == "malformed"
    assert "dXNlcjpwYXNz" not in response.text


async def test_refusals_are_logged_without_the_token(api, issuer, caplog):
    token = issuer.token("hmis_admin", aud="another-api")

    with caplog.at_level("INFO", logger="hmis"):
        await post_graphql(api, QUERY, token=token)

    assert "wrong_audience" in caplog.text
    assert token.split(".")[1] not in caplog.text
    assert token.split(".")[2] not in caplog.text
