"""The HUD CSV export: every caller gets what the GraphQL API shows them, through the same
decisions (`Visibility.decide` per batch of clients, `Visibility.present` per record); there
is no second implementation of the policy here.

Clients are read in batches in ID order, each batch with a constant number of statements
(the page, the decision's facts, the as-of states of refused clients, one per related table,
the audit append). Rows go to temporary files (`files.CsvFiles`) and the batch's audit
events (one per client, action EXPORT, the groups it carried) are committed before the next
batch: memory stays flat, and nothing leaves before it is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from sqlalchemy import select

from hmis.auth.principal import Role
from hmis.context import RequestContext
from hmis.db import models
from hmis.db.models.audit import AuditAction
from hmis.groups import ElementGroup as G
from hmis.resolvers.audit import record_reads
from hmis.resolvers.clients import EnrollmentFilter, clients_listed, clients_page, research_order
from hmis.resolvers.visibility import Visibility

from . import hud_csv as H
from . import reads
from .files import CsvFiles
from .ids import Ids, ResearchIds

BATCH = 1000
# The UserID of every row of a researcher's export, and its User.csv's one row.
RESEARCH_USER = uuid.uuid5(uuid.NAMESPACE_URL, "hmis-research-export").hex
START = 1  # HUD DataCollectionStage: project start (Enrollment.csv DisablingCondition)


@dataclass(frozen=True)
class Scope:
    """What the caller asked for: the operating period and the project/organization filters."""

    start: date | None = None
    end: date | None = None
    project_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None

    def covers(self, entry: date, exit: date | None) -> bool:
        """An enrollment (as the caller sees it) overlaps the period."""
        return (self.end is None or entry <= self.end) and (
            self.start is None or exit is None or exit >= self.start
        )

    @property
    def dated(self) -> bool:
        return self.start is not None or self.end is not None


def _software_version() -> str:
    try:
        return version("hmis")
    except PackageNotFoundError:
        return "dev"


class Export:
    def __init__(self, context: RequestContext, scope: Scope, *, batch: int = BATCH):
        self.context = context
        self.scope = scope
        self.batch = batch
        self.export_id = uuid.uuid4().hex
        # Export.csv ExportDate, and every stamp of a researcher's rows (`_stamped`).
        self.started = datetime.now(UTC).replace(microsecond=0)
        self.researcher = Visibility.of(context).role is Role.RESEARCHER
        self.ids = Ids()  # a researcher's, once their agreement is known (`check`)
        self.clients = 0
        self.first_entry: date | None = None  # of the Enrollment.csv rows written
        self.implementation_id: str | None = None
        # With a project or organization filter: the projects exported (Project.csv), the
        # only ones whose enrollments are written (every ProjectID then refers to a row).
        self.projects: set[uuid.UUID] | None = None

    async def check(self) -> None:
        """Refuse callers who may never receive rows about persons (403), before any work."""
        visibility = Visibility.of(self.context)
        await visibility.require_row_access()
        if self.researcher:
            self.ids = ResearchIds(visibility.research_ids)

    async def run(self, files: CsvFiles) -> int:
        """Write every file; returns the number of clients exported."""
        await self.check()  # 403 before any work
        self.context.access_log.exporting = True
        await self._reference(files)
        async for page in self._pages():
            await self._batch(files, page)
            await record_reads(self.context)  # this batch's events, committed
        self.context.cache.clear()
        files.write(H.EXPORT, self._export_row())
        return self.clients

    async def _pages(self):
        """The clients in batches, each decided by a fresh Visibility (flat memory): in ID
        order, or for a researcher in the order of their pseudonyms (`research_order`: the
        IDs of every client exported are held for it)."""
        if self.researcher:
            order = await research_order(self.context, self._filter())
            for start in range(0, len(order), self.batch):
                await self._fresh()
                yield await clients_listed(self.context, order[start : start + self.batch])
            return
        after = None
        while True:
            await self._fresh()
            page, _ = await clients_page(
                self.context, first=self.batch, after=after, filter=self._filter(), count=False
            )
            if page:
                yield page
            if len(page) < self.batch:
                return
            after = page[-1][0].id

    async def _fresh(self) -> None:
        self.context.cache.clear()  # a fresh Visibility and loaders per batch: flat memory
        await self.check()  # the fresh Visibility knows the researcher's agreement again

    def _filter(self) -> EnrollmentFilter | None:
        if self.scope.project_id or self.scope.organization_id:
            return EnrollmentFilter(self.scope.project_id, self.scope.organization_id)
        return None

    # --- reference data -------------------------------------------------------------------

    async def _reference(self, files: CsvFiles) -> None:
        o, p, s = models.Organization, models.Project, models.StaffUser
        projects = select(p).where(p.date_deleted.is_(None)).order_by(p.id)
        if self.scope.project_id:
            projects = projects.where(p.id == self.scope.project_id)
        if self.scope.organization_id:
            projects = projects.where(p.organization_id == self.scope.organization_id)
        async with self.context.reading() as session:
            organizations = list(
                await session.scalars(select(o).where(o.date_deleted.is_(None)).order_by(o.id))
            )
            project_rows = list(await session.scalars(projects))
            staff = list(
                await session.scalars(select(s).where(s.date_deleted.is_(None)).order_by(s.id))
            )
            u = models.HudUser
            hud_users = list(
                await session.scalars(
                    select(u).where(u.date_deleted.is_(None)).order_by(u.source, u.user_id)
                )
            )
            self.implementation_id = await session.scalar(
                select(models.Installation.implementation_id)
            )
        if self._filter():
            self.projects = {row.id for row in project_rows}
            wanted = {row.organization_id for row in project_rows}
            organizations = [row for row in organizations if row.id in wanted]
        for row in organizations:
            files.write(H.ORGANIZATION, self._reference_row(H.ORGANIZATION, row))
        for row in project_rows:
            files.write(H.PROJECT, self._reference_row(H.PROJECT, row))
        if self.researcher:  # the one user a researcher's rows name (`_stamped`)
            files.write(H.USER, self._research_stamps({"UserID": RESEARCH_USER}))
            return
        written = set()
        for row in staff:
            out = self._user_row(row)
            written.add(out["UserID"])
            files.write(H.USER, out)
        for row in hud_users:  # the users of imported sources, under their source UserID
            if row.user_id not in written:
                written.add(row.user_id)
                files.write(H.USER, self._hud_user_row(row))

    def _export_row(self) -> dict[str, str]:
        """Written last: with no `from`, ExportStartDate is the earliest EntryDate of the
        Enrollment.csv rows this export holds (as the caller sees them), never of records
        the caller does not see."""
        now = self.started
        start = self.scope.start or self.first_entry or now.date()
        return {
            "ExportID": self.export_id,
            "SourceType": "1",  # HUD 1.4: Continuum of Care and HMIS lead
            "SourceName": "HMIS privacy-enforcing API",
            "ExportDate": H.text(now),
            "ExportStartDate": H.text(start),
            "ExportEndDate": H.text(self.scope.end or now.date()),
            "SoftwareName": "hmis",
            "SoftwareVersion": _software_version(),
            "CSVVersion": H.CSV_VERSION,
            "ExportPeriodType": "3" if self.scope.dated else "4",  # reporting period / other
            # A full refresh (2) only when this export holds the whole source: unfiltered,
            # undated, by an administrator. Else other (3): an importer must not delete what
            # such an export leaves out (docs/hud-csv.md).
            "ExportDirective": "2" if self._whole() else "3",
            "HashStatus": "1",  # unhashed
            # This database (HUD: "unique to every source database"): with SourceName, the
            # lineage an importer recognizes a later export of the same source by.
            "ImplementationID": self.implementation_id or "",
        }

    def _whole(self) -> bool:
        role = Visibility.of(self.context).role
        return role is Role.HMIS_ADMIN and not self.scope.dated and self._filter() is None

    def _reference_row(self, spec: H.HudFile, row: Any) -> dict[str, str]:
        out = {hud: H.text(getattr(row, key)) for hud, key in H.data_columns(spec.model).items()}
        out[spec.key] = row.id.hex
        if spec is H.PROJECT:
            out["OrganizationID"] = row.organization_id.hex
        out.update(
            DateCreated=H.text(row.date_created),
            DateUpdated=H.text(row.date_updated),
            ExportID=self.export_id,
        )
        return out

    def _user_row(self, row: models.StaffUser) -> dict[str, str]:
        out = {
            "UserID": user_id(row.subject) if row.subject else row.id.hex,
            "ExportID": self.export_id,
            "DateCreated": H.text(row.date_created),
            "DateUpdated": H.text(row.date_updated),
        }
        for hud, key in H.data_columns(models.StaffUser).items():
            out[hud] = H.text(getattr(row, key))
        out["UserPhone"] = _digits(row.phone, 10)
        out["UserExtension"] = _digits(row.extension, 5)
        return out

    def _hud_user_row(self, row: models.HudUser) -> dict[str, str]:
        out = {
            "UserID": row.user_id,
            "ExportID": self.export_id,
            "DateCreated": H.text(row.hud_date_created),
            "DateUpdated": H.text(row.hud_date_updated),
        }
        for hud, key in H.data_columns(models.HudUser).items():
            out[hud] = H.text(getattr(row, key))
        return out

    # --- a batch of clients ------------------------------------------------------------------

    async def _batch(self, files: CsvFiles, page: list) -> None:
        visibility = Visibility.of(self.context)
        ids = [row.id for row, _decision in page]
        async with self.context.reading() as session:
            found = await reads.batch(session, ids)
        if not self.researcher:  # (a researcher's stamps are the export's: `_stamped`)
            await visibility.load_stamps([
                *(row for row, _decision in page),
                *(e for stays in found["enrollments"].values() for e, _x in stays),
            ])  # fmt: skip
        exported = []
        for row, _decision in page:
            if self._client(files, visibility, row, found):
                exported.append(row.id)
        self.context.access_log.release(exported, AuditAction.EXPORT)
        self.clients += len(exported)

    def _client(self, files: CsvFiles, visibility: Visibility, row, found: dict) -> bool:
        """Write one client's rows; False when the period leaves nothing of them."""
        stays = []
        for enrollment, exit in found["enrollments"].get(row.id, []):
            values = visibility.inspect(enrollment)
            shown_exit = exit and visibility.inspect(exit)
            if (
                values
                and self.scope.covers(values["entry_date"], shown_exit and shown_exit["exit_date"])
                and (self.projects is None or values["project_id"] in self.projects)
            ):
                stays.append((enrollment, exit))
        narrowed = self.scope.dated or self.projects is not None
        if narrowed and not stays:
            return False
        self.ids.begin(visibility.decision(row.id))
        person = self.ids.person(row)
        identity = visibility.present(row, G.IDENTITY) or {}
        demographics = visibility.present(row, G.DEMOGRAPHICS) or {}
        out = self._values(H.CLIENT, {**identity, **demographics})
        if demographics and demographics.get("sex") is None:
            out["Sex"] = "99"  # recorded before FY2026: not collected
        out["PersonalID"] = person
        files.write(H.CLIENT, self._stamped(out, visibility, row, found["stamps"][row.id]))
        kept = {e.id for e, _x in stays}
        health = {
            r.enrollment_id: r
            for r in found[models.HealthRecord].get(row.id, [])
            if r.data_collection_stage in (START, None)
        }
        for enrollment, exit in stays:
            self._enrollment(files, visibility, person, enrollment, exit, health)
        for spec in H.AGENCY_ONLY:
            for record in found[spec.model].get(row.id, []):
                if narrowed and record.enrollment_id not in kept:
                    continue
                values = visibility.present(record)
                if values is not None:
                    out = self._values(spec, values)
                    out[spec.key] = self.ids.record(spec.name, record.id)
                    out["EnrollmentID"] = self.ids.record("Enrollment.csv", record.enrollment_id)
                    out["PersonalID"] = person
                    files.write(spec, self._stamped(out, visibility, record, record))
        return True

    def _enrollment(self, files, visibility, person, enrollment, exit, health) -> None:
        values = visibility.present(enrollment)
        household = visibility.present(enrollment, G.HOUSEHOLD) or {}
        entry = values.get("entry_date")
        if entry is not None and (self.first_entry is None or entry < self.first_entry):
            self.first_entry = entry
        out = self._values(H.ENROLLMENT, {**values, **household})
        enrollment_id = self.ids.record("Enrollment.csv", enrollment.id)
        out.update(
            EnrollmentID=enrollment_id, PersonalID=person, ProjectID=values["project_id"].hex
        )
        if household.get("household_id") is not None:
            out["HouseholdID"] = self.ids.record("HouseholdID", household["household_id"])
        record = health.get(enrollment.id)
        condition = record and visibility.present(record)
        if condition:
            out[H.DISABLING_CONDITION] = H.text(condition["disabling_condition"])
        files.write(H.ENROLLMENT, self._stamped(out, visibility, enrollment, enrollment))
        shown = exit and visibility.present(exit)
        if shown:
            out = self._values(H.EXIT, shown)
            out.update(
                ExitID=self.ids.record("Exit.csv", exit.id),
                EnrollmentID=enrollment_id,
                PersonalID=person,
            )
            files.write(H.EXIT, self._stamped(out, visibility, exit, exit))

    @staticmethod
    def _values(spec: H.HudFile, values: dict[str, Any]) -> dict[str, str]:
        return {hud: H.text(values.get(key)) for hud, key in H.data_columns(spec.model).items()}

    def _stamped(self, out: dict, visibility: Visibility, row, stamps) -> dict[str, str]:
        """HUD's stamps: an imported record's own (kept from its source) until it is written
        here again, else ours. Those of the last version that changed something the caller
        sees (`Visibility.stamps`): for a partner, no write of a group it does not see, nor
        one made since the refusal, changes a stamp (docs/hud-csv.md)."""
        if self.researcher:
            return self._research_stamps(out)
        seen = visibility.stamps(row)
        if seen is None:
            updated, hud_updated, hud_user = (
                row.date_updated,
                stamps.hud_date_updated,
                stamps.hud_user_id,
            )
        else:
            updated, hud_updated, hud_user = (
                seen.updated_at,
                seen.hud_date_updated,
                seen.hud_user_id,
            )
        out.update(
            DateCreated=H.text(stamps.hud_date_created or stamps.date_created),
            DateUpdated=H.text(hud_updated or updated),
            UserID=hud_user or user_id(stamps.created_by),
            ExportID=self.export_id,
        )
        return out

    def _research_stamps(self, out: dict) -> dict[str, str]:
        """A researcher's stamps: the export's time and one stand-in user for every row, so
        they tell nothing of a record (when it was written, by whom) that would pair it
        with another agreement's export or tie a household's rows together (HUD requires
        the columns; docs/audit-logs-research.md)."""
        stamp = H.text(self.started)
        out.update(DateCreated=stamp, DateUpdated=stamp, UserID=RESEARCH_USER,
                   ExportID=self.export_id)  # fmt: skip
        return out


def _digits(value: str | None, length: int) -> str:
    """HUD's UserPhone (10 digits) and UserExtension (up to 5) take digits only: our
    "503-555-0142" is written 5035550142; a number that is not one in HUD's form is left
    out rather than written wrong."""
    digits = "".join(c for c in value or "" if c.isdigit())
    if length == 10 and len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    ok = len(digits) == length if length == 10 else 0 < len(digits) <= length
    return digits if ok else ""


@cache  # a CoC has hundreds of writers and millions of records
def user_id(subject: str) -> str:
    """HUD's UserID (32 characters) for the OIDC subject that wrote a record (longer, often):
    a name-based UUID of it, the same in User.csv (staff who sign in) and the data files."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"hmis-subject:{subject}").hex
