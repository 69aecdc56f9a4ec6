"""Records missing from a later export of the same source.

A careful HMIS deletes nothing because an export does not mention it, unless the export says
it holds everything: HUD's Export.csv ExportDirective 2 (full refresh) with ExportPeriodType
4 (other: no reporting, effective or updated period). A delta, a period's export or one
filtered to some projects covers only part of the source, so what it does not hold is left
alone; there, only an explicit DateDeleted deletes. A full refresh deletes (softly, through
the write path) what the same source lineage imported earlier and no longer holds; never a
record entered here or imported from another source. A service account's full refresh
deletes only its own organization's records, and never a client (a client is shared by every
agency that serves them; an administrator's full refresh, or DateDeleted, deletes one).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select

from hmis.db import history, models

from . import hud_csv as H
from .validate import Checked, source_of

if TYPE_CHECKING:
    from .load import Loader

FULL_REFRESH = 2  # HUD list 1.2 ExportDirective
OTHER_PERIOD = 4  # HUD list 1.1 ExportPeriodType: not limited to a period
CHUNK = 1000


def is_full_refresh(checked: Checked) -> bool:
    export = checked.export
    return (
        export.get("ExportDirective") == FULL_REFRESH
        and export.get("ExportPeriodType") == OTHER_PERIOD
        and bool(source_of(checked))
    )


async def find_absent(loader: Loader) -> list[tuple[type, uuid.UUID, uuid.UUID]]:
    """(model, record, client) of what the source imported earlier and this full refresh no
    longer holds; read before the import locks its clients, so theirs are locked too."""
    found = []
    present_enrollments = _present(loader, H.ENROLLMENT)
    for spec in (H.CLIENT, H.ENROLLMENT, H.EXIT, *H.AGENCY_ONLY):
        if spec is H.CLIENT and not loader.may_administer:
            continue
        found += await _absent(loader, spec.model, _present(loader, spec))
    conditions = {uuid.uuid5(e, H.DISABLING_CONDITION) for e in present_enrollments}
    found += await _absent(loader, models.HealthRecord, conditions, derived=True)
    return found


def _present(loader: Loader, spec: H.HudFile) -> set[uuid.UUID]:
    return {loader.key(spec, value) for value in loader.checked.keys[spec.name]}


async def _absent(loader: Loader, model, present: set, *, derived: bool = False) -> list:
    query = select(model.id, model.client_id if model is not models.Client else model.id).where(
        model.hud_source == loader.source, model.date_deleted.is_(None)
    )
    if derived:  # only the project-start records an Enrollment.csv DisablingCondition made
        query = query.where(model.data_collection_stage == 1, model.enrollment_id.is_not(None))
    if not loader.may_administer:
        query = query.where(model.organization_id == loader.writer.organization_id)
    result = await loader.session.execute(query)
    return [(model, record, client) for record, client in result if record not in present]


async def delete_absent(loader: Loader, absent: list) -> int:
    """Delete them through the write path (a version each, audited); the number deleted."""
    deleted = 0
    for start in range(0, len(absent), CHUNK):
        chunk = absent[start : start + CHUNK]
        for model in {m for m, _r, _c in chunk}:
            ids = [r for m, r, _c in chunk if m is model]
            for row in await loader.session.scalars(select(model).where(model.id.in_(ids))):
                if row.date_deleted is None:
                    await history.delete(loader.session, loader.writer, row)
                    deleted += 1
        loader.session.expunge_all()
    return deleted
