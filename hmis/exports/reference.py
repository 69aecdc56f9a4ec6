"""An import's reference data: organizations, projects and the source's users (small files,
read whole), and the source lineage every imported record is marked with."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC
from typing import TYPE_CHECKING

from sqlalchemy import select

from hmis.db import models

from . import hud_csv as H
from .columns import names
from .problems import Problem
from .validate import Checked, Row, rows

if TYPE_CHECKING:
    from .load import Loader

NOT_YOURS = "not a project of your organization"


def key(source: str, file: str, value: str) -> uuid.UUID:
    """Our key for a source's ID: the ID itself when it is a UUID (our own exports), else a
    name-based UUID of the source, file and ID, so the same record maps to the same row on
    every import of the same source."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"hmis-csv:{source}:{file}:{value}")


def namespaced_key(source: str, file: str, value: str) -> uuid.UUID:
    """A service account's key for a source's ID: always name-based, in its organization's
    lineage (`source` starts with the organization), even when the ID is a UUID: its rows
    address only records its own organization's imports made."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"hmis-csv:{source}:{file}:{value}")


async def load_reference(loader: Loader) -> dict[uuid.UUID, uuid.UUID]:
    """Add the organizations and projects the files name (administrators only), record the
    source's users, and return every known project's organization."""
    session, checked = loader.session, loader.checked
    p = models.Project
    known = dict((await session.execute(select(p.id, p.organization_id))).all())
    in_file = {}
    used = checked.projects_used
    orgs = {
        loader.key(H.ORGANIZATION, r.values["OrganizationID"]): r
        for r in await read_all(checked, H.ORGANIZATION)
    }
    existing_orgs = set(await session.scalars(select(models.Organization.id)))
    for row in await read_all(checked, H.PROJECT):
        project_id = loader.key(H.PROJECT, row.values["ProjectID"])
        org_id = loader.key(H.ORGANIZATION, row.values["OrganizationID"])
        in_file[project_id] = org_id
        if not loader.may_administer:
            # A service account imports its own organization's projects only: one that the
            # file or the HMIS gives another organization, or that does not exist, gets the
            # same answer (nothing said of another organization's projects).
            if row.values["ProjectID"] in used:
                mine = loader.writer.organization_id
                column = (
                    "OrganizationID"
                    if org_id != mine
                    else "ProjectID"
                    if known.get(project_id) != mine
                    else None
                )
                if column is not None:
                    loader.outcome.errors.append(
                        Problem(H.PROJECT.name, row.line, column, NOT_YOURS)
                    )
            continue
        if org_id not in existing_orgs:
            _add(session, models.Organization, orgs[org_id], org_id)
            existing_orgs.add(org_id)
        if project_id not in known:
            _add(session, models.Project, row, project_id, organization_id=org_id)
            known[project_id] = org_id
    await session.flush()
    if loader.may_administer:
        await _users(loader)
        return {**in_file, **known}
    return known  # the projects' organizations in the HMIS, never as the file claims


async def read_all(checked: Checked, spec: H.HudFile) -> list[Row]:
    """A reference file's rows (at most `source.MAX_REFERENCE_ROWS`), parsed in a worker
    thread."""
    return await asyncio.to_thread(lambda: list(rows(checked, spec)))


def _add(session, model, row: Row, row_id, **extra) -> None:
    values = {k: row.values.get(name) for name, k in names(model).items()}
    values = {
        k: bool(v) if k in ("victim_service_provider", "continuum_project") else v
        for k, v in values.items()
        if v is not None
    }
    for name, column in (("DateCreated", "date_created"), ("DateUpdated", "date_updated")):
        if row.values.get(name) is not None:
            values[column] = utc(row.values[name])
    session.add(model(id=row_id, **values, **extra))


async def _users(loader: Loader) -> None:
    """User.csv of an administrator's import: each user recorded (or updated) under the
    source's UserID, unless one of our staff already exports as that UserID (the same person
    coming back: our own export imported here). A service account's User.csv is checked,
    not stored: staff details are the administrators' to add."""
    from .export import user_id  # the UserID our own staff export under

    session, u = loader.session, models.HudUser
    ours = set()
    for staff in await session.scalars(select(models.StaffUser)):
        ours.add(user_id(staff.subject) if staff.subject else staff.id.hex)
    recorded = {
        r.user_id: r for r in await session.scalars(select(u).where(u.source == loader.source))
    }
    for row in await read_all(loader.checked, H.USER):
        user = row.values.get("UserID")
        if not user or user in ours:
            continue
        values = {k: row.values.get(name) for name, k in names(u).items() if k != "user_id"}
        values.update(
            hud_date_created=utc(row.values.get("DateCreated")),
            hud_date_updated=utc(row.values.get("DateUpdated")),
            date_deleted=utc(row.values.get("DateDeleted")),
        )
        found = recorded.get(user)
        if found is None:
            row_id = uuid.uuid5(uuid.NAMESPACE_URL, f"hmis-csv-user:{loader.source}:{user}")
            session.add(u(id=row_id, source=loader.source, user_id=user, **values))
        else:
            for name, value in values.items():
                setattr(found, name, value)
    await session.flush()


def utc(value):
    """HUD timestamps carry no zone; ours are UTC (and exports write UTC)."""
    return value.replace(tzinfo=UTC) if value is not None else None
