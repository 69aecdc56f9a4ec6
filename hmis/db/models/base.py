"""Declarative base, column helpers and the stamp columns every piece of client data carries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any, ClassVar

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from hmis.groups import ElementGroup

# Constraint names are fixed so that Alembic builds the same schema on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# An integer primary key that autoincrements on SQLite too (SQLite only does it for INTEGER).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both databases (SQLite would otherwise drop the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect, coltype):
        # asyncpg hands back aware UTC datetimes already (whatever the session's time zone):
        # no Python call per value, and a page reads thousands of these stamps.
        if dialect.driver == "asyncpg":
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def col(
    *args: Any,
    hud: str | None = None,
    fy2024: str | None = None,
    group: ElementGroup | None = None,
    **kwargs: Any,
):
    """A mapped column that records its HUD FY2026 CSV column name, its FY2024 name where that
    differs (FY2024 files are still imported), and its element group."""
    info = dict(kwargs.pop("info", {}))
    if hud:
        info["hud"] = hud
    if fy2024:
        info["fy2024"] = fy2024
    if group:
        info["group"] = group
    if not kwargs.get("primary_key"):
        kwargs.setdefault("nullable", True)
    return mapped_column(*args, info=info, **kwargs)


def fk(target: str, *, nullable: bool = False, index: bool = True, hud: str | None = None):
    return col(ForeignKey(target), nullable=nullable, index=index, hud=hud)


class ClientData:
    """Stamp columns of every table of client data. Written only by `hmis.db.history`.

    `organization_id` is the organization that entered the record (its owner); the `updated_*`
    columns stamp the last change. Each write also appends a `RecordVersion` with the fields it
    changed, so any field can be read back as it stood at a given time.
    """

    # The element group of the record as a whole (a Client row spans two; see Client).
    __group__: ClassVar[ElementGroup | None] = None

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)

    @declared_attr
    def organization_id(cls) -> Mapped[uuid.UUID | None]:
        return mapped_column(ForeignKey("organizations.id"), index=True, nullable=True)

    date_created: Mapped[datetime] = col(UTCDateTime(), nullable=False, hud="DateCreated")
    created_by: Mapped[str] = col(String(255), nullable=False, hud="UserID")
    date_updated: Mapped[datetime] = col(UTCDateTime(), nullable=False, hud="DateUpdated")
    updated_by: Mapped[str] = col(String(255), nullable=False)

    @declared_attr
    def updated_org_id(cls) -> Mapped[uuid.UUID | None]:
        return mapped_column(ForeignKey("organizations.id"), nullable=True)

    date_deleted: Mapped[datetime | None] = col(UTCDateTime(), hud="DateDeleted")
    # Optimistic lock: the number of versions written; a stale `version` is rejected.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # Of a record imported from HUD CSV: the source's DateCreated, UserID and DateUpdated
    # (this one until the record is written here again), kept for later exports. Our own
    # stamps above stay what every rule compares (a record imported after a refusal is
    # post-refusal data).
    hud_date_created: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    hud_date_updated: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    hud_user_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The export lineage it was imported from (Export.csv SourceID, else SourceName): a full
    # refresh of that source deletes what it no longer holds (docs/hud-csv.md).
    hud_source: Mapped[str | None] = mapped_column(String(350), nullable=True)

    STAMP_COLUMNS: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "organization_id",
            "date_created",
            "created_by",
            "date_updated",
            "updated_by",
            "updated_org_id",
            "date_deleted",
            "version",
            "hud_date_created",
            "hud_date_updated",
            "hud_user_id",
            "hud_source",
        }
    )

    @property
    def __model__(self) -> type[ClientData]:
        """The model this is a row of (a `hmis.db.records.Record` names its model alike)."""
        return type(self)

    @classmethod
    def data_columns(cls) -> list[str]:
        """The columns a version records: everything but the stamps and keys."""
        return list(_data_columns(cls))

    @classmethod
    def group_columns(cls, group: ElementGroup) -> tuple[str, ...]:
        """The data columns of one element group (every data column belongs to one)."""
        return _group_columns(cls, group)

    @classmethod
    def group_of(cls, column: str) -> ElementGroup | None:
        table = cls.__table__  # type: ignore[attr-defined]
        return table.columns[column].info.get("group", cls.__group__)


# Cached: asked for every record a page presents; the tables do not change at runtime.
@cache
def _data_columns(model: type[ClientData]) -> tuple[str, ...]:
    table = model.__table__  # type: ignore[attr-defined]
    return tuple(c.key for c in table.columns if c.key not in model.STAMP_COLUMNS)


@cache
def _group_columns(model: type[ClientData], group: ElementGroup) -> tuple[str, ...]:
    return tuple(c for c in _data_columns(model) if model.group_of(c) is group)
