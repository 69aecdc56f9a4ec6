"""Data access for the read API: each function takes the session as a keyword argument,
loads a whole batch in one statement and never commits."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from itertools import product

from sqlalchemy import ColumnElement, Executable, and_, bindparam, exists, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from . import models
from .batch import among, among_param, built_once
from .records import Record, Shape, presented_columns


def live(model) -> ColumnElement[bool]:
    return model.date_deleted.is_(None)


async def core_rows(session: AsyncSession, statement, params: dict | None = None) -> list:
    """The rows of a statement of columns (no ORM entities) on the session's connection, in
    its transaction: as `session.execute` returns them (our sessions do not autoflush),
    without the ORM's per-row loading around a Core result (a page's thousand rows). As a
    list, taken at once: iterating the result fetched row by row through Python, 6 µs a
    row (1.8 ms of a page's enrollments), against 0.7 µs."""
    connection = await session.connection()
    return (await connection.execute(statement, params)).all()


CLIENTS = Shape((models.Client, presented_columns(models.Client)))


async def clients_page(
    session: AsyncSession,
    *,
    after: uuid.UUID | None,
    limit: int,
    where: Iterable[ColumnElement[bool]] = (),
    count: bool = True,
    refusals: bool = False,
) -> tuple[list[Record], int | None, dict[uuid.UUID, datetime] | None]:
    """One page of live clients in id order after `after` (records, `hmis.db.records`), with
    the number of all matches (whatever the cursor) in the same statement; without `count`,
    no count (None): counting reads every match, which costs more than the page itself on a
    large CoC. With `refusals`, also each client's earliest active refusal, as
    `active_refusals` reads it (a partner's page then needs no statement of its own for
    them); else None."""
    where = list(where)
    if not where and not count:  # a plain page (the usual one): its statement made once
        query = _plain_pages(session)[after is not None, refusals]
        params = {"limit": limit} if after is None else {"after": after, "limit": limit}
        return _page_of(await core_rows(session, query, params), refusals, False)
    conditions = [live(models.Client), *where]
    total = select(func.count()).select_from(models.Client).where(*conditions).scalar_subquery()
    columns = list(CLIENTS.columns)
    if refusals:
        columns.append(earliest_refusal(models.Client.id))
    if count:
        columns.append(total.label("total"))
    query = select(*columns).where(*conditions)
    if after is not None:
        query = query.where(models.Client.id > after)
    rows = await core_rows(session, query.order_by(models.Client.id).limit(limit))
    if count and not rows:  # past the end: the count still answers
        return [], int(await session.scalar(select(total)) or 0), {} if refusals else None
    return _page_of(rows, refusals, count)


def _page_of(rows, refusals: bool, count: bool):
    """`clients_page`'s answer from its rows: the client's columns (the records are cut from
    those alone), then its refusal, then the count, as asked."""
    records = [r[0] for r in CLIENTS.records(rows)]
    end = len(CLIENTS.columns)
    refused = {row[0]: row[end] for row in rows if row[end] is not None} if refusals else None
    return records, (int(rows[0][-1]) if count else None), refused


def earliest_refusal(client_id) -> ColumnElement:
    """A client's earliest active refusal time (several refusals: the earliest), NULL for
    none: the fact the refusal rule decides on, in the one form every read of it uses."""
    coverage = models.RefusalCoverage
    return (
        select(func.min(coverage.refused_at))
        .where(coverage.client_id == client_id, coverage.revoked_at.is_(None))
        .scalar_subquery()
        .label("refused_at")
    )


@built_once
def _plain_pages(dialect: str) -> dict[tuple[bool, bool], Executable]:
    c = models.Client
    pages = {}
    for after, refusals in product((False, True), repeat=2):
        columns = [*CLIENTS.columns, earliest_refusal(c.id)] if refusals else CLIENTS.columns
        query = select(*columns).where(live(c))
        if after:  # a statement of its own: `id > :after` is the index's range
            query = query.where(c.id > bindparam("after", type_=c.id.type))
        pages[after, refusals] = query.order_by(c.id).limit(bindparam("limit"))
    return pages


async def client_ids(
    session: AsyncSession, *, where: Iterable[ColumnElement[bool]] = ()
) -> list[uuid.UUID]:
    """The IDs of every live client matching `where`, in no order."""
    c = models.Client
    return [row[0] for row in await core_rows(session, select(c.id).where(live(c), *where))]


async def clients_by_id(session: AsyncSession, *, ids: Iterable[uuid.UUID]) -> list[Record]:
    """The live clients among `ids`, as records."""
    ids = list(ids)
    if not ids:
        return []
    rows = await core_rows(
        session,
        select(*CLIENTS.columns).where(among(session, models.Client.id, ids), live(models.Client)),
    )
    return [r[0] for r in CLIENTS.records(rows)]


@built_once
def _active_refusals(dialect: str):
    c = models.Client
    refused = select(c.id, earliest_refusal(c.id)).where(among_param(dialect, c.id, "ids"))
    found = refused.subquery()
    return select(found).where(found.c.refused_at.is_not(None))


async def active_refusals(
    session: AsyncSession, *, client_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """The earliest active refusal time of each covered client (several refusals: earliest)."""
    ids = list(client_ids)
    if not ids:
        return {}
    rows = await core_rows(session, _active_refusals(session), {"ids": ids})
    return {client_id: at for client_id, at in rows}


async def research_consents(
    session: AsyncSession, *, client_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    ids = list(client_ids)
    if not ids:
        return set()
    consent = models.ResearchConsent
    rows = await session.scalars(
        select(consent.client_id).where(
            among(session, consent.client_id, ids), consent.revoked_at.is_(None)
        )
    )
    return set(rows)


async def research_agreement(
    session: AsyncSession, *, subject: str, today: date
) -> uuid.UUID | None:
    """The researcher's active agreement (the oldest, when several are: the pseudonyms a
    researcher receives stay those of one agreement until it ends)."""
    agreement = models.ResearchAgreement
    return await session.scalar(
        select(agreement.id)
        .where(
            agreement.subject == subject,
            agreement.expires_on >= today,
            agreement.revoked_at.is_(None),
        )
        .order_by(agreement.created_at, agreement.id)
        .limit(1)
    )


async def linked_client(session: AsyncSession, *, subject: str) -> uuid.UUID | None:
    """The client record a `client` login is bound to."""
    return await session.scalar(
        select(models.ClientLogin.client_id).where(models.ClientLogin.subject == subject)
    )


def _grouped(rows, key) -> dict[uuid.UUID, list]:
    grouped: dict[uuid.UUID, list] = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return grouped


# The columns of the reference rows that come with presented records (projects, staff, their
# organizations): what the API shows of them.
ORGANIZATION = (models.Organization, ("id", "name", "victim_service_provider"))
PROJECT = (models.Project, ("id", "name", "project_type", "organization_id"))
STAFF = (models.StaffUser, ("id", "first_name", "last_name", "phone", "extension", "email",
                            "organization_id"))  # fmt: skip
ENROLLMENTS = Shape(
    (models.Enrollment, presented_columns(models.Enrollment)),
    (models.Exit, presented_columns(models.Exit)),
    PROJECT,
    ORGANIZATION,
)
ASSIGNMENTS = Shape(
    (models.CaseManagerAssignment, presented_columns(models.CaseManagerAssignment)),
    STAFF,
    ORGANIZATION,
)


@built_once
def _enrollments(dialect: str):
    e, x, p, o = models.Enrollment, models.Exit, models.Project, models.Organization
    return (
        select(*ENROLLMENTS.columns)
        .join(p, p.id == e.project_id)
        .join(o, o.id == p.organization_id)
        .outerjoin(x, and_(x.enrollment_id == e.id, live(x)))
        .where(among_param(dialect, e.client_id, "ids"), live(e))
        .order_by(e.client_id, e.entry_date.desc(), e.id)
    )


async def enrollments(
    session: AsyncSession, *, client_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[tuple]]:
    """(enrollment, live exit or None, project, its organization) per client, newest first,
    as records (`hmis.db.records`)."""
    rows = await core_rows(session, _enrollments(session), {"ids": list(client_ids)})
    return _grouped(ENROLLMENTS.records(rows), key=lambda r: r[0].client_id)


@built_once
def _assignments(dialect: str):
    a, s, o = models.CaseManagerAssignment, models.StaffUser, models.Organization
    return (
        select(*ASSIGNMENTS.columns)
        .join(s, s.id == a.staff_user_id)
        .join(o, o.id == s.organization_id)
        .where(among_param(dialect, a.client_id, "ids"), live(a))
        .order_by(a.client_id, a.start_date.desc(), a.date_created.desc())
    )


async def case_manager_assignments(
    session: AsyncSession, *, client_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[tuple]]:
    """(assignment, staff user, their organization) per client, newest first, as records."""
    rows = await core_rows(session, _assignments(session), {"ids": list(client_ids)})
    return _grouped(ASSIGNMENTS.records(rows), key=lambda r: r[0].client_id)


async def client_records(
    session: AsyncSession, *, model, client_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list]:
    """Live records of one agency-only table, per client, newest first."""
    order = getattr(model, "information_date", None) or getattr(model, "note_date", None)
    query = select(model).where(among(session, model.client_id, client_ids), live(model))
    if order is not None:
        query = query.order_by(order.desc())
    rows = await session.scalars(query.order_by(model.date_updated.desc()))
    return _grouped(rows, key=lambda r: r.client_id)


async def disclosures(session: AsyncSession, *, client_id: uuid.UUID) -> list[models.Disclosure]:
    rows = await session.scalars(
        select(models.Disclosure)
        .where(models.Disclosure.client_id == client_id)
        .order_by(models.Disclosure.recorded_at.desc())
    )
    return list(rows)


async def household_members(
    session: AsyncSession, *, keys: Iterable[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], list[tuple[models.Enrollment, models.Client]]]:
    """The live enrollments (with their live client) of each household, a household being a
    project and a HouseholdID (HUD), in one statement for all `keys`. An enrollment written
    after its client's active refusal is listed under every household of its project asked
    for: a viewer frozen at the refusal may see it in another household than it is in now
    (callers keep the members whose household, as the viewer sees it, is the one asked)."""
    keys = list(keys)
    if not keys:
        return {}
    e, c, rc = models.Enrollment, models.Client, models.RefusalCoverage
    projects = {project for project, _ in keys}
    written_late = exists().where(rc.client_id == e.client_id, rc.revoked_at.is_(None),
                                  rc.refused_at < e.date_updated)  # fmt: skip
    rows = await session.execute(
        select(e, c, written_late.label("late"))
        .join(c, c.id == e.client_id)
        .where(
            or_(
                tuple_(e.project_id, e.household_id).in_(keys),
                and_(e.project_id.in_(projects), written_late),
            ),
            live(e),
            live(c),
        )  # fmt: skip
        .order_by(e.relationship_to_hoh, e.entry_date, e.id)
    )
    asked = set(keys)
    found: dict[tuple[uuid.UUID, str], list] = defaultdict(list)
    for enrollment, client, late in rows:
        key = (enrollment.project_id, enrollment.household_id)
        homes = {k for k in asked if k[0] == enrollment.project_id} if late else {key}
        for home in homes:
            found[home].append((enrollment, client))
    return found
