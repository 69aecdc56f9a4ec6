"""Parsing and validating documents: size first, then the limits, then graphql-core's rules;
parsed and validated documents kept in a cache bounded in bytes.

Order matters: the size and token limits bound the parse; the limits (hmis.schema.limits)
walk the document once, linearly, before graphql-core's own rules, some of which recurse
through fragments (a chain of 250 fragments reached Python's recursion limit there).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from . import inputs, limits

log = logging.getLogger("hmis.errors")
# A parsed document takes about 67 bytes per character of its text (measured with
# tracemalloc on bench.workloads.PAGE_QUERY); the estimate counts 70.
BYTES_PER_CHAR = 70
CACHE_BYTES = 32 * 1024 * 1024
# Bigger documents are parsed each time: one of them would evict hundreds of usual ones.
CACHEABLE_CHARS = 20_000


class DocumentCache:
    """Least recently used documents (with their validation errors), up to `max_bytes`."""

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = max_bytes
        self.bytes = 0
        self.entries: OrderedDict[str, list] = OrderedDict()

    def get(self, query: str) -> list | None:
        entry = self.entries.get(query)
        if entry is not None:
            self.entries.move_to_end(query)
        return entry

    def put(self, query: str, document: DocumentNode) -> list:
        entry = [document, None]  # the validation errors, once known
        if len(query) > CACHEABLE_CHARS:
            return entry
        self.entries[query] = entry
        self.bytes += len(query) * BYTES_PER_CHAR
        while self.bytes > self.max_bytes:
            evicted, _ = self.entries.popitem(last=False)
            self.bytes -= len(evicted) * BYTES_PER_CHAR
        return entry


def _parse(query: str) -> DocumentNode:
    if len(query) > limits.MAX_QUERY_CHARS:
        raise limits.TooComplex(f"The query has {len(query)} characters; at most "
                                f"{limits.MAX_QUERY_CHARS}")  # fmt: skip
    try:
        return parse(query, max_tokens=limits.MAX_TOKENS)
    except RecursionError:  # the parser recurses once per nested selection or value
        raise limits.TooComplex("The query is nested too deeply") from None


def _contained(work: Callable):
    """`work()`, with any failure but a GraphQL error masked: strawberry would send the
    message of an exception raised here (before MaskErrors sees the result)."""
    try:
        return work()
    except GraphQLError:
        raise
    except Exception as error:
        log.error("checking a document failed: %s", type(error).__name__)
        raise GraphQLError("Internal error.", extensions={"code": "INTERNAL_ERROR"}) from None


class DocumentGuard(SchemaExtension):
    """Made per request (a factory in build_schema) around the schema's one cache."""

    def __init__(self, cache: DocumentCache):
        self.cache = cache
        self.entry: list | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query or ""
        self.entry = self.cache.get(query) or self.cache.put(
            query, _contained(lambda: _parse(query))
        )
        context.graphql_document = self.entry[0]
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        schema = context.schema._schema
        try:
            _contained(lambda: limits.check(schema, document, context.variables))
            _contained(lambda: inputs.check(document, context.variables))
        except GraphQLError as error:
            context.pre_execution_errors = [error]
            yield
            return
        if self.entry is None or self.entry[0] is not document:
            self.entry = [document, None]
        if self.entry[1] is None:
            rules = tuple(context.validation_rules)
            self.entry[1] = _contained(lambda: validate_document(schema, document, rules))
        context.pre_execution_errors = self.entry[1]
        yield
