"""Legitimate query shapes a frontend sends get answers, not "Internal error." (issue 11,
point 15): bad cursors are the caller's error, and sibling fields that decide visibility
concurrently (aliases, fragments) see complete decisions."""

from __future__ import annotations

import base64

import pytest

from hmis.db import models

from . import people
from .support import gql

ENROLLMENTS = """query($id: ID!, $after: String) { client(id: $id) {
  enrollments(first: 1, after: $after) { edges { node { entryDate } } } } }"""


@pytest.fixture
async def world(sessions, api, token):
    world = await people.coc(sessions)
    world.api, world.token = api, token
    world.ada = await people.fully_recorded_client(sessions, world, first_name="Ada")
    world.ben = await people.fully_recorded_client(
        sessions, world, first_name="Ben", last_name="Babbage"
    )
    await people.refuse(sessions, world, world.ada)
    await people.update(
        sessions, world.writer(world.shelter), models.Client, world.ada.id, last_name="Later"
    )
    return world


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "after",
    [
        cursor("enrollment:x"),
        cursor("enrollment:-5"),
        cursor("enrollment:1e3"),
        cursor("enrollment:" + "9" * 40),
        "not base64 at all",
        cursor("client:1"),
    ],
)
async def test_a_bad_enrollment_cursor_is_bad_user_input(world, after):
    status, body = await gql(
        world.api,
        ENROLLMENTS,
        {"id": str(world.ada.id), "after": after},
        token=world.token("hmis_admin"),
    )
    assert status == 200
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["field"] == ["after"]


async def test_a_good_enrollment_cursor_pages(world):
    status, body = await gql(
        world.api,
        ENROLLMENTS,
        {"id": str(world.ada.id), "after": cursor("enrollment:0")},
        token=world.token("hmis_admin"),
    )
    assert "errors" not in body and body["data"]["client"]["enrollments"]["edges"] == []


SIBLINGS = """query($id: ID!) {
  a: client(id: $id) { ...F }
  b: clients(first: 5) { edges { node { ...F } } }
  c: client(id: $id) { identity { lastName } caseManager { firstName } }
  d: searchClients(input: {firstName: "Ada"}) { client { ...F } }
}
fragment F on Client { identity { lastName } contact { phone } health { disablingCondition }
  enrollments { totalCount } caseManager { firstName } income { totalMonthlyIncome } }"""


@pytest.mark.parametrize("org", ["outreach", "shelter"])
async def test_sibling_fields_over_a_refused_client_answer_consistently(world, org):
    token = world.token("agency_staff", org=getattr(world, org).id, sub=f"{org}-1")
    for _ in range(5):
        status, body = await gql(world.api, SIBLINGS, {"id": str(world.ada.id)}, token=token)
        assert status == 200 and "errors" not in body, body
        data = body["data"]
        ada_in_page = next(
            e["node"]
            for e in data["b"]["edges"]
            if e["node"]["identity"]["lastName"] in ("Lovelace", "Later")
        )
        assert data["a"] == ada_in_page == data["d"][0]["client"]
        expected = "Later" if org == "shelter" else "Lovelace"
        assert data["a"]["identity"]["lastName"] == data["c"]["identity"]["lastName"] == expected
