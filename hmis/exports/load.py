"""Writing checked HUD CSV files: in one transaction, through the one write path
(`hmis.db.history`: stamps with the importing writer, versions, audit), all or nothing.

Idempotent: each source ID maps to the same row on every import (`validate.key`); a record
that exists is updated with the fields that differ from what the importer sees (nothing, for
the same file again), and a `DateDeleted` deletes it softly. New clients are created; no
look-alike people are merged. The import's transaction time is the records' time (what the
refusal rule compares): a record imported after a refusal is post-refusal data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hmis.db import history, models
from hmis.db.history import Writer

from . import hud_csv as H
from .validate import Checked, Problem, Row, key, names

CHUNK = 2000
START = 1  # DataCollectionStage: project start (Enrollment.csv DisablingCondition)


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    errors: list[Problem] = field(default_factory=list)


class Loader:
    def __init__(
        self, session: AsyncSession, writer: Writer, checked: Checked, *, may_administer: bool
    ):
        self.session = session
        self.writer = writer
        self.checked = checked
        self.fy2024 = checked.fy2024
        self.may_administer = may_administer
        export = checked.files[H.EXPORT.name]
        values = export[0].values if export else {}
        self.source = str(values.get("SourceID") or values.get("SourceName") or "")
        self.outcome = Outcome()
        self.project_orgs: dict[uuid.UUID, uuid.UUID] = {}
        self.existing: set[uuid.UUID] = set()  # of the records this import writes
        self.written = 0

    def key(self, spec: H.HudFile, value: str | None) -> uuid.UUID | None:
        return None if value is None else key(self.source, spec.name, value)

    async def run(self) -> Outcome:
        await self._reference()
        if self.outcome.errors:
            return self.outcome
        f = self.checked.files
        # Every client this import writes, locked first (the write path's order: a refusal of
        # one of them is wholly before or after the import).
        ids = [self.key(H.CLIENT, r.values["PersonalID"]) for r in f[H.CLIENT.name]]
        await history.begin_write(self.session, clients=ids)
        await self._find_existing()
        clients = {}
        for row in f[H.CLIENT.name]:
            clients[row.values["PersonalID"]] = await self._client(row)
        enrollments: dict[str, tuple[uuid.UUID, uuid.UUID | None]] = {}
        for row in f[H.ENROLLMENT.name]:
            enrollments[row.values["EnrollmentID"]] = await self._enrollment(row, clients)
        for row in f[H.EXIT.name]:
            await self._record(H.EXIT, row, clients, enrollments)
        for spec in H.AGENCY_ONLY:
            for row in f[spec.name]:
                await self._record(spec, row, clients, enrollments)
        return self.outcome

    async def _find_existing(self) -> None:
        """Which of the records the files name exist already: one query per few thousand, so
        a new record is created without looking it up first."""
        f = self.checked.files
        for spec in (H.CLIENT, H.ENROLLMENT, H.EXIT, *H.AGENCY_ONLY):
            keys = [self.key(spec, r.values[spec.key]) for r in f[spec.name]]
            if spec is H.ENROLLMENT:  # and the HEALTH records of their DisablingCondition
                health = [uuid.uuid5(k, H.DISABLING_CONDITION) for k in keys]
                await self._existing_among(models.HealthRecord, health)
            await self._existing_among(spec.model, keys)

    async def _existing_among(self, model, keys: list[uuid.UUID]) -> None:
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            found = await self.session.scalars(select(model.id).where(model.id.in_(chunk)))
            self.existing.update(found)

    # --- organizations and projects (reference data) ---------------------------------------

    async def _reference(self) -> None:
        f = self.checked.files
        orgs = {
            self.key(H.ORGANIZATION, r.values["OrganizationID"]): r for r in f[H.ORGANIZATION.name]
        }
        existing = set(
            await self.session.scalars(
                select(models.Organization.id).where(models.Organization.id.in_(list(orgs)))
            )
        )
        used = {r.values.get("ProjectID") for r in f[H.ENROLLMENT.name]}
        for row in f[H.PROJECT.name]:
            project_id = self.key(H.PROJECT, row.values["ProjectID"])
            org_id = self.key(H.ORGANIZATION, row.values["OrganizationID"])
            self.project_orgs[project_id] = org_id
            if not self.may_administer:
                # A service account imports its own organization's projects only.
                if row.values["ProjectID"] in used and org_id != self.writer.organization_id:
                    self.outcome.errors.append(
                        Problem(
                            H.PROJECT.name,
                            row.line,
                            "OrganizationID",
                            "not your organization's project",
                        )
                    )
                continue
            if org_id not in existing:
                await self._add(models.Organization, H.ORGANIZATION, orgs[org_id], org_id)
                existing.add(org_id)
            if await self.session.get(models.Project, project_id) is None:
                await self._add(models.Project, H.PROJECT, row, project_id, organization_id=org_id)
        if not self.may_administer:
            known = set(
                await self.session.scalars(
                    select(models.Project.id).where(models.Project.id.in_(list(self.project_orgs)))
                )
            )
            for row in f[H.ENROLLMENT.name]:
                project_id = self.key(H.PROJECT, row.values["ProjectID"])
                if (
                    project_id not in known
                    and self.project_orgs.get(project_id) == self.writer.organization_id
                ):
                    self.outcome.errors.append(
                        Problem(
                            H.ENROLLMENT.name,
                            row.line,
                            "ProjectID",
                            "no such project in the HMIS (an administrator adds projects)",
                        )
                    )

    async def _add(self, model, spec: H.HudFile, row: Row, row_id, **extra) -> None:
        values = {k: row.values.get(name) for name, k in names(model).items()}
        values = {
            k: bool(v) if k in ("victim_service_provider", "continuum_project") else v
            for k, v in values.items()
            if v is not None
        }
        stamps = {
            "date_created": _utc(row.values.get("DateCreated")),
            "date_updated": _utc(row.values.get("DateUpdated")),
        }
        values.update({k: v for k, v in stamps.items() if v is not None})
        self.session.add(model(id=row_id, **values, **extra))
        await self.session.flush()

    # --- client data ---------------------------------------------------------------------

    def _values(self, model, row: Row) -> dict[str, Any]:
        return {
            k: row.values.get(name)
            for name, k in names(model, self.fy2024).items()
            if name in row.values
        }

    async def _client(self, row: Row) -> uuid.UUID:
        client_id = self.key(H.CLIENT, row.values["PersonalID"])
        values = self._values(models.Client, row)
        if self.fy2024:
            values.pop("sex", None)  # FY2024 had no Sex: never inferred from gender
        await self._write(models.Client, client_id, values, row)
        return client_id

    async def _enrollment(self, row: Row, clients) -> tuple[uuid.UUID, uuid.UUID]:
        enrollment_id = self.key(H.ENROLLMENT, row.values["EnrollmentID"])
        project_id = self.key(H.PROJECT, row.values["ProjectID"])
        owner = self.project_orgs.get(project_id) or await self.session.scalar(
            select(models.Project.organization_id).where(models.Project.id == project_id)
        )
        values = self._values(models.Enrollment, row)
        values.update(client_id=clients[row.values["PersonalID"]], project_id=project_id)
        await self._write(models.Enrollment, enrollment_id, values, row, owner=owner)
        condition = row.values.get(H.DISABLING_CONDITION)
        if condition is not None:
            health_id = uuid.uuid5(enrollment_id, H.DISABLING_CONDITION)
            await self._write(
                models.HealthRecord,
                health_id,
                {
                    "client_id": values["client_id"],
                    "enrollment_id": enrollment_id,
                    "information_date": row.values["EntryDate"],
                    "data_collection_stage": START,
                    "disabling_condition": condition,
                },
                row,
                owner=owner,
            )
        return enrollment_id, owner

    async def _record(self, spec: H.HudFile, row: Row, clients, enrollments) -> None:
        record_id = self.key(spec, row.values[spec.key])
        values = self._values(spec.model, row)
        values["client_id"] = clients[row.values["PersonalID"]]
        owner = None
        if row.values.get("EnrollmentID") is not None:
            values["enrollment_id"], owner = enrollments[row.values["EnrollmentID"]]
        await self._write(spec.model, record_id, values, row, owner=owner)

    async def _write(
        self, model, record_id: uuid.UUID, values: dict, row: Row, *, owner: uuid.UUID | None = None
    ) -> None:
        """Create, update or delete one record through the write path; the source's HUD
        stamps are kept beside ours (`ClientData.hud_*`)."""
        deleted = row.values.get("DateDeleted") is not None
        await self._release()
        existing = None
        if record_id in self.existing:
            existing = await self.session.get(model, record_id)
        if existing is None:
            if deleted:
                return  # deleted at the source before we ever had it
            if owner is not None:
                values["organization_id"] = owner
            made = await history.create(self.session, self.writer, model, id=record_id, **values)
            _keep_stamps(made, row, created=True)
            self.outcome.created += 1
        elif deleted:
            if existing.date_deleted is None:
                await history.delete(self.session, self.writer, existing)
                self.outcome.deleted += 1
        elif await history.update(self.session, self.writer, existing, values):
            _keep_stamps(existing, row, created=False)
            self.outcome.updated += 1
        else:
            self.outcome.unchanged += 1

    async def _release(self) -> None:
        """Let go of the rows written so far now and then: memory stays bounded by the
        files, not by the rows and versions of a whole CoC."""
        self.written += 1
        if self.written % CHUNK == 0:
            await self.session.flush()
            self.session.expunge_all()


def _keep_stamps(record, row: Row, *, created: bool) -> None:
    """The source's own record of when and by whom (not client data: no version)."""
    if created:
        record.hud_date_created = _utc(row.values.get("DateCreated"))
    record.hud_date_updated = _utc(row.values.get("DateUpdated"))
    record.hud_user_id = row.values.get("UserID")


def _utc(value):
    """HUD timestamps carry no zone; ours are UTC (and exports write UTC)."""
    return value.replace(tzinfo=UTC) if value is not None else None
