"""Research keys: a keyed hash of a client's normalized identifiers.

Researchers may match records on identifiers but never receive them (POLICY.md, Research).
HMAC-SHA256 with a server secret: stable across queries, and without the secret neither
reversible nor recomputable from a guessed name, DOB or SSN.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from datetime import date


def _norm(value: str | None) -> str:
    text = unicodedata.normalize("NFKD", value or "")
    return "".join(ch for ch in text.lower() if ch.isalnum())


def research_key(
    key: str, *, first_name: str | None, last_name: str | None, dob: date | None, ssn: str | None
) -> str:
    material = "|".join(
        [_norm(first_name), _norm(last_name), dob.isoformat() if dob else "", _norm(ssn)]
    )
    return hmac.new(key.encode(), material.encode(), hashlib.sha256).hexdigest()
