"""A small CoC built through the API by an administrator, and helpers to call mutations the
way an integrator does (GraphQL over HTTP with real tokens)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from hmis.db import models

from .support import gql

ERRORS = "errors { field message code }"


def mutation(name: str, select: str) -> str:
    """`name(input: $input) { select errors }` with the input type named after it."""
    kind = name[0].upper() + name[1:] + "Input"
    return f"mutation($input: {kind}!) {{ {name}(input: $input) {{ {select} {ERRORS} }} }}"


@dataclass
class World:
    api: Any
    token: Any
    admin: str = ""
    orgs: dict[str, str] = field(default_factory=dict)
    projects: dict[str, str] = field(default_factory=dict)
    staff: dict[str, str] = field(default_factory=dict)  # organization name -> staff token
    managers: dict[str, str] = field(default_factory=dict)  # organization name -> staff ID

    async def call(self, token: str | None, name: str, input: dict, select: str = "") -> dict:
        """The mutation's payload (GraphQL errors fail the test)."""
        status, body = await gql(self.api, mutation(name, select), {"input": input}, token=token)
        assert "errors" not in body, body
        return body["data"][name]

    async def ok(self, token: str | None, name: str, input: dict, select: str = "") -> dict:
        """The payload of a mutation that must succeed."""
        payload = await self.call(token, name, input, select)
        assert payload["errors"] == [], payload["errors"]
        return payload

    async def query(self, token: str | None, document: str, **variables) -> dict:
        status, body = await gql(self.api, document, variables or None, token=token)
        assert status == 200 and "errors" not in body, body
        return body["data"]

    async def new_client(self, org: str = "Shelter", **values) -> str:
        values = {"firstName": "Ada", "lastName": "Lovelace", **values}
        payload = await self.ok(self.staff[org], "createClient", values, "client { id }")
        return payload["client"]["id"]


async def build_world(api, token) -> World:
    """Shelter (runs Night Shelter, employs Mona), Outreach (Street Outreach) and Housing,
    each with a staff token; all made through the admin mutations."""
    world = World(api=api, token=token, admin=token("hmis_admin", sub="admin-1"))
    for name, project, project_type in (("Shelter", "Night Shelter", "ES_ENTRY_EXIT"),
                                        ("Outreach", "Street Outreach", "STREET_OUTREACH"),
                                        ("Housing", None, None)):  # fmt: skip
        payload = await world.ok(world.admin, "createOrganization", {"name": f"{name} Org"},
                                 "organization { id }")  # fmt: skip
        org_id = world.orgs[name] = payload["organization"]["id"]
        world.staff[name] = token("agency_staff", org=org_id, sub=f"{name.lower()}-staff")
        if project:
            payload = await world.ok(world.admin, "createProject", {
                "organizationId": org_id, "name": project, "projectType": project_type,
                "operatingStartDate": "2015-01-01"}, "project { id }")  # fmt: skip
            world.projects[name] = payload["project"]["id"]
    payload = await world.ok(world.admin, "createStaffUser", {
        "organizationId": world.orgs["Shelter"], "firstName": "Mona", "lastName": "Manager",
        "phone": "630-555-0100", "email": "mona@shelter.example"}, "staffUser { id }")  # fmt: skip
    world.managers["Shelter"] = payload["staffUser"]["id"]
    return world


# The clock and the access log: a refused write may still log what it read.
AUDIT_LOG = ("write_clock", "audit_events", "audit_links", "audit_pending", "audit_chain")


async def row_counts(sessions) -> dict[str, int]:
    """Rows in every table (but the SQLite clock): a failed write must change none."""
    async with sessions() as s:
        counts = {}
        for table in models.Base.metadata.sorted_tables:
            if table.name not in AUDIT_LOG:
                counts[table.name] = await s.scalar(select(func.count()).select_from(table))
    return counts
