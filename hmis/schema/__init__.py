"""The GraphQL schema, assembled from small per-area types, with its guards."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, MaskErrors

from hmis.auth import errors as auth_errors
from hmis.errors import ClientError

from .aggregates import AggregateQuery
from .audit import AuditQuery, OperationName
from .client_queries import ClientQuery
from .documents import DocumentCache, DocumentGuard
from .duplicates import DuplicateQuery
from .executor import PlanningExecutor
from .me import MeQuery
from .mutations import Mutation
from .my_record import MyRecordQuery
from .public import PublicQuery
from .rights import RightsQuery

log = logging.getLogger("hmis.errors")

# Errors meant for the caller; anything else is an internal error and is masked.
CALLER_ERRORS = (ClientError, auth_errors.InvalidToken, auth_errors.KeysUnavailable)


@strawberry.type
class Query(
    PublicQuery,
    MeQuery,
    ClientQuery,
    MyRecordQuery,
    RightsQuery,
    AuditQuery,
    AggregateQuery,
    DuplicateQuery,
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
    log.error("internal error %s at %s (path %s)", type(original).__name__, where, _path(error))
    return True


# Every field name of the schema: a path in the log keeps these and list indices only. The
# rest are aliases, which the caller writes freely (`Nora_ssn_123: client(...)`).
FIELD_NAMES: set[str] = set()


def _path(error: GraphQLError) -> list:
    return [p if isinstance(p, int) or p in FIELD_NAMES else "<alias>" for p in error.path or ()]


class HmisSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Log each error's kind and path only: messages and the query text can carry names,
        dates of birth or search terms (internal errors were logged by `_mask`)."""
        for error in errors:
            code = (error.extensions or {}).get("code", "GRAPHQL_VALIDATION")
            log.info("graphql error %s at %s", code, _path(error))


def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    # One cache per schema, shared by the extension instances strawberry makes per request.
    documents = DocumentCache()
    extensions = [
        lambda: DocumentGuard(documents),  # size, depth, aliases, cost, inputs (limits.py)
        lambda: MaskErrors(should_mask_error=_mask, error_message="Internal error."),
        OperationName,  # for the audit log
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    schema = HmisSchema(query=Query, mutation=Mutation, extensions=extensions,
                        execution_context_class=PlanningExecutor)  # fmt: skip
    FIELD_NAMES.update(
        name for kind in schema._schema.type_map.values() for name in getattr(kind, "fields", ())
    )
    return schema
