"""GraphQL over HTTP (the GraphQL Foundation's draft specification): which media type a reply
has, and which status a GraphQL response takes under it.

- `application/graphql-response+json` when the client names it (at a quality no lower than
  `application/json`'s); `application/json` when it names only that, only wildcards (`*/*`,
  `application/*`) or sends no Accept header (what clients written before the draft expect);
  neither acceptable: 406.
- Under `application/graphql-response+json` a request that never reached execution (the
  document does not parse or validate, a variable cannot be coerced) is answered 400 without a
  `data` entry; an execution result is 200 (401/403 when a guard refused, as under JSON).
- Under `application/json` every well-formed request is answered 200, as before the draft.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import GraphQLError

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
CANDIDATES = (GRAPHQL_RESPONSE, JSON)


class NotAcceptable(Exception):
    """The Accept header admits neither JSON media type."""


def media_ranges(accept: str) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their quality (RFC 9110, 12.5.1)."""
    ranges = []
    for part in accept.split(","):
        kind, *params = (piece.strip() for piece in part.split(";"))
        if not kind:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((kind.lower(), quality))
    return ranges


def _quality(media_type: str, ranges: list[tuple[str, float]]) -> tuple[float, bool]:
    """The quality the most specific matching range gives `media_type`, and whether the
    client named it (rather than a wildcard)."""
    family = media_type.split("/")[0] + "/*"
    for candidate, named in ((media_type, True), (family, False), ("*/*", False)):
        qualities = [q for kind, q in ranges if kind == candidate]
        if qualities:
            return max(qualities), named
    return 0.0, False


def negotiate(accept: str | None) -> str:
    """The media type of the reply to a GraphQL request with this Accept header."""
    if not accept or not accept.strip():
        return JSON
    ranges = media_ranges(accept)
    modern, modern_named = _quality(GRAPHQL_RESPONSE, ranges)
    legacy, _ = _quality(JSON, ranges)
    if modern > 0 and modern_named and modern >= legacy:
        return GRAPHQL_RESPONSE
    if legacy > 0:
        return JSON
    if modern > 0:
        return GRAPHQL_RESPONSE
    raise NotAcceptable(
        f"None of the media types in the Accept header can be produced: send Accept: "
        f"{GRAPHQL_RESPONSE} or {JSON}"
    )


def is_request_error(data: object, errors: Iterable[GraphQLError]) -> bool:
    """Whether a result is a request error: no data, and no error raised while executing a
    field (those have a path)."""
    errors = list(errors)
    return data is None and bool(errors) and all(error.path is None for error in errors)
