"""The policy table and its pure functions, without a database or a request."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from hmis.auth import policy
from hmis.auth.policy import Basis, ClientFacts
from hmis.auth.principal import Principal, Role
from hmis.groups import SHARED_GROUPS, ElementGroup

G = ElementGroup
ORG, OTHER = uuid.uuid4(), uuid.uuid4()
CLIENT = uuid.uuid4()
R = datetime(2025, 3, 1, tzinfo=UTC)


def who(*roles: Role, org=None) -> Principal:
    return Principal(subject="s", roles=frozenset(roles), organization_id=org)


def visible_groups(principal, **facts) -> set[ElementGroup]:
    decision = policy.decide(principal, ClientFacts(client_id=CLIENT, **facts))
    return set(decision.groups_visible) if decision else set()


ALL = set(G)
RESEARCH = ALL - {G.IDENTITY, G.CONTACT, G.CASE_NOTES}


@pytest.mark.parametrize(
    ("principal", "facts", "expected"),
    [
        (who(Role.HMIS_ADMIN), {}, ALL),
        (who(Role.AUDITOR), {}, ALL),
        (who(Role.AGENCY_STAFF, org=ORG), {}, ALL),  # non-shared: own records only (row rule)
        (who(Role.RESEARCHER), {}, RESEARCH),
        (who(Role.RESEARCHER), {"research_consent": True}, RESEARCH | {G.IDENTITY}),
        (who(Role.AGGREGATE_READER), {}, set()),
        (who(Role.CLIENT), {"is_callers_own_record": True}, ALL),
        (who(Role.CLIENT), {}, set()),  # someone else's record
        (who(), {}, set()),  # no HMIS role
    ],
    ids=[
        "admin",
        "auditor",
        "agency",
        "researcher",
        "researcher-consent",
        "aggregate",
        "client-self",
        "client-other",
        "no-role",
    ],  # fmt: skip
)
def test_groups_by_role(principal, facts, expected):
    assert visible_groups(principal, **facts) == expected


@pytest.mark.parametrize("group", list(G))
def test_agency_row_rule(group):
    """Shared groups: every organization's records. Non-shared: the caller's own only."""
    decision = policy.decide(who(Role.AGENCY_STAFF, org=ORG), ClientFacts(client_id=CLIENT))
    assert decision.sees_record(group, ORG)
    assert decision.sees_record(group, OTHER) is (group in SHARED_GROUPS)
    expected = Basis.SHARED_WITH_PARTNERS if group in SHARED_GROUPS else Basis.OWN_AGENCY
    assert decision.access[group].basis is expected


def test_refusal_freezes_partner_view_and_nothing_says_so():
    staff = who(Role.AGENCY_STAFF, org=ORG)
    refused = policy.decide(staff, ClientFacts(client_id=CLIENT, refused_at=R))
    plain = policy.decide(staff, ClientFacts(client_id=CLIENT))
    assert refused.frozen_at == R and plain.frozen_at is None
    # The access list a partner reads is the same whether or not the client refused.
    assert refused.access == plain.access


@pytest.mark.parametrize("role", [Role.HMIS_ADMIN, Role.AUDITOR, Role.RESEARCHER, Role.CLIENT])
def test_refusal_does_not_freeze_other_roles(role):
    decision = policy.decide(
        who(role), ClientFacts(client_id=CLIENT, refused_at=R, is_callers_own_record=True)
    )
    assert decision.frozen_at is None


def test_client_copy_hides_legal_notes_and_researcher_gets_a_key():
    own = policy.decide(who(Role.CLIENT), ClientFacts(client_id=CLIENT, is_callers_own_record=True))
    assert own.hide_legal_notes and not own.research_key
    research = policy.decide(who(Role.RESEARCHER), ClientFacts(client_id=CLIENT))
    assert research.research_key and research.access[G.IDENTITY].basis is Basis.DE_IDENTIFIED


def test_several_roles_never_widen_by_union():
    """agency_staff + researcher acts as agency staff: the refusal still freezes the view."""
    both = who(Role.AGENCY_STAFF, Role.RESEARCHER, org=ORG)
    decision = policy.decide(both, ClientFacts(client_id=CLIENT, refused_at=R))
    assert decision.role is Role.AGENCY_STAFF and decision.frozen_at == R


def test_rows_only_for_row_roles():
    assert policy.sees_rows(who(Role.AGENCY_STAFF, org=ORG))
    assert not policy.sees_rows(who(Role.AGGREGATE_READER))
    assert not policy.sees_rows(who(Role.CLIENT))
    assert not policy.sees_rows(None)


def test_policy_table_covers_every_role_and_group():
    rows = policy.policy_table()
    roles = {(r.role, r.entered_by) for r in rows}
    assert {(r, None) for r in Role} - {(Role.AGENCY_STAFF, None)} <= roles
    for role in roles:
        assert {r.group for r in rows if (r.role, r.entered_by) == role} == ALL
