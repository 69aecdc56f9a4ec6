"""The committed SDL matches the code, and every field of client data names its group."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType

from hmis.groups import ElementGroup
from hmis.schema import build_schema

ROOT = Path(__file__).resolve().parents[1]
GROUP_NOTE = re.compile(r"Element group: (\w+)\.")
# Fields of the Client graph that are structure, not client data.
STRUCTURAL = {
    ("Client", "id"),
    ("Client", "access"),
    ("Client", "researchKey"),  # a keyed hash, never an identifier (see its description)
    ("GroupAccess", "group"),
    ("GroupAccess", "visible"),
    ("GroupAccess", "basis"),
    ("GroupAccess", "partial"),  # from the role and group alone (tests/test_access_partial.py)
    ("PageInfo", "hasNextPage"),
    ("PageInfo", "endCursor"),
    ("Organization", "id"),
    ("Organization", "name"),
    ("Organization", "victimServiceProvider"),
}


def test_committed_schema_is_current():
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == build_schema().as_str() + "\n", "run `make schema` and commit it"


def _named(t):
    while isinstance(t, GraphQLNonNull | GraphQLList):
        t = t.of_type
    return t


def test_every_client_data_field_names_its_element_group():
    """Fail closed: a new field reachable from Client without a group fails the build."""
    schema = build_schema()._schema
    missing, seen, todo = [], set(), [schema.type_map["Client"]]
    while todo:
        gql_type = todo.pop()
        if gql_type.name in seen:
            continue
        seen.add(gql_type.name)
        for name, field in gql_type.fields.items():
            target = _named(field.type)
            if isinstance(target, GraphQLObjectType):
                todo.append(target)
            if (gql_type.name, name) in STRUCTURAL or gql_type.name.endswith(
                ("Edge", "Connection")
            ):
                continue
            found = GROUP_NOTE.search(field.description or "")
            if not found or found.group(1) not in ElementGroup.__members__:
                missing.append(f"{gql_type.name}.{name}")
    assert missing == []
    assert {"Identity", "Enrollment", "Project", "CaseNote", "Income"} <= seen
