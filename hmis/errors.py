"""Errors a caller is meant to read: they keep their message and `extensions.code`.
Every other exception is masked as an internal error (see hmis.schema.build_schema)."""

from __future__ import annotations

from graphql import GraphQLError


class ClientError(GraphQLError):
    code = "BAD_REQUEST"

    def __init__(self, message: str, **extensions):
        super().__init__(message, extensions={"code": self.code, **extensions})


class Forbidden(ClientError):
    code = "FORBIDDEN"


class BadInput(ClientError):
    code = "BAD_USER_INPUT"


class NotFound(ClientError):
    code = "NOT_FOUND"
