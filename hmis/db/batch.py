"""A condition on a batch of keys (a page's clients), sent as one array on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession


def among(session: AsyncSession, column, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `column = ANY(:array)`, one parameter however many
    values: the statement stays the same, so the server plans it once per connection. With
    a parameter per value it planned every execution again (1.2 ms for a page's enrollments,
    more than running it) and SQLAlchemy expanded the list each time."""
    values = list(values)
    if session.bind.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)
