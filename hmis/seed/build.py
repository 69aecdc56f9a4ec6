"""`hmis seed`: a believable synthetic Continuum of Care, the same rows for the same seed.

`CocBuilder` generates plain dicts (reference data once, then households in chunks);
`unsafe_bulk_seed` writes them. Every random choice comes from one seeded `random.Random`
(Faker only fills the name pools, seeded too) and no time comes from the clock: every date and
stamp lies before the fixed `ANCHOR`. Two runs with the same `--clients` and `--seed` produce
identical rows and IDs.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time as clock
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from operator import itemgetter
from typing import Any

from faker import Faker
from sqlalchemy import JSON, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hmis.db.history import Writer
from hmis.db.models import (
    CaseManagerAssignment,
    CaseNote,
    Client,
    ClientLogin,
    Contact,
    Disability,
    DomesticViolence,
    Enrollment,
    Exit,
    HealthRecord,
    IncomeBenefit,
    Organization,
    PrivacyNotice,
    Project,
    RecordVersion,
    RefusalCoverage,
    ResearchAgreement,
    ResearchConsent,
    SharingRefusal,
    StaffUser,
)
from hmis.seed import data
from hmis.seed.people import HouseholdBuilder

# "Now" for the synthetic CoC: every date and stamp lies before it, whenever the seed runs.
ANCHOR = datetime(2026, 6, 30, 12, tzinfo=UTC)
CHUNK = 5000  # clients per transaction
# `hmis seed` commits (and reports) every this many clients, so a person sees it move.
PROGRESS_CHUNK = 1000
SETUP = datetime(2018, 10, 1, 9, tzinfo=UTC)  # when the CoC set up its HMIS
EPOCH_MS = int(SETUP.timestamp() * 1000)

# Insert order: foreign keys point only to earlier tables.
TABLES = (
    Organization,
    Project,
    StaffUser,
    PrivacyNotice,
    Client,
    Enrollment,
    Exit,
    CaseManagerAssignment,
    Contact,
    HealthRecord,
    Disability,
    IncomeBenefit,
    DomesticViolence,
    CaseNote,
    RecordVersion,
    SharingRefusal,
    RefusalCoverage,
    ClientLogin,
    ResearchAgreement,
    ResearchConsent,
)

Rows = dict[type, list[dict[str, Any]]]


@dataclass
class Org:
    id: uuid.UUID
    name: str
    slug: str
    vsp: bool
    staff: list[Staff] = field(default_factory=list)


@dataclass
class Staff:
    id: uuid.UUID
    org: Org
    subject: str
    writer: Writer


@dataclass
class Proj:
    id: uuid.UUID
    org: Org
    type: int


class CocBuilder:
    """Generates the CoC as rows: `reference()` first, then `chunks()`."""

    def __init__(self, clients: int, seed: int):
        self.clients = clients
        self.seed = seed
        self.rng = random.Random(seed)
        fake = Faker("en_US")
        fake.seed_instance(seed)
        self.pools = data.make_pools(fake)
        self.orgs: list[Org] = []
        self.projects: list[Proj] = []
        self.issued = 0

    def uuid(self) -> uuid.UUID:
        """A UUIDv7-shaped ID (RFC 9562): a rising 48-bit prefix, then 74 seeded random bits.

        Rising IDs make the indexes grow at their right edge instead of touching random pages:
        on PostgreSQL that cut the database's CPU for 100,000 clients by ~30% (111 s to 80 s).
        The prefix counts milliseconds from the CoC's setup, one per ID: it orders, no more.
        """
        self.issued += 1
        bits = self.rng.getrandbits(74)
        return uuid.UUID(
            int=(EPOCH_MS + self.issued) << 80
            | 7 << 76  # version
            | (bits >> 62) << 64
            | 2 << 62  # variant
            | bits & (1 << 62) - 1
        )

    def reference(self) -> Rows:
        """Organizations, their projects and staff, and the privacy notices."""
        rows: Rows = defaultdict(list)
        rng, org_count = self.rng, max(3, min(20, self.clients // 50))
        vsp_count = 1 if org_count < 10 else 2
        names = rng.sample(data.ORGANIZATIONS, org_count - vsp_count)
        names += data.VSP_ORGANIZATIONS[:vsp_count]
        staff_count = max(3, min(40, self.clients // (org_count * 120)))
        types = list(data.PROJECT_NAMES)
        rng.shuffle(types)
        for i, name in enumerate(names):
            vsp = name in data.VSP_ORGANIZATIONS
            org = Org(self.uuid(), name, re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"), vsp)
            self.orgs.append(org)
            rows[Organization].append(
                dict(
                    id=org.id,
                    name=name,
                    common_name="".join(w[0] for w in name.split() if w[0].isupper()),
                    victim_service_provider=vsp,
                    date_created=SETUP,
                    date_updated=SETUP,
                    date_deleted=None,
                )
            )
            if vsp:
                kinds = list(data.VSP_PROJECT_NAMES)
            else:  # every type somewhere in the CoC: deal the types round the organizations
                kinds = [types[(i * 4 + k) % len(types)] for k in range(rng.randint(3, 5))]
            for kind in dict.fromkeys(kinds):
                rows[Project].append(self._project(org, kind))
            for n in range(1, staff_count + 1):
                rows[StaffUser].append(self._staff(org, n))
        rows[PrivacyNotice] += [
            self._notice(date(2014, 10, 1), data.NOTICE_2014_TITLE, data.NOTICE_2014),
            self._notice(date(2021, 1, 1), data.NOTICE_2021_TITLE, data.NOTICE_2021),
        ]
        return rows

    def _project(self, org: Org, kind: int) -> dict[str, Any]:
        rng = self.rng
        names = (data.VSP_PROJECT_NAMES if org.vsp else data.PROJECT_NAMES)[kind]
        project = Proj(self.uuid(), org, kind)
        self.projects.append(project)
        return dict(
            id=project.id,
            organization_id=org.id,
            name=f"{' '.join(org.name.split()[:2])} {rng.choice(names)}",
            common_name=None,
            project_type=int(kind),
            operating_start_date=date(rng.randint(2005, 2018), rng.randint(1, 12), 1),
            operating_end_date=None,
            continuum_project=True,
            date_created=SETUP,
            date_updated=SETUP,
            date_deleted=None,
        )

    def _staff(self, org: Org, n: int) -> dict[str, Any]:
        rng, pools = self.rng, self.pools
        first = rng.choice(pools.female if rng.random() < 0.6 else pools.male)
        last = rng.choice(pools.last)
        subject = f"staff-{n}@{org.slug}"
        staff = Staff(self.uuid(), org, subject, Writer(subject, org.id))
        org.staff.append(staff)
        mailbox = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower())
        return dict(
            id=staff.id,
            organization_id=org.id,
            first_name=first,
            last_name=last,
            phone=data.fictional_phone(rng),
            extension=str(rng.randint(100, 899)),
            email=f"{mailbox}@{org.slug}.example.org",
            subject=subject,
            date_created=SETUP,
            date_updated=SETUP,
            date_deleted=None,
        )

    def _notice(self, effective: date, title: str, body: str) -> dict[str, Any]:
        published = datetime.combine(effective - timedelta(days=30), time(9), tzinfo=UTC)
        return dict(
            id=self.uuid(),
            effective_date=effective,
            title=title,
            text=body,
            published_at=published,
            published_by="hmis-lead-agency",
        )

    def chunks(self, size: int = CHUNK) -> Iterator[Rows]:
        """Households until `clients` people exist, about `size` clients per chunk.

        A household never spans chunks, and chunk boundaries do not change what is generated.
        """
        households = HouseholdBuilder(self, last_day=ANCHOR.date() - timedelta(days=1))
        done = 0
        while done < self.clients:
            rows: Rows = defaultdict(list)
            target = done + size
            while done < min(target, self.clients):
                done += households.build(rows, room=self.clients - done)
            yield rows


# --- writing ----------------------------------------------------------------------------------


@dataclass
class SeedReport:
    clients: int
    seed: int
    counts: Counter
    seconds: float

    def summary(self) -> str:
        lines = [f"seeded a synthetic CoC (--clients {self.clients} --seed {self.seed}):"]
        lines += [f"  {m.__tablename__:<26}{self.counts[m]:>10,}" for m in TABLES]
        lines.append(f"  {'total rows':<26}{sum(self.counts.values()):>10,}")
        lines.append(f"in {self.seconds:.1f} s")
        return "\n".join(lines)


class SeedRefused(RuntimeError):
    """The database already holds data; seeding would clash with it."""


async def unsafe_bulk_seed(
    engine: AsyncEngine,
    *,
    clients: int,
    seed: int,
    chunk: int = CHUNK,
    progress: Callable[[int, int], None] | None = None,
) -> SeedReport:
    """Load a synthetic CoC into an empty database, one transaction per chunk of clients.

    Unsafe by design: it writes client data and its versions directly, bypassing the live
    write path (`hmis.db.history.create/update`, which lock clients and stamp the database's
    time) so that 100,000 clients load in minutes; the stamps are synthetic times before
    `ANCHOR`. Only for empty development or benchmark databases, never a live HMIS.
    `progress(done, clients)` is called after each chunk (`chunk` clients) is committed.
    """
    started = clock.perf_counter()
    builder = CocBuilder(clients, seed)
    counts: Counter = Counter()
    chunks = builder.chunks(chunk)
    produce = partial(asyncio.to_thread, next, chunks, None)
    async with engine.connect() as connection:
        await _write(connection, builder.reference(), counts)
        # Generate the next chunk in a thread while the database stores this one: the
        # database works in its own process, so the two overlap (same rows, same order).
        upcoming = asyncio.ensure_future(produce())
        try:
            while (rows := await upcoming) is not None:
                upcoming = asyncio.ensure_future(produce())
                await _write(connection, rows, counts)
                if progress is not None:
                    progress(counts[Client], clients)
        finally:
            await asyncio.gather(upcoming, return_exceptions=True)
        async with connection.begin():
            named = select(Client.id).where(Client.first_name.is_not(None)).order_by(Client.id)
            ids = (await connection.execute(named)).scalars().all()
        await _write(connection, _rights(ids), counts)
    return SeedReport(clients, seed, counts, clock.perf_counter() - started)


def _rights(ids: list[uuid.UUID]) -> Rows:
    """What lets every role of `make run` try the API: logins linked to a few clients with a
    name, a research agreement, and research consents from every 20th of those clients."""
    rows: Rows = defaultdict(list)
    rows[ClientLogin] = [
        dict(id=uuid.UUID(int=n + 1), client_id=client_id, subject=f"client-{n + 1}",
             created_by="hmis-lead-agency", created_at=ANCHOR)
        for n, client_id in enumerate(ids[:3])
    ]  # fmt: skip
    rows[ResearchAgreement] = [
        dict(id=uuid.UUID(int=100), subject="researcher-1", expires_on=date(2099, 12, 31),
             created_by="hmis-lead-agency", created_at=ANCHOR, revoked_at=None)
    ]  # fmt: skip
    rows[ResearchConsent] = [
        dict(id=uuid.UUID(int=1000 + n), client_id=client_id, recorded_by="hmis-lead-agency",
             recorded_at=ANCHOR, revoked_at=None)
        for n, client_id in enumerate(ids[::20])
    ]  # fmt: skip
    return rows


async def _write(connection: AsyncConnection, rows: Rows, counts: Counter) -> None:
    async with connection.begin():
        if connection.dialect.name == "postgresql":
            # Also opens the transaction: asyncpg's adapter sends BEGIN lazily, at the first
            # statement, and COPY does not go through it.
            await connection.execute(text("SET LOCAL synchronous_commit = off"))
        for model in TABLES:
            if rows.get(model):
                await _insert(connection, model, rows[model])
                counts[model] += len(rows[model])


async def _insert(connection: AsyncConnection, model: type, rows: list[dict[str, Any]]) -> None:
    table = model.__table__
    if connection.dialect.name != "postgresql":
        await connection.execute(insert(table), rows)  # Core insertmanyvalues batches
        return
    # COPY: 22 s against 30 s with Core's batched INSERTs for 10,000 clients (measured).
    as_json = [c for c in rows[0] if isinstance(table.columns[c].type, JSON)]
    columns = [c for c in rows[0] if c not in as_json] + as_json
    pick = itemgetter(*columns[: len(columns) - len(as_json)])
    if as_json:  # asyncpg takes JSON as text
        dumps = json.JSONEncoder().encode
        records = [pick(row) + tuple(dumps(row[c]) for c in as_json) for row in rows]
    else:
        records = [pick(row) for row in rows]
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(table.name, records=records, columns=columns)


async def existing(engine: AsyncEngine) -> str | None:
    """What the database already holds that seeding would clash with, or None if empty."""
    async with engine.connect() as connection:
        for model, noun in ((Client, "clients"), (Organization, "organizations")):
            count = (await connection.execute(select(func.count()).select_from(model))).scalar()
            if count:
                return f"{count:,} {noun}"
    return None


async def seed_command(
    url: str,
    *,
    clients: int,
    seed: int,
    if_empty: bool,
    progress: Callable[[int, int], None] | None = None,
) -> str:
    """`hmis seed`: the text to print. Raises SeedRefused on a database that has data."""
    from hmis.db.session import make_engine

    engine = make_engine(url)
    try:
        found = await existing(engine)
        if found and if_empty:
            return f"database already has {found}; nothing seeded (--if-empty)"
        if found:
            raise SeedRefused(f"database already has {found}; seed only an empty database")
        report = await unsafe_bulk_seed(
            engine, clients=clients, seed=seed, chunk=PROGRESS_CHUNK, progress=progress
        )
        return report.summary()
    finally:
        await engine.dispose()
