"""What the query selects below the field being resolved, through fragments.

Page-level resolvers read it to skip work nobody asked for (counting every match for
`totalCount`) and to load a page's related rows at once. `@skip`/`@include` are not evaluated:
a field they leave out still counts as selected, which costs work, never a wrong answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:  # a fragment spread or an inline fragment: its fields count as selected here
            yield from _fields(selection.selections)


def selected_names(info: Info, *path: str) -> set[str]:
    """The names (not aliases) of the fields selected at `path` below the current field:
    `selected_names(info)` for its own fields, `selected_names(info, "edges", "node")`."""
    level: list[Selection] = [s for f in _fields(info.selected_fields) for s in f.selections]
    for name in path:
        level = [s for f in _fields(level) if f.name == name for s in f.selections]
    return {f.name for f in _fields(level)}
