"""The access log's hash: SHA-256 of an event's canonical JSON, however the sealer renders it
(`hmis.db.audit_chain`), for any text, on both databases."""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from hmis.db import audit, audit_hash, models


def test_an_event_hash_is_sha256_of_its_canonical_json():
    """The chain's format, fixed (chains already written must keep verifying): SHA-256 of the
    hashed columns as compact JSON with sorted keys."""
    values = {
        "at": datetime(2026, 11, 24, 1, 2, 3, 45, tzinfo=UTC), "actor_subject": 'Zoë "Q" \\ x',
        "actor_client_id": None, "organization_id": uuid.uuid4(), "roles": ["b", "a"],
        "client_id": uuid.uuid4(), "action": "VIEW", "groups": [], "purpose": None,
        "request_id": "r1", "operation_name": "Ünï", "prev_hash": "f" * 64,
    }  # fmt: skip
    body = {c: audit_hash._canonical(values[c]) for c in audit.HASHED_COLUMNS}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert audit.event_hash(values) == hashlib.sha256(text.encode()).hexdigest()


def test_the_quick_rendering_hashes_any_text_as_the_canonical_json():
    """The sealer renders plain text without `json.dumps` (`_render`) and remembers values
    across a batch (`_cached_render`): for any text (quotes, backslashes, control and
    non-printable characters, non-ASCII) the hash is the canonical JSON's."""
    alphabet = ["a", "Z", " ", '"', "\\", "/", "\x00", "\n", "\x1f", "\x7f", "\x85", "\xa0",
                "\u00e9", "\u2028", "\ud7ff", "\U0001f600"]  # fmt: skip
    rng = random.Random(7)

    def text():
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))

    render = audit_hash.cached_render()
    for _ in range(3000):
        values = {
            "at": datetime(2026, 11, 24, 1, 2, 3, rng.randint(0, 999999), tzinfo=UTC),
            "actor_subject": text(), "actor_client_id": rng.choice([None, text()]),
            "organization_id": rng.choice([None, uuid.uuid4()]),
            "roles": [text() for _ in range(rng.randint(0, 3))], "client_id": uuid.uuid4(),
            "action": text(), "groups": [], "purpose": rng.choice([None, text()]),
            "request_id": text(), "operation_name": rng.choice([None, text()]),
            "prev_hash": "f" * 64,
        }  # fmt: skip
        body = {c: audit_hash._canonical(values[c]) for c in audit.HASHED_COLUMNS}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        expected = hashlib.sha256(canonical.encode()).hexdigest()
        assert audit.event_hash(values) == expected, values
        assert audit.event_hash(values, render) == expected, values


async def test_a_batch_of_any_text_chains_and_verifies(sessions):
    """Names, quotes and non-ASCII text in events chain on both databases as `verify`, in
    Python, computes them (on PostgreSQL the chain is made in SQL)."""
    event = {
        "actor_subject": 'Zoë "Q" \\ \n\t\U0001f600',
        "actor_client_id": "sv\u00e9",
        "roles": ["a", 'b "c"'],
        "organization_id": None,
        "client_id": uuid.uuid4(),
        "action": "VIEW",
        "groups": ["IDENTITY"],
        "purpose": None,
        "request_id": "r",
        "operation_name": "Ü",
    }
    for batch in (1, 3):
        async with sessions() as s, s.begin():
            await audit.append(s, [dict(event, client_id=uuid.uuid4()) for _ in range(batch)])
    async with sessions() as s:
        found = await audit.verify(s)
        stored = (await s.execute(select(models.AuditEvent.actor_subject,
                                         models.AuditEvent.roles).limit(1))).one()  # fmt: skip
    assert found.ok and found.checked == 4, found
    assert tuple(stored) == (event["actor_subject"], event["roles"])
