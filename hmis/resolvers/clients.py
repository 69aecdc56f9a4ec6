"""Loading clients for `client`, `clients` and `searchClients`: SQL narrows, the page-level
decision (hmis.resolvers.visibility) decides, and only visible values are ever matched."""

from __future__ import annotations

import uuid
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, exists, func, select

from hmis.auth.policy import ClientDecision
from hmis.auth.principal import Role
from hmis.context import RequestContext
from hmis.db import models, reads
from hmis.errors import BadInput, Forbidden
from hmis.groups import ElementGroup as G

from .loaders import Loaders
from .validate import MAX_NAME_LENGTH
from .visibility import Visibility


def parse_id(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise BadInput(f"`{field}` is not a valid ID", field=[field]) from None


def optional_id(value: str | None, field: str) -> uuid.UUID | None:
    """None when not given; an empty string is a malformed ID like any other."""
    return None if value is None else parse_id(value, field)


async def one_client(context: RequestContext, client_id: uuid.UUID):
    """The client and the caller's decision, or None when the row is not visible."""
    visibility = Visibility.of(context)
    async with context.reading() as session:
        rows = await reads.clients_by_id(session, ids=[client_id])
    if not rows:
        return None
    (decision,) = await visibility.decide(rows)
    return (rows[0], decision) if decision else None


@dataclass(frozen=True)
class EnrollmentFilter:
    project_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None

    def sql(self) -> ColumnElement[bool]:
        e, p = models.Enrollment, models.Project
        conditions = [e.client_id == models.Client.id, reads.live(e)]
        if self.project_id:
            conditions.append(e.project_id == self.project_id)
        if self.organization_id:
            conditions.append(
                e.project_id.in_(select(p.id).where(p.organization_id == self.organization_id))
            )
        return exists().where(and_(*conditions))

    def matches(self, project: models.Project) -> bool:
        return (self.project_id in (None, project.id)) and (
            self.organization_id in (None, project.organization_id)
        )


async def clients_page(
    context: RequestContext,
    *,
    first: int,
    after: uuid.UUID | None,
    filter: EnrollmentFilter | None,
    count: bool = True,
    tables: frozenset[str] | None = None,
) -> tuple[list[tuple[models.Client, ClientDecision]], int | None]:
    """A page of clients with their decisions, and the number of all matches (None unless
    `count`); `tables`: those the page presents (`Visibility.decide`)."""
    visibility = Visibility.of(context)
    if visibility.role is Role.RESEARCHER:
        order = await research_order(context, filter)
        start = 0
        if after is not None:  # the cursor's place in the order (its client may be gone)
            start = bisect_right(order, *visibility.research_ids.ordered([after]))
        page = await clients_listed(context, order[start : start + first], tables=tables)
        return page, len(order) if count else None
    where: list[ColumnElement[bool]] = []
    if filter is not None:
        where.append(filter.sql())
        where.extend(await _hidden_matches(context, filter))
    async with context.reading() as session:
        rows, total, refusals = await reads.clients_page(
            session, after=after, limit=first, where=where, count=count,
            refusals=visibility.reads_refusals,
        )  # fmt: skip
    decisions = await visibility.decide(rows, tables=tables, refusals=refusals)
    # Every role that reaches here sees every live row; the check is a guard, not a filter.
    page = [(row, d) for row, d in zip(rows, decisions, strict=True) if d is not None]
    return page, total


async def research_order(context: RequestContext, filter: EnrollmentFilter | None) -> list[bytes]:
    """Every client of a researcher's list, as `ResearchIdentifiers.ordered` gives them: in
    the order of the agreement's pseudonyms, so the order of a page, or of an export's rows,
    pairs nobody with another agreement's pseudonyms. The whole list is read for it (a
    researcher's page costs more than others')."""
    async with context.reading() as session:
        ids = await reads.client_ids(session, where=[filter.sql()] if filter else [])
    return Visibility.of(context).research_ids.ordered(ids)


async def clients_listed(
    context: RequestContext, blocks: list[bytes], *, tables: frozenset[str] | None = None
) -> list[tuple[models.Client, ClientDecision]]:
    """The clients of a slice of `research_order`, in its order, with their decisions."""
    visibility = Visibility.of(context)
    ids = visibility.research_ids.clients_of(blocks)
    async with context.reading() as session:
        found = {row.id: row for row in await reads.clients_by_id(session, ids=ids)}
    rows = [found[i] for i in ids if i in found]  # (one deleted meanwhile: left out)
    decisions = await visibility.decide(rows, tables=tables)
    return [(row, d) for row, d in zip(rows, decisions, strict=True) if d is not None]


async def load_related(
    context: RequestContext,
    page: list[tuple[models.Client, ClientDecision]],
    *,
    enrollments: bool,
    case_manager: bool,
) -> None:
    """Load a page's enrollments and case manager assignments now, one statement each (the
    ones the DataLoaders would send, for the clients whose decision shows the group), so
    the field resolvers find them ready (`Loaders.ready`) and need not await."""
    loaders = Loaders.of(context)
    for wanted, loader, group in (
        (enrollments, loaders.enrollments, G.ENROLLMENTS),
        (case_manager, loaders.assignments, G.CASE_MANAGER),
    ):
        ids = [
            row.id
            for row, decision in page
            if decision.visible(group) and loader.cache_map.get(row.id) is None
        ]
        if wanted and ids:
            # The loader's own batch, its cache filled with settled futures: `load_many`
            # would gather a future per client, each settling through the event loop.
            loader.prime_many(dict(zip(ids, await loader.load_fn(ids), strict=True)))


async def _hidden_matches(context: RequestContext, filter: EnrollmentFilter):
    """For a partner, refused clients that match only on records hidden from it (made after
    the refusal) must not match: exclude them from the page and the total."""
    visibility = Visibility.of(context)
    if visibility.role is not Role.AGENCY_STAFF:
        return []
    coverage = models.RefusalCoverage
    async with context.reading() as session:
        ids = list(
            await session.scalars(
                select(coverage.client_id)
                .distinct()
                .where(
                    coverage.revoked_at.is_(None),
                    coverage.client_id.in_(select(models.Client.id).where(filter.sql())),
                )
            )
        )
        rows = await reads.clients_by_id(session, ids=ids)
    await visibility.decide(rows)
    enrollments = await Loaders.of(context).enrollments.load_many(ids)
    hidden = [
        client_id
        for client_id, found in zip(ids, enrollments, strict=True)
        if not any(
            visibility.inspect(e) is not None and filter.matches(p) for e, _x, p, _o in found
        )
    ]
    return [models.Client.id.not_in(hidden)] if hidden else []


# --- search ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchTerms:
    first_name: str | None = None
    last_name: str | None = None
    dob: date | None = None
    ssn_last4: str | None = None

    def validate(self) -> SearchTerms:
        if not any([self.first_name, self.last_name, self.dob, self.ssn_last4]):
            raise BadInput(
                "give at least one of firstName, lastName, dob, ssnLast4", field=["input"]
            )
        if self.ssn_last4 is not None and not (
            len(self.ssn_last4) == 4 and self.ssn_last4.isdigit()
        ):
            raise BadInput("`ssnLast4` must be exactly four digits", field=["input", "ssnLast4"])
        for name, field in (("first_name", "firstName"), ("last_name", "lastName")):
            value = getattr(self, name)
            if value is not None and len(value.strip()) < 2:
                raise BadInput("names must have at least two letters", field=["input", field])
            if value is not None and len(value) > MAX_NAME_LENGTH:  # no stored name is longer
                raise BadInput(f"`{field}` has at most {MAX_NAME_LENGTH} characters",
                               field=["input", field])  # fmt: skip
        return self

    def sql(self) -> list[ColumnElement[bool]]:
        """A superset of the matches, on current values (the decision narrows it)."""
        c = models.Client
        conditions = []
        for column, value in ((c.first_name, self.first_name), (c.last_name, self.last_name)):
            if value:
                pattern = _escape_like(value.strip().lower()) + "%"
                conditions.append(func.lower(column).like(pattern, escape="\\"))
        if self.dob:
            conditions.append(c.dob == self.dob)
        if self.ssn_last4:
            conditions.append(func.substr(c.ssn, 6, 4) == self.ssn_last4)
        return conditions

    def match(self, identity: dict) -> list[str]:
        """The criteria these visible values meet, or [] unless they meet every criterion."""
        met = []
        for key, value in (("first_name", self.first_name), ("last_name", self.last_name)):
            if value:
                if not (identity[key] or "").lower().startswith(value.strip().lower()):
                    return []
                met.append(key)
        if self.dob:
            if identity["dob"] != self.dob:
                return []
            met.append("dob")
        if self.ssn_last4:
            if (identity["ssn"] or "")[5:9] != self.ssn_last4 or len(identity["ssn"] or "") != 9:
                return []
            met.append("ssn_last4")
        return met


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(
    context: RequestContext, terms: SearchTerms, *, limit: int
) -> list[tuple[models.Client, ClientDecision, list[str]]]:
    """The first `limit` clients (in ID order) whose identity, as the caller sees it, meets
    every term. For a partner, a refused client whose identity changed after the refusal is
    matched on the values of then (it is never found by a hidden value, and a hidden match
    never takes the place of a visible one); every other client reads now as it did then."""
    visibility = Visibility.of(context)
    if visibility.role is Role.RESEARCHER:
        raise Forbidden("researchers cannot search by identifiers")
    changed = _changed_since_refusal() if visibility.role is Role.AGENCY_STAFF else None
    found = await _matching(context, terms, changed, limit)
    if changed is not None:
        async with context.reading() as session:
            ids = list(await session.scalars(changed))
        found += await _matched(context, terms, await _read_clients(context, ids))
    found = sorted(found, key=lambda f: f[0].id)[:limit]
    # Matched on identity alone; the clients returned are presented whole.
    await visibility.decide([row for row, _d, _m in found])
    return found


async def _matching(context: RequestContext, terms: SearchTerms, unlike, limit: int) -> list:
    """The first `limit` matches on current values among clients not in `unlike` (a
    statement selecting client IDs), in ID order: read in chunks until enough are
    confirmed, so none is missed."""
    found: list = []
    after = None
    while len(found) < limit:
        query = select(models.Client.id).where(reads.live(models.Client), *terms.sql())
        if unlike is not None:
            query = query.where(models.Client.id.not_in(unlike))
        if after is not None:
            query = query.where(models.Client.id > after)
        async with context.reading() as session:
            ids = list(await session.scalars(query.order_by(models.Client.id).limit(limit)))
        if not ids:
            break
        after = ids[-1]
        found += await _matched(context, terms, await _read_clients(context, ids))
        if len(ids) < limit:
            break
    return found[:limit]


async def _read_clients(context: RequestContext, ids: list[uuid.UUID]) -> list:
    if not ids:
        return []
    async with context.reading() as session:
        return await reads.clients_by_id(session, ids=ids)


async def _matched(context: RequestContext, terms: SearchTerms, rows: list) -> list:
    """Those of `rows` whose identity as the caller sees it meets every term (only the
    profile's as-of states are folded for this)."""
    visibility = Visibility.of(context)
    decisions = await visibility.decide(rows, tables=[models.Client.__tablename__])
    found = []
    for row, decision in zip(rows, decisions, strict=True):
        identity = decision and visibility.inspect(row, G.IDENTITY)
        met = identity and terms.match(identity)
        if met:
            found.append((row, decision, met))
    return found


def _changed_since_refusal():
    """The IDs of refused clients whose profile was written after their refusal."""
    v, c = models.RecordVersion, models.RefusalCoverage
    return (
        select(v.client_id)
        .distinct()
        .join(c, and_(c.client_id == v.client_id, c.revoked_at.is_(None)))
        .where(v.entity == models.Client.__tablename__, v.recorded_at > c.refused_at)
    )
