"""Every field of client data declares its element group once, here, and says so in the SDL."""

from __future__ import annotations

import strawberry

from hmis.groups import ElementGroup

# Types whose every field is client data of one group (read by the schema tests).
GROUPED_TYPES: dict[type, ElementGroup] = {}


def group_note(group: ElementGroup) -> str:
    return f"Element group: {group.value}."


def grouped(group: ElementGroup, description: str):
    """`strawberry.type` for a type of client data: each field's description names `group`."""

    def wrap(cls):
        gql = strawberry.type(cls, description=f"{description} {group_note(group)}")
        for f in gql.__strawberry_definition__.fields:
            f.description = f"{group_note(group)} {f.description or ''}".strip()
        GROUPED_TYPES[gql] = group
        return gql

    return wrap
