"""Read-only rows for presenting, read without the ORM.

A page of 100 clients reads about a thousand rows of enrollments, exits and case manager
assignments, with their projects, staff and organizations. Built as ORM objects they cost more
than all the page's SQL (bench/README.md); as records, plain objects with the columns as
attributes, a fraction of it. A record of client data names its model (`__model__`, as ORM
rows do: `ClientData.__model__`), so `hmis.resolvers.visibility` presents both alike. Records
are never written back: writes load ORM rows through `hmis.db.history`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any, ClassVar

from hmis.codegen import dict_display, function

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


class Shape:
    """The columns one statement selects from several models (for each, the given names, `id`
    first), and how each result row is cut into one record per model."""

    def __init__(self, *parts: tuple[type, Sequence[str]]):
        self.columns = [model.__table__.c[name] for model, names in parts for name in names]
        self.records = _cutter(parts)


def _cutter(parts) -> Callable[[Iterable[Sequence[Any]]], list[tuple[Record | None, ...]]]:
    """`Shape.records`: one tuple of records per row; None for a model whose `id` is null (an
    outer join that found nothing). Reference rows (a project, a staff member) repeat along a
    result: one record each, shared.

    Generated as one function with a straight line per model and a dict display per record
    (a page cuts a thousand rows: a loop over the parts cost several times as much)."""
    env: dict[str, Any] = {"new": object.__new__}
    head, body, made, start = ["out = []"], [], [], 0
    for n, (model, names) in enumerate(parts):
        if names[0] != "id":  # a record's id tells whether the row holds one
            raise ValueError(f"{model.__name__}: `id` first, not {names[0]}")
        env[f"C{n}"] = _record_class(model)
        values = dict_display(names, lambda i, _name, start=start: f"row[{start + i}]")
        make = [f"r{n} = new(C{n})", f"r{n}.__dict__ = {values}"]
        body.append(f"if row[{start}] is None:")
        body.append(f"    r{n} = None")
        if issubclass(model, ClientData):
            body += ["else:", *(f"    {line}" for line in make)]
        else:
            head.append(f"seen{n} = {{}}")
            body += [
                "else:",
                f"    r{n} = seen{n}.get(row[{start}])",
                f"    if r{n} is None:",
                *(f"        {line}" for line in make),
                f"        seen{n}[row[{start}]] = r{n}",
            ]
        made.append(f"r{n}")
        start += len(names)
    lines = ["def records(rows):", *(f"    {line}" for line in head), "    for row in rows:",
             "        row = tuple(row)", *(f"        {line}" for line in body),
             f"        out.append(({', '.join(made)},))", "    return out"]  # fmt: skip
    return function("\n".join(lines) + "\n", "<records of a shape>", env)
