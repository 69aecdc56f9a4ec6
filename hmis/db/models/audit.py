"""The access log: append-only, hash-chained, and free of PPI values.

A request inserts its events and queues their ids in `audit_pending`; one sealer at a time
chains the committed ones shortly after (`hmis.db.audit.seal`), inserting each event's link
(`audit_links`) and taking it off the queue. No row of the log is ever updated: an UPDATE
rewrites a wide row and all its index entries, and leaves a dead tuple behind."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime

# The `prev_hash` of the first event: the chain starts from nothing.
GENESIS_HASH = "0" * 64


class AuditAction(enum.Enum):
    """What a request did with a client's data (the `action` column)."""

    VIEW = "view"  # returned by client/clients, a mutation's payload or myRecord
    SEARCH = "search"  # returned by searchClients (matched on identifiers)
    EXPORT = "export"  # a downloaded copy of the record
    CREATE = "create"
    UPDATE = "update"
    CORRECT = "correct"  # an approved correction
    DELETE = "delete"  # entered in error (soft delete)
    DISCLOSE = "disclose"  # given to a recipient outside the HMIS
    REFUSE = "refuse"  # a sharing refusal recorded
    REVOKE = "revoke"  # a sharing refusal revoked
    REQUEST_CORRECTION = "request_correction"  # a correction of the client's PPI requested
    DENY_CORRECTION = "deny_correction"  # a correction request denied (approved: CORRECT)
    COMPLAIN = "complain"  # a privacy complaint about the client filed
    HANDLE_COMPLAINT = "handle_complaint"  # such a complaint moved along by an administrator
    VIEW_LOG = "view_log"  # the access log's events about the client read (auditEvents)
    LINK_LOGIN = "link_login"  # a `client` login bound to the record
    CONSENT_RESEARCH = "consent_research"  # the client's research consent recorded
    MERGE = "merge"  # two records of one person merged (an event for each, one request)
    UNMERGE = "unmerge"  # such a merge undone
    AGGREGATE = "aggregate"  # de-identified counts over the CoC (no client, no values)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_client_at", "client_id", "at"),
        Index("ix_audit_events_org_at", "organization_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    actor_subject: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    actor_client_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Not a foreign key: the log outlives what it names and is never rewritten.
    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    roles: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    client_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    groups: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    purpose: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    operation_name: Mapped[str | None] = mapped_column(String(128), nullable=True)


class AuditLink(Base):
    """A sealed event's place in the chain (`seal` 1, 2, 3...) and its links: `prev_hash`, the
    hash before it, and `hash`, SHA-256 over the event's content and `prev_hash`. Written once
    by the sealer (on SQLite by the append), never changed."""

    __tablename__ = "audit_links"

    seal: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Not a foreign key: its check would lock each event's row (writing its tuple header, the
    # cost this table avoids), and `verify` finds a link whose event is missing anyway.
    event_id: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditPending(Base):
    """The queue of committed events not yet sealed (PostgreSQL): an append inserts its events'
    ids with them, the sealer deletes them as it links them."""

    __tablename__ = "audit_pending"

    event_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class AuditChain(Base):
    """One row: the chain's head (the last sealed event's hash and `seal`), and the time up to
    which every committed event is sealed. Only the sealer writes it."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    head_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    head_seal: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    sealed_through: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
