"""The canonical workloads: one GraphQL page of clients, asked by different callers of
different apps, plus the framework floor (E) and HTTP under load (F, `bench.load`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from hmis.app import create_app
from hmis.config import Settings

from .issuer import AUDIENCE

# What a partner frontend shows in a caseload list: identity, demographics, enrollments with
# their project, and the case manager.
PAGE_QUERY = """
query ClientPage($first: Int!, $after: String) {
  clients(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id
        identity {
          firstName middleName lastName nameSuffix nameDataQuality
          ssn ssnDataQuality dob dobDataQuality
        }
        demographics { race additionalRaceEthnicity gender differentIdentityText veteranStatus }
        enrollments {
          totalCount
          edges { node {
            id entryDate exitDate destination
            project { id name projectType organization { id name } }
          } }
        }
        caseManager {
          id firstName lastName phone extension email startDate
          organization { id name }
        }
      }
    }
  }
}
"""

WORKLOADS = {
    "A": "partner (agency_staff of another organization), clients(first: 100)",
    "B": "the same page as hmis_admin (no policy restrictions)",
    "C": "A on a page where every client has refused sharing (as-of path)",
    "D": "A with auditing off (Settings.unsafe_disable_audit)",
    "E": "framework floor: plain Strawberry over in-memory objects, same response shape",
    "F": "A over HTTP: uvicorn under concurrent load",
    "A+total": "A also selecting totalCount (a count of every visible client; not a target)",
    "A-core": "A through graphql-core alone, no read plans (HMIS_FAST_READS=off; not a target)",
    "C-core": "C through graphql-core alone (not a target)",
    "C-later": "C where providers went on serving the clients after the refusals: a third "
    "to a half of their records are newer and folded from versions (not a target)",
}


def settings(url: str, issuer_url: str, **overrides: Any) -> Settings:
    """Production settings trusting the loopback issuer (keys found by OIDC discovery)."""
    values: dict[str, Any] = {
        "database_url": url,
        "env": "production",
        "oidc_issuer": issuer_url,
        "oidc_audience": AUDIENCE,
        "pseudonym_key": "bench-pseudonym-key",
    }
    return Settings(**{**values, **overrides})


def payload(first: int, after: str | None, *, total: bool = False) -> bytes:
    """The request body of workload A's query (`total`: also select `totalCount`, which
    counts every client the caller may see)."""
    query = PAGE_QUERY.replace("pageInfo {", "totalCount pageInfo {") if total else PAGE_QUERY
    return json.dumps({"query": query, "variables": {"first": first, "after": after}}).encode()


@dataclass
class Case:
    """One workload as a ready request: which app, which token, which page."""

    name: str
    client: httpx.AsyncClient
    body: bytes
    headers: dict[str, str]
    app: Any = None  # the Starlette app (None for the floor), for statement counting
    notes: dict[str, Any] = field(default_factory=dict)

    async def call(self) -> dict:
        """One request; its response parsed (and refused if it carries errors)."""
        document = json.loads(await self.send())
        if document.get("errors"):
            raise RuntimeError(f"workload {self.name}: {document['errors']}")
        return document

    async def send(self) -> bytes:
        """One request as timed: the response body, not parsed (parsing is the caller's
        cost), only checked for an error."""
        response = await self.client.post("/graphql", content=self.body, headers=self.headers)
        # Inside JSON strings quotes are escaped: `"errors":` is only ever the key.
        if response.status_code != 200 or b'"errors":' in response.content:
            raise RuntimeError(f"workload {self.name}: HTTP {response.status_code}")
        return response.content

    def with_first(self, first: int) -> Case:
        body = json.loads(self.body)
        body["variables"]["first"] = first
        return Case(self.name, self.client, json.dumps(body).encode(), self.headers, self.app)


def api_client(app) -> httpx.AsyncClient:
    """In-process HTTP to an ASGI app (no sockets): what the request costs, not the network."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")


def headers(token: str | None) -> dict[str, str]:
    sent = {"Content-Type": "application/json"}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    return sent


def make_app(url: str, issuer_url: str, **overrides: Any):
    return create_app(settings(url, issuer_url, **overrides))
