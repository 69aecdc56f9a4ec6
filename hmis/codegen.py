"""Functions generated from source for a page's hot loops (records cut from rows, presented
values, read plans): a straight line per column or field, where a loop over them cost several
times as much. Only names checked to be identifiers, and numbers, reach the source; values are
bound in the function's globals."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def dict_display(names: Iterable[str], value: Callable[[int, str], str]) -> str:
    """`{'name': <value(i, name)>, ...}` as source, for names checked to be identifiers."""
    names = tuple(names)
    if not all(name.isidentifier() for name in names):
        raise ValueError(f"not column names: {names}")
    return "{" + ", ".join(f"{name!r}: {value(i, name)}" for i, name in enumerate(names)) + "}"


def function(source: str, label: str, env: dict[str, Any] | None = None) -> Callable:
    """The one function `source` defines (its name: the first `def`), compiled as `label`
    (what tracebacks and profiles show), with `env` as its globals."""
    env = {} if env is None else env
    name = source.split("def ", 1)[1].split("(", 1)[0]
    exec(compile(source, label, "exec"), env)  # checked names only, see above
    return env[name]
