"""What an export reads for a batch of clients: one statement per table, as records
(`hmis.db.records`) with the stamps HUD's files carry (DateCreated, UserID) besides those
presenting needs."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hmis.db import models
from hmis.db.batch import among_param, built_once
from hmis.db.reads import core_rows, live
from hmis.db.records import PRESENTED_STAMPS, Shape

HUD_STAMPS = ("hud_date_created", "hud_date_updated", "hud_user_id")
EXPORT_STAMPS = (*PRESENTED_STAMPS, "date_created", "created_by", *HUD_STAMPS)
# The agency-only tables an export writes (HUD HealthAndDV, IncomeBenefits, Disabilities; the
# HEALTH record's DisablingCondition goes to Enrollment.csv).
RECORD_MODELS = (models.HealthRecord, models.Disability, models.IncomeBenefit,
                 models.DomesticViolence)  # fmt: skip


def _shape(*models_: type) -> Shape:
    return Shape(*((m, EXPORT_STAMPS + tuple(m.data_columns())) for m in models_))


CLIENT_STAMPS = Shape((models.Client, ("id", "date_created", "created_by", *HUD_STAMPS)))
ENROLLMENTS = _shape(models.Enrollment, models.Exit)
RECORDS = {model: _shape(model) for model in RECORD_MODELS}


@built_once
def _client_stamps(dialect: str):
    return select(*CLIENT_STAMPS.columns).where(among_param(dialect, models.Client.id, "ids"))


@built_once
def _enrollments(dialect: str):
    e, x = models.Enrollment, models.Exit
    return (
        select(*ENROLLMENTS.columns)
        .outerjoin(x, and_(x.enrollment_id == e.id, live(x)))
        .where(among_param(dialect, e.client_id, "ids"), live(e))
        .order_by(e.client_id, e.entry_date, e.id)
    )


def _records(model: type):
    @built_once
    def build(dialect: str):
        return (
            select(*RECORDS[model].columns)
            .where(among_param(dialect, model.client_id, "ids"), live(model))
            .order_by(model.client_id, model.information_date, model.id)
        )

    return build


_RECORD_READS = {model: _records(model) for model in RECORD_MODELS}


async def batch(session: AsyncSession, client_ids: list[uuid.UUID]) -> dict:
    """{"stamps": {client: record}, "enrollments": {client: [(enrollment, exit)]},
    model: {client: [record]}} for the batch: one statement each."""
    out: dict = {}
    rows = await core_rows(session, _client_stamps(session), {"ids": client_ids})
    out["stamps"] = {r[0].id: r[0] for r in CLIENT_STAMPS.records(rows)}
    grouped = defaultdict(list)
    rows = await core_rows(session, _enrollments(session), {"ids": client_ids})
    for enrollment, exit in ENROLLMENTS.records(rows):
        grouped[enrollment.client_id].append((enrollment, exit))
    out["enrollments"] = grouped
    for model in RECORD_MODELS:
        grouped = defaultdict(list)
        rows = await core_rows(session, _RECORD_READS[model](session), {"ids": client_ids})
        for (record,) in RECORDS[model].records(rows):
            grouped[record.client_id].append(record)
        out[model] = grouped
    return out
