"""The identifiers an export writes: our keys as HUD's 32-character IDs, or, for a researcher,
pseudonyms (POLICY.md: researchers receive pseudonymous client, household and enrollment IDs).

The one place an export makes a pseudonym: when `hmis.auth.pseudonym` changes how researchers'
pseudonyms are made, this is the only call to change.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

from hmis.auth.pseudonym import research_key


class Ids:
    """Plain IDs: a UUID as 32 hex digits (HUD IDs are strings of up to 32 characters)."""

    def person(self, client: Any) -> str:
        return client.id.hex

    def record(self, kind: str, value: uuid.UUID | str | None) -> str:
        if value is None:
            return ""
        return value.hex if isinstance(value, uuid.UUID) else str(value)


class ResearchIds(Ids):
    """A researcher's pseudonyms, keyed with the server's secret: stable from one export (and
    query) to the next, useless without the secret. PersonalID is the GraphQL `researchKey`
    (its first 32 hex digits, HUD's length); other IDs a keyed hash of kind and key."""

    def __init__(self, key: str):
        self.key = key

    def person(self, client: Any) -> str:
        return research_key(
            self.key,
            first_name=client.first_name,
            last_name=client.last_name,
            dob=client.dob,
            ssn=client.ssn,
        )[:32]

    def record(self, kind: str, value: uuid.UUID | str | None) -> str:
        if value is None:
            return ""
        material = f"{kind}|{value}".encode()
        return hmac.new(self.key.encode(), material, hashlib.sha256).hexdigest()[:32]
