"""Keyed hashes with the server's secret (`HMIS_PSEUDONYM_KEY`): stable, and without the secret
neither reversible nor recomputable from a guess.

- Research keys: a keyed hash of a client's normalized identifiers. Researchers may match
  records on identifiers but never receive them (POLICY.md, Research).
- Digests of text that must not be kept in clear (`keyed_digest`), e.g. a GraphQL document in
  the access log: a plain hash of a document would let whoever reads the log test guesses of
  the names or numbers written in it.
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


def keyed_digest(key: str, purpose: str, text: str, *, length: int = 32) -> str:
    """HMAC-SHA256 of `text` under a key of its own per `purpose` (digests made for one use
    never match those of another), as `length` hex digits."""
    subkey = hmac.new(key.encode(), purpose.encode(), hashlib.sha256).digest()
    return hmac.new(subkey, text.encode(), hashlib.sha256).hexdigest()[:length]
