"""The write rules: the policy's pure functions, table-driven, and docs/writes.md rendered
from them (current, and covering every mutation's permission check)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from hmis.auth import policy
from hmis.auth.policy import Action
from hmis.auth.principal import Principal, Role
from hmis.auth.writes_doc import mutation_actions, render
from hmis.groups import ElementGroup as G
from hmis.schema import build_schema

ROOT = Path(__file__).resolve().parents[1]
ORG, OTHER = uuid.uuid4(), uuid.uuid4()


def who(role: Role, org=None, sub="s") -> Principal:
    return Principal(subject=sub, roles=frozenset({role}), organization_id=org)


def test_writes_document_is_current():
    committed = (ROOT / "docs" / "writes.md").read_text()
    assert committed == render(), "run `hmis writes-doc > docs/writes.md`"


def test_every_mutation_checks_the_write_table_first():
    """Fail closed: a mutation that never asks `allowed(info, Action...)` fails the build."""
    found = mutation_actions()
    schema_mutations = set(build_schema()._schema.mutation_type.fields)
    assert schema_mutations <= set(found)
    assert [name for name in schema_mutations if found[name] is None] == []


STAFF, ADMIN, CLIENT = who(Role.AGENCY_STAFF, ORG), who(Role.HMIS_ADMIN), who(Role.CLIENT)


@pytest.mark.parametrize(
    ("principal", "action", "facts", "expected"),
    [
        (STAFF, Action.RECORD_SERVICE, {"owner_org": ORG}, True),
        (STAFF, Action.RECORD_SERVICE, {"owner_org": OTHER}, False),
        (STAFF, Action.RECORD_SERVICE, {}, False),
        (ADMIN, Action.RECORD_SERVICE, {"owner_org": ORG}, False),  # no organization's staff
        (STAFF, Action.RESOLVE_CORRECTION, {"owner_org": ORG}, True),
        (STAFF, Action.RESOLVE_CORRECTION, {"owner_org": OTHER}, False),
        (ADMIN, Action.RESOLVE_CORRECTION, {"owner_org": None}, True),
        (CLIENT, Action.RESOLVE_CORRECTION, {"own_record": True}, False),
        (CLIENT, Action.REQUEST_CORRECTION, {"own_record": True}, True),
        (CLIENT, Action.REQUEST_CORRECTION, {}, False),
        (STAFF, Action.REQUEST_CORRECTION, {"owner_org": OTHER}, True),
        (CLIENT, Action.FILE_COMPLAINT, {"own_record": True}, True),
        (CLIENT, Action.FILE_COMPLAINT, {}, False),
        (STAFF, Action.EDIT_PROFILE, {"owner_org": OTHER}, True),  # the shared profile
        (who(Role.AUDITOR), Action.EDIT_PROFILE, {}, False),
        (STAFF, Action.UPDATE_COMPLAINT, {}, False),
        (ADMIN, Action.UPDATE_COMPLAINT, {}, True),
    ],
)
def test_may_write(principal, action, facts, expected):
    assert policy.may_write(principal, action, **facts) is expected


@pytest.mark.parametrize("group", list(G))
def test_victim_service_providers_store_no_ppi(group):
    assert policy.may_store(group, victim_service_provider=False)
    expected = group not in {G.IDENTITY, G.CONTACT}
    assert policy.may_store(group, victim_service_provider=True) is expected


@pytest.mark.parametrize(
    ("principal", "is_complainant", "expected"),
    [
        (ADMIN, False, True),
        (CLIENT, True, True),
        (CLIENT, False, False),
        (STAFF, True, False),  # staff who filed for a client: never partner organizations
        (who(Role.AUDITOR), False, False),
    ],
)
def test_sees_complaint(principal, is_complainant, expected):
    assert policy.sees_complaint(principal, is_complainant=is_complainant) is expected


@pytest.mark.parametrize(
    ("principal", "facts", "expected"),
    [
        (ADMIN, {}, True),
        (who(Role.AUDITOR), {}, True),
        (STAFF, {"owner_org": ORG}, True),  # may resolve it
        (STAFF, {"owner_org": OTHER, "requested_by": "s"}, True),  # filed it
        (STAFF, {"owner_org": OTHER}, False),
        (CLIENT, {"own_record": True}, True),
        (CLIENT, {}, False),
        (who(Role.RESEARCHER), {}, False),
    ],
)
def test_sees_correction_request(principal, facts, expected):
    facts = {"owner_org": None, "requested_by": "someone", "own_record": False, **facts}
    assert policy.sees_correction_request(principal, **facts) is expected
