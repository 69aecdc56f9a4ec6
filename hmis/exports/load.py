"""Writing checked HUD CSV files: in one transaction, through the one write path
(`hmis.db.history`: stamps with the importing writer, versions, audit), all or nothing.

Streamed: each file is read again a batch of rows at a time (`validate.rows`), and a batch
costs the same few statements whatever its size (which of its records exist, the new ones
inserted with their versions); the session lets go of a batch's rows once written, so memory
holds the check's key sets, not the CoC.

Idempotent: each source ID maps to the same row on every import (`reference.key`); a record
that exists is updated with the fields that differ from what the importer sees (nothing, for
the same file again), and a `DateDeleted` deletes it softly. New clients are created; no
look-alike people are merged. The import's transaction time is the records' time (what the
refusal rule compares): a record imported after a refusal is post-refusal data.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hmis.db import history, models
from hmis.db.history import Writer

from . import hud_csv as H
from .absent import delete_absent, find_absent, is_full_refresh
from .columns import names
from .problems import Problem, Problems
from .reference import key, load_reference, namespaced_key, utc
from .validate import Checked, Row, rows, source_of

CHUNK = 1000
START = 1  # DataCollectionStage: project start (Enrollment.csv DisablingCondition)


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    errors: Problems = field(default_factory=Problems)
    warnings: Problems = field(default_factory=Problems)


def _take(batches: Iterator[Row]) -> list[Row]:
    return list(islice(batches, CHUNK))


class Loader:
    def __init__(
        self, session: AsyncSession, writer: Writer, checked: Checked, *, may_administer: bool
    ):
        self.session = session
        self.writer = writer
        self.checked = checked
        self.fy2024 = checked.fy2024
        self.may_administer = may_administer
        # The lineage the file names (Export.csv); a service account's is its organization's
        # own: the keys of its rows never reach records another organization's import, an
        # administrator or the API made (docs/hud-csv.md, "A service account's namespace").
        self.named_source = source_of(checked)
        self.source = (
            self.named_source
            if may_administer
            else f"org:{writer.organization_id.hex}:{self.named_source}"
        )
        self.outcome = Outcome()
        self.project_orgs: dict[uuid.UUID, uuid.UUID] = {}

    def key(self, spec: H.HudFile, value: str | None) -> uuid.UUID | None:
        if value is None:
            return None
        if spec is H.PROJECT or spec is H.ORGANIZATION:
            # Reference data names existing projects (checked: the importer's organization's
            # own, for a service account), keyed as the file's lineage keys them.
            return key(self.named_source, spec.name, value)
        if self.may_administer:
            return key(self.source, spec.name, value)
        return namespaced_key(self.source, spec.name, value)  # never a raw UUID

    async def run(self) -> Outcome:
        self.project_orgs = await load_reference(self)
        if self.outcome.errors:
            return self.outcome
        # Every client this import writes, locked first (the write path's order: a refusal of
        # one of them is wholly before or after the import).
        absent = await find_absent(self) if is_full_refresh(self.checked) else []
        ids = {self.key(H.CLIENT, k) for k in self.checked.keys[H.CLIENT.name]}
        await history.begin_write(self.session, clients=ids | {c for _m, _r, c in absent})
        for spec in (H.CLIENT, H.ENROLLMENT, H.EXIT, *H.AGENCY_ONLY):
            batches = rows(self.checked, spec)
            # Parsed in a worker thread: the event loop serves other requests meanwhile.
            while batch := await asyncio.to_thread(_take, batches):
                await self._batch(spec, batch)
                # Let go of the batch's rows and versions: memory stays flat.
                self.session.expunge_all()
        self.outcome.deleted += await delete_absent(self, absent)
        return self.outcome

    # --- a batch of one file's rows --------------------------------------------------------

    async def _batch(self, spec: H.HudFile, batch: list[Row]) -> None:
        model = spec.model
        ids = [self.key(spec, r.values[spec.key]) for r in batch]
        existing = await self._existing(model, ids)
        owners = await self._owners(spec, batch)
        new, health = [], []
        for row, record_id in zip(batch, ids, strict=True):
            if spec is H.CLIENT and not self.may_administer and row.values.get("DateDeleted"):
                # A client is shared by every agency serving them: only an administrator
                # deletes one (deleteClient). The row is imported as if not deleted.
                self.outcome.warnings.append(
                    Problem(
                        spec.name,
                        row.line,
                        "DateDeleted",
                        "a service account does not delete clients (an administrator does): "
                        "ignored",
                    )  # fmt: skip
                )
                row = Row(row.line, {**row.values, "DateDeleted": None})
            values, owner = self._values(spec, row, record_id, owners)
            found = existing.get(record_id)
            if found is None:
                if row.values.get("DateDeleted") is None:  # else deleted before we had it
                    new.append(self._new(values, owner, record_id, row))
            else:
                await self._change(found, values, row)
            if spec is H.ENROLLMENT:
                health.append((row, record_id, values["client_id"], owner))
        await history.create_many(self.session, self.writer, model, new)
        self.outcome.created += len(new)
        if health:
            await self._disabling_conditions(health)

    async def _existing(self, model, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
        found = await self.session.scalars(select(model).where(model.id.in_(ids)))
        return {row.id: row for row in found}

    async def _owners(self, spec: H.HudFile, batch: list[Row]) -> dict[uuid.UUID, uuid.UUID]:
        """Each enrollment's organization, for the records that refer to one (one query)."""
        if spec is H.CLIENT or spec is H.ENROLLMENT:
            return {}
        wanted = {self.key(H.ENROLLMENT, r.values.get("EnrollmentID")) for r in batch} - {None}
        if not wanted:
            return {}
        e = models.Enrollment
        found = await self.session.execute(
            select(e.id, e.organization_id).where(e.id.in_(list(wanted)))
        )
        return dict(found.all())

    def _values(self, spec: H.HudFile, row: Row, record_id, owners) -> tuple[dict, Any]:
        model = spec.model
        values = {
            k: row.values.get(name)
            for name, k in names(model, self.fy2024).items()
            if name in row.values
        }
        owner = None
        if spec is H.CLIENT:
            if self.fy2024:
                values.pop("sex", None)  # FY2024 had no Sex: never inferred from gender
            return values, None
        values["client_id"] = self.key(H.CLIENT, row.values["PersonalID"])
        if spec is H.ENROLLMENT:
            values["project_id"] = self.key(H.PROJECT, row.values["ProjectID"])
            owner = self.project_orgs.get(values["project_id"])
        elif row.values.get("EnrollmentID") is not None:
            values["enrollment_id"] = self.key(H.ENROLLMENT, row.values["EnrollmentID"])
            owner = owners.get(values["enrollment_id"])
        return values, owner

    def _new(self, values: dict, owner, record_id: uuid.UUID, row: Row) -> dict:
        made = dict(values, id=record_id, **self._stamps(row, created=True))
        if owner is not None:
            made["organization_id"] = owner
        return made

    def _stamps(self, row: Row, *, created: bool) -> dict[str, Any]:
        """The source's own record of when and by whom (not client data: no version)."""
        stamps = {
            "hud_date_updated": utc(row.values.get("DateUpdated")),
            "hud_user_id": row.values.get("UserID"),
            "hud_source": self.source,
        }
        if created:
            stamps["hud_date_created"] = utc(row.values.get("DateCreated"))
        return stamps

    async def _change(self, existing, values: dict, row: Row) -> None:
        """An existing record: deleted, updated with what differs from the importer's view,
        or left alone."""
        if row.values.get("DateDeleted") is not None:
            if existing.date_deleted is None:
                await history.delete(self.session, self.writer, existing)
                self.outcome.deleted += 1
            return
        # An administrator's view is the current row (as_of.view): what equals it is what
        # `history.update` would leave alone, known without reading it again.
        administrator = self.writer.organization_id is None and existing.date_deleted is None
        if administrator and all(getattr(existing, k) == v for k, v in values.items()):
            self.outcome.unchanged += 1
            return
        stamps = self._stamps(row, created=False)  # kept on the row and its version
        if await history.update(self.session, self.writer, existing, values, hud=stamps):
            self.outcome.updated += 1
        else:
            self.outcome.unchanged += 1

    async def _disabling_conditions(self, enrollments: list) -> None:
        """Enrollment.csv DisablingCondition is our HEALTH record taken at project start."""
        ids = [uuid.uuid5(e, H.DISABLING_CONDITION) for _row, e, _c, _o in enrollments]
        existing = await self._existing(models.HealthRecord, ids)
        new = []
        for (row, enrollment_id, client_id, owner), health_id in zip(enrollments, ids, strict=True):
            condition = row.values.get(H.DISABLING_CONDITION)
            if condition is None:
                continue
            values = {
                "client_id": client_id,
                "enrollment_id": enrollment_id,
                "information_date": row.values["EntryDate"],
                "data_collection_stage": START,
                "disabling_condition": condition,
            }
            if health_id in existing:
                await self._change(existing[health_id], values, row)
            elif row.values.get("DateDeleted") is None:
                new.append(self._new(values, owner, health_id, row))
        await history.create_many(self.session, self.writer, models.HealthRecord, new)
        self.outcome.created += len(new)
