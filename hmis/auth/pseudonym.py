"""Keyed hashes with the server's secret (`HMIS_PSEUDONYM_KEY`): stable, and without the secret
neither reversible nor recomputable from a guess.

- Research keys: a keyed hash of a client's normalized identifiers. Researchers may match
  records on identifiers but never receive them (POLICY.md, Research).
- Research identifiers (`ResearchIdentifiers`): the IDs a researcher receives, per agreement.
- Digests of text that must not be kept in clear (`keyed_digest`), e.g. a GraphQL document in
  the access log: a plain hash of a document would let whoever reads the log test guesses of
  the names or numbers written in it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


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
    return hmac.new(_subkey(key, purpose), text.encode(), hashlib.sha256).hexdigest()[:length]


@functools.lru_cache(maxsize=256)
def _subkey(key: str, purpose: str) -> bytes:
    # A researcher's page asks for the same few subkeys hundreds of times.
    return hmac.new(key.encode(), purpose.encode(), hashlib.sha256).digest()


# Columns that name no person served (public partner list, projects): left as they are.
PUBLIC_IDS = frozenset({"organization_id", "project_id"})


@dataclass(frozen=True)
class ResearchIdentifiers:
    """The identifiers a researcher receives under one research agreement (POLICY.md,
    Research): every ID of a client, enrollment, household or other record is keyed under the
    agreement, so the same record keeps one pseudonym for the whole agreement, and another
    agreement (or anyone without the secret) can link it neither to the real ID nor to the
    pseudonyms of any other agreement.

    A client's pseudonym is its ID enciphered (one AES block, and a tag), so the researcher
    can look the client up with it (`client(id:)`) and page after it; other IDs are keyed
    hashes (nothing is looked up by them)."""

    key: str = field(repr=False)
    agreement_id: uuid.UUID

    def identifier(self, kind: str, value: object, *, identified: bool = False) -> str:
        """The pseudonym of `value`, an ID of `kind` (a table name, or `households`).

        `identified`: the ID is on a record shown with the client's identity (research
        consent). Such IDs are pseudonyms of another space: a household ID must not link a
        de-identified child to an identified, consenting parent. (A client's own ID is on no
        other client's record: it has one space.)"""
        if kind == "clients":
            return self.client(value)
        space = f"research-id:{self.agreement_id}:{kind}" + (":identified" if identified else "")
        return keyed_digest(self.key, space, str(value))

    def column(self, table: str, column: str, value: object, *, identified: bool) -> object:
        """A presented column's value: IDs (`id`, `<entity>_id`) as pseudonyms, with the same
        kind whether the record's own `id` or a reference to it (`enrollment_id`)."""
        if value is None or column in PUBLIC_IDS:
            return value
        if column == "id":
            return self.identifier(table, value, identified=identified)
        if column.endswith("_id"):
            kind = column.removesuffix("_id") + "s"
            return self.identifier(kind, value, identified=identified)
        return value

    def research_key(self, **identifiers) -> str:
        """`research_key` under this agreement's own key."""
        subkey = keyed_digest(self.key, "research-key", str(self.agreement_id), length=64)
        return research_key(subkey, **identifiers)

    def _cipher(self) -> Cipher:
        secret = keyed_digest(self.key, "research-client", str(self.agreement_id))
        return Cipher(algorithms.AES(bytes.fromhex(secret)), modes.ECB())

    def _tag(self, block: str) -> str:
        return keyed_digest(self.key, f"research-client-tag:{self.agreement_id}", block, length=16)

    def client(self, client_id: object) -> str:
        """A client's pseudonym: the ID enciphered under the agreement, and a tag that tells
        a pseudonym of this agreement from anything else."""
        encryptor = self._cipher().encryptor()
        real = client_id if isinstance(client_id, uuid.UUID) else uuid.UUID(str(client_id))
        block = (encryptor.update(real.bytes) + encryptor.finalize()).hex()
        return block + self._tag(block)

    def ordered(self, client_ids: Iterable[uuid.UUID]) -> list[bytes]:
        """The clients' IDs enciphered as in their pseudonyms (the first 16 bytes), sorted:
        the order of the agreement's pseudonyms, which no other agreement shares (the order
        of real IDs is everyone's: two lists in it would pair their pseudonyms row by row).
        `clients_of` turns them back."""
        encryptor = self._cipher().encryptor()  # ECB: the blocks of one call are independent
        data = encryptor.update(b"".join(i.bytes for i in client_ids)) + encryptor.finalize()
        return sorted(data[i : i + 16] for i in range(0, len(data), 16))

    def clients_of(self, blocks: Iterable[bytes]) -> list[uuid.UUID]:
        """The clients of enciphered IDs (`ordered`), in their order."""
        decryptor = self._cipher().decryptor()
        data = decryptor.update(b"".join(blocks)) + decryptor.finalize()
        return [uuid.UUID(bytes=data[i : i + 16]) for i in range(0, len(data), 16)]

    def client_of(self, pseudonym: str) -> uuid.UUID | None:
        """The client a pseudonym of this agreement stands for, else None (a real ID, another
        agreement's pseudonym)."""
        block, tag = pseudonym[:32], pseudonym[32:]
        if len(block) != 32 or not hmac.compare_digest(tag.encode(), self._tag(block).encode()):
            return None
        decryptor = self._cipher().decryptor()
        return uuid.UUID(bytes=decryptor.update(bytes.fromhex(block)) + decryptor.finalize())
