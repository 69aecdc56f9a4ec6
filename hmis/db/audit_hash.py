"""The access log's hash of one event: SHA-256 over a canonical JSON of its content and
`prev_hash` (compact, sorted keys, `ensure_ascii` off), rendered quickly by the sealer and the
same byte for byte (`tests/test_audit_hash.py`). Chains already written keep verifying: the
format is fixed."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

HASHED_COLUMNS = (
    "at",
    "actor_subject",
    "actor_client_id",
    "organization_id",
    "roles",
    "client_id",
    "action",
    "groups",
    "purpose",
    "request_id",
    "operation_name",
    "prev_hash",
)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _render(value: Any) -> str:
    """One value as the canonical JSON renders it."""
    if isinstance(value, uuid.UUID):  # most of a batch's values: rendered without json
        return f'"{value}"'
    # Text that JSON (with `ensure_ascii` off) writes as it is: no quote, backslash or
    # control character (`isprintable` is false for those, and for a few more, which then
    # take the general path and come out the same).
    if isinstance(value, str) and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return json.dumps(_canonical(value), ensure_ascii=False, separators=(",", ":"))


# The hashed columns in the canonical JSON's order (sorted keys).
ORDERED = tuple(sorted(HASHED_COLUMNS))
# `hash_ordered` spells them out (a format string of the canonical JSON: compact,
# `ensure_ascii` off), a third quicker than joining them; this keeps the two the same.
_SPELLED = ("action", "actor_client_id", "actor_subject", "at", "client_id", "groups",
            "operation_name", "organization_id", "prev_hash", "purpose", "request_id",
            "roles")  # fmt: skip
if _SPELLED != ORDERED:
    raise RuntimeError("hash_ordered must spell out the hashed columns in sorted order")


def hash_ordered(values, render=_render) -> str:
    """The hash of one event from its values in `ORDERED` order (`prev_hash` included)."""
    (action, actor_client_id, actor_subject, at, client_id, groups, operation_name,
     organization_id, prev_hash, purpose, request_id, roles) = values  # fmt: skip
    return hashlib.sha256(
        (
            f'{{"action":{render(action)},"actor_client_id":{render(actor_client_id)},'
            f'"actor_subject":{render(actor_subject)},"at":{render(at)},'
            f'"client_id":{render(client_id)},"groups":{render(groups)},'
            f'"operation_name":{render(operation_name)},'
            f'"organization_id":{render(organization_id)},"prev_hash":{render(prev_hash)},'
            f'"purpose":{render(purpose)},"request_id":{render(request_id)},'
            f'"roles":{render(roles)}}}'
        ).encode()
    ).hexdigest()


def event_hash(values: dict[str, Any], render=_render) -> str:
    """The hash of one event from its column values (`prev_hash` included)."""
    return hash_ordered([values[column] for column in ORDERED], render)


def cached_render():
    """`_render` remembering its results: the events of a batch share most values."""
    rendered: dict[Any, str] = {}

    def render(value: Any) -> str:
        key = tuple(value) if value.__class__ is list else value
        text = rendered.get(key)  # a miss (an event's own id) raises nothing
        if text is None:
            text = rendered[key] = _render(value)
        return text

    return render
