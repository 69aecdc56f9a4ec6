"""Read-only rows for presenting, read without the ORM.

A page of 100 clients reads about a thousand rows of enrollments, exits and case manager
assignments, with their projects, staff and organizations. Built as ORM objects they cost more
than all the page's SQL (bench/README.md); as records, plain objects with the columns as
attributes, a fraction of it. A record of client data names its model (`__model__`, as ORM
rows do: `ClientData.__model__`), so `hmis.resolvers.visibility` presents both alike. Records
are never written back: writes load ORM rows through `hmis.db.history`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, ClassVar

from .models import ClientData

# What presenting reads of a record of client data besides its data columns
# (`Visibility.inspect`); the other stamps (who wrote it, when it was created...) stay unread.
PRESENTED_STAMPS = ("id", "organization_id", "date_updated")


class Record:
    __model__: ClassVar[type]

    def __repr__(self) -> str:
        return f"<{self.__model__.__name__} record {self.__dict__.get('id')}>"


@cache
def _record_class(model: type) -> type[Record]:
    # The plain properties a model defines for its readers (`Client.client_id`) serve its
    # records too.
    properties = {k: v for k, v in vars(model).items() if isinstance(v, property)}
    return type(f"{model.__name__}Record", (Record,), {**properties, "__model__": model})


@cache
def presented_columns(model: type[ClientData]) -> tuple[str, ...]:
    """The columns to read of client data that is only presented: its data and the stamps
    presenting needs."""
    return PRESENTED_STAMPS + tuple(model.data_columns())


def _values_of(names: Sequence[str], start: int):
    """A function making a record's attributes from a result row: a dict display of the
    row's items (column names are identifiers), several times quicker than zipping."""
    if not all(name.isidentifier() for name in names):
        raise ValueError(f"not column names: {names}")
    items = ", ".join(f"{name!r}: row[{start + i}]" for i, name in enumerate(names))
    return eval(f"lambda row: {{{items}}}")  # noqa: S307 (names only, checked above)


class Shape:
    """The columns one statement selects from several models (for each, the given names, `id`
    first), and how each result row is cut into one record per model."""

    def __init__(self, *parts: tuple[type, Sequence[str]]):
        self.parts, start = [], 0
        for model, names in parts:
            if names[0] != "id":  # a record's id tells whether the row holds one
                raise ValueError(f"{model.__name__}: `id` first, not {names[0]}")
            # Reference rows (a project, a staff member) repeat along a result: one record each.
            shared = not issubclass(model, ClientData)
            self.parts.append((_record_class(model), _values_of(names, start), start, shared))
            start += len(names)
        self.columns = [model.__table__.c[name] for model, names in parts for name in names]

    def records(self, rows: Iterable[Sequence[Any]]) -> list[tuple[Record | None, ...]]:
        """One tuple of records per row; None for a model whose `id` is null (an outer join
        that found nothing)."""
        out, seen = [], {}
        for row in rows:
            row, found = tuple(row), []
            for cls, values_of, start, shared in self.parts:
                key = row[start]
                if key is None:
                    found.append(None)
                elif shared and (cls, key) in seen:
                    found.append(seen[cls, key])
                else:
                    record = cls.__new__(cls)
                    record.__dict__ = values_of(row)
                    found.append(record)
                    if shared:
                        seen[cls, key] = record
            out.append(tuple(found))
        return out
