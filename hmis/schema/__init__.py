"""The GraphQL schema, assembled from small per-area types, with its guards."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from hmis.auth import errors as auth_errors
from hmis.errors import ClientError

from .aggregates import AggregateQuery
from .audit import AuditQuery, OperationName
from .client_queries import ClientQuery
from .me import MeQuery
from .mutations import Mutation
from .my_record import MyRecordQuery
from .public import PublicQuery
from .rights import RightsQuery

log = logging.getLogger("hmis.errors")

# Generous for real frontends (the deepest useful query is about 8 levels), tight for abuse.
MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 3000
# Errors meant for the caller; anything else is an internal error and is masked.
CALLER_ERRORS = (ClientError, auth_errors.InvalidToken, auth_errors.KeysUnavailable)


@strawberry.type
class Query(
    PublicQuery, MeQuery, ClientQuery, MyRecordQuery, RightsQuery, AuditQuery, AggregateQuery
):
    pass


def _mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, (*CALLER_ERRORS, GraphQLError)):
        return False  # validation and caller errors keep their message and code
    # Log where it failed, never the message: driver errors quote parameters (PPI).
    frame = original.__traceback__
    while frame and frame.tb_next:
        frame = frame.tb_next
    where = f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}" if frame else "?"
    log.error("internal error %s at %s (path %s)", type(original).__name__, where, error.path)
    return True


class HmisSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Log each error's kind and path only: messages and the query text can carry names,
        dates of birth or search terms (internal errors were logged by `_mask`)."""
        for error in errors:
            code = (error.extensions or {}).get("code", "GRAPHQL_VALIDATION")
            log.info("graphql error %s at %s", code, error.path)


def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    # The limiters' validation rules are classes their constructors make: made once, here.
    # A limiter built per request made new classes each time, and the ValidationCache (keyed
    # by the rules) never hit: every request validated again and left an entry in its LRU.
    limits = [
        *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    ]
    # Factories: strawberry builds fresh extension instances for each request.
    extensions = [
        lambda: AddValidationRules(limits),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        lambda: MaskErrors(should_mask_error=_mask, error_message="Internal error."),
        OperationName,  # for the audit log
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return HmisSchema(query=Query, mutation=Mutation, extensions=extensions)
