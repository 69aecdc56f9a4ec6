"""Relay-style connections, opaque cursors and the page-size cap."""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Generic, TypeVar

import strawberry

from hmis.errors import BadInput

# Unlimited pages would let a caller pull whole tables in one request.
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int = strawberry.field(description="The number of rows visible to you.")


def page_size(first: int | None, default: int = DEFAULT_PAGE_SIZE) -> int:
    size = default if first is None else first
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise BadInput(
            f"`first` must be between 1 and {MAX_PAGE_SIZE}, got {size}", field=["first"]
        )
    return size


def encode_cursor(kind: str, value: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode()


@lru_cache(maxsize=1024)
def position_cursor(kind: str, position: int) -> str:
    """The cursor of a position in a positional list (a client's enrollments): the same few
    for every client of a page, made once."""
    return encode_cursor(kind, str(position))


def decode_cursor(kind: str, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        found, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except ValueError:
        found, value = "", ""
    if found != kind or not value:
        raise BadInput("`after` is not a cursor this list gave out", field=["after"])
    return value


def decode_position(kind: str, cursor: str | None) -> int:
    """The position after the one a positional cursor names (0 without a cursor)."""
    value = decode_cursor(kind, cursor)
    if value is None:
        return 0
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise BadInput("`after` is not a cursor this list gave out", field=["after"])
    return int(value) + 1


def connection(nodes: list, cursors: list[str], *, total: int, has_next: bool) -> Connection:
    edges = [Edge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=has_next, end_cursor=cursors[-1] if cursors else None),
        total_count=total,
    )
