"""The GraphQL schema, assembled from small per-area types."""

from __future__ import annotations

import strawberry

from .public import PublicQuery


@strawberry.type
class Query(PublicQuery):
    pass


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query)
