"""The fast paths of a page of clients give the same answers as the general ones.

A `clients` page counts only when `totalCount` is selected, loads enrollments and case managers
for the whole page before its fields resolve, and folds a refused client's as-of states only
for the tables its selection presents (hmis.schema.clients.FIELD_TABLES). These tests read the
same data through fragments, through `client(id:)` and through a mix of both in one request.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hmis.auth.principal import Principal, Role
from hmis.config import Settings
from hmis.context import RequestContext
from hmis.db import history, models, refusals
from hmis.db.history import Writer
from hmis.groups import ElementGroup as G
from hmis.resolvers.visibility import Visibility
from hmis.schema import build_schema
from hmis.schema.clients import FIELD_TABLES
from hmis.seed.build import unsafe_bulk_seed

from .support import gql

NODE = """
  id
  identity { firstName lastName }
  enrollments { totalCount edges { node { entryDate exitDate project { name } } } }
  caseManager { firstName organization { name } }
"""


@pytest.fixture
async def page(engine, sessions):
    """A small CoC whose first client refused sharing and was renamed (and one of its stays
    changed) afterwards, and the partner organization that reads it."""
    await unsafe_bulk_seed(engine, clients=40, seed=11)
    async with sessions() as s, s.begin():
        orgs = await s.scalars(select(models.Organization.id).order_by(models.Organization.name))
        partner = orgs.first()
        refused = await s.get(
            models.Client, await s.scalar(select(models.Client.id).order_by(models.Client.id))
        )
        await refusals.record_refusal(s, Writer("admin", None), client_id=refused.id)
    async with sessions() as s, s.begin():
        row = await s.get(models.Client, refused.id)
        await history.update(s, Writer("admin", None), row, {"first_name": "Renamed"})
        stay = await s.scalar(
            select(models.Enrollment).where(models.Enrollment.client_id == refused.id).limit(1)
        )
        await history.update(s, Writer("admin", None), stay, {"household_id": "moved"})
    return partner, refused.id


def test_every_client_field_names_the_tables_it_presents():
    client = build_schema()._schema.get_type("Client")
    assert set(client.fields) <= FIELD_TABLES.keys()


async def test_fragments_select_what_direct_fields_select(api, token, page):
    partner, _ = page
    caller = token("agency_staff", org=partner)
    direct = f"{{ clients(first: 5) {{ totalCount edges {{ node {{ {NODE} }} }} }} }}"
    through_fragments = f"""
      {{ clients(first: 5) {{ ...Page }} }}
      fragment Page on ClientConnection {{
        totalCount edges {{ node {{ ... on Client {{ {NODE} }} }} }}
      }}
    """
    _, want = await gql(api, direct, token=caller)
    _, got = await gql(api, through_fragments, token=caller)
    assert "errors" not in want and got == want
    assert want["data"]["clients"]["totalCount"] == 40


async def test_a_page_without_total_count_pages_the_same(api, token, page):
    partner, _ = page
    caller = token("agency_staff", org=partner)
    _, counted = await gql(
        api, f"{{ clients(first: 7) {{ totalCount edges {{ node {{ {NODE} }} }} }} }}", token=caller
    )
    _, plain = await gql(
        api, f"{{ clients(first: 7) {{ edges {{ node {{ {NODE} }} }} }} }}", token=caller
    )
    assert plain["data"]["clients"]["edges"] == counted["data"]["clients"]["edges"]


async def test_a_refused_client_reads_the_same_on_a_page_and_alone(api, token, page):
    partner, refused = page
    caller = token("agency_staff", org=partner)
    one = f'client(id: "{refused}") {{ {NODE} contact {{ phone }} }}'
    _, alone = await gql(api, f"{{ {one} }}", token=caller)
    assert alone["data"]["client"]["identity"]["firstName"] != "Renamed"  # as of the refusal
    # The page loads the as-of states of identity's table only; `client` then needs them all.
    mixed = (
        f"{{ clients(first: 3) {{ edges {{ node {{ id identity {{ firstName }} }} }} }} {one} }}"
    )
    _, both = await gql(api, mixed, token=caller)
    assert "errors" not in both, both
    assert both["data"]["client"] == alone["data"]["client"]
    first = both["data"]["clients"]["edges"][0]["node"]
    assert first["id"] == str(refused)
    assert first["identity"] == {"firstName": alone["data"]["client"]["identity"]["firstName"]}


async def test_states_of_more_tables_are_loaded_when_a_later_field_needs_them(sessions, page):
    partner, refused = page
    principal = Principal("staff-1", frozenset({Role.AGENCY_STAFF}), organization_id=partner)
    context = RequestContext(None, None, Settings(), sessions, principal)
    visibility = Visibility.of(context)
    try:
        async with context.reading() as s:
            client = await s.get(models.Client, refused)
            enrollment = await s.scalar(  # the one written after the refusal
                select(models.Enrollment)
                .where(models.Enrollment.client_id == refused)
                .order_by(models.Enrollment.date_updated.desc())
                .limit(1)
            )
        await visibility.decide([client], tables={"clients"})
        assert visibility.inspect(client, G.IDENTITY) is not None
        with pytest.raises(RuntimeError, match="enrollments"):  # loudly, never as "hidden"
            visibility.inspect(enrollment)
        await visibility.decide([client])  # another field needs every table
        assert visibility.inspect(enrollment) is not None
    finally:
        await context.close()


async def test_records_not_written_since_a_refusal_read_then_as_now(engine, sessions):
    """The premise of `as_of(changed_only=True)`: folding a record's versions up to a time
    after its last write gives its current row (seeded refusals, histories of every kind)."""
    await unsafe_bulk_seed(engine, clients=120, seed=5)
    coverage = models.RefusalCoverage
    async with sessions() as s:
        refused = dict((await s.execute(select(coverage.client_id, coverage.refused_at))).all())
        states = await history.as_of(s, cutoffs=refused)
        compared = 0
        for model in (models.Client, models.Enrollment, models.Exit, models.CaseManagerAssignment):
            owner = model.id if model is models.Client else model.client_id
            for row in await s.scalars(select(model).where(owner.in_(list(refused)))):
                if row.date_updated > refused[row.client_id]:
                    continue
                state = states[(model.__tablename__, row.id)]
                assert state.exists
                columns = model.data_columns()  # read as `Visibility.inspect` reads them
                then = {c: state.values.get(c) for c in columns}
                assert then == {c: getattr(row, c) for c in columns}
                compared += 1
    assert compared > 20
