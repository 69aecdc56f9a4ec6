"""Input every field refuses alike, checked once for the whole request before it runs: text
the databases cannot store (a NUL character on PostgreSQL, a lone surrogate on either) and
lists longer than any real use (a refusal naming 100,000 household members took 38 s).

Arguments written in the document and variables are both walked, without recursion (a
variable can nest as deep as JSON allows)."""

from __future__ import annotations

from graphql import (
    ArgumentNode,
    DocumentNode,
    ListValueNode,
    ObjectFieldNode,
    StringValueNode,
    Visitor,
    visit,
)

from hmis.errors import BadInput

# Households, races, disabilities, income sources, groups: none comes near it.
MAX_LIST_LENGTH = 100


def check(document: DocumentNode, variables: dict | None) -> None:
    """Raise BadInput naming the first offending input."""
    for name, value in (variables or {}).items():
        _check_value(value, [name])
    visit(document, _Literals())


def _problem(value, path: list[str]) -> str | None:
    where = ".".join(str(p) for p in path)
    if isinstance(value, str):
        if "\x00" in value:
            return f"`{where}` contains a NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"`{where}` is not valid Unicode (a lone surrogate)"
    elif isinstance(value, list) and len(value) > MAX_LIST_LENGTH:
        return f"`{where}` has {len(value)} items; at most {MAX_LIST_LENGTH}"
    return None


def _fail(message: str, path: list) -> None:
    raise BadInput(message, field=[str(p) for p in path])


def _check_value(value, path: list) -> None:
    pending = [(value, path)]
    while pending:
        value, path = pending.pop()
        if (message := _problem(value, path)) is not None:
            _fail(message, path)
        if isinstance(value, dict):
            pending.extend((v, [*path, k]) for k, v in value.items())
            pending.extend((k, [*path, k]) for k in value)  # keys are input too
        elif isinstance(value, list):
            pending.extend((v, [*path, i]) for i, v in enumerate(value))


class _Literals(Visitor):
    """Values written in the document: the path is the argument and its object fields."""

    def __init__(self):
        super().__init__()
        self.path: list[str] = []

    def enter_argument(self, node: ArgumentNode, *_):
        self.path.append(node.name.value)

    def leave_argument(self, *_):
        self.path.pop()

    def enter_object_field(self, node: ObjectFieldNode, *_):
        self.path.append(node.name.value)

    def leave_object_field(self, *_):
        self.path.pop()

    def enter_string_value(self, node: StringValueNode, *_):
        if (message := _problem(node.value, self.path or ["query"])) is not None:
            _fail(message, self.path)

    def enter_list_value(self, node: ListValueNode, *_):
        if len(node.values) > MAX_LIST_LENGTH:
            path = self.path or ["query"]
            _fail(f"`{'.'.join(path)}` has {len(node.values)} items; at most "
                  f"{MAX_LIST_LENGTH}", path)  # fmt: skip
