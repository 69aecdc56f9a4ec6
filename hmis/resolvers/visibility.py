"""Page-level visibility: gather the facts for a page of clients in a few queries, ask the
policy once per client, and present records as the decision allows.

Resolvers never decide anything themselves: they call `Visibility.decide` for the rows they
loaded and `Visibility.present` for each related record. `present` is the one place client
data leaves the API: each (client, group) it hands out is noted for the audit log.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from hmis.auth import policy
from hmis.auth.policy import ClientDecision, ClientFacts
from hmis.auth.principal import Role
from hmis.auth.pseudonym import ResearchIdentifiers
from hmis.codegen import dict_display, function
from hmis.context import RequestContext
from hmis.db import history, models, reads
from hmis.db import stamps as record_stamps
from hmis.db.records import Record
from hmis.errors import BadInput, Forbidden
from hmis.groups import ElementGroup

IDENTITY = ElementGroup.IDENTITY


class Visibility:
    """One per request (`Visibility.of(context)`): decisions and as-of states by client."""

    def __init__(self, context: RequestContext):
        self.context = context
        self.principal = context.principal
        self.role = policy.acting_role(context.principal)
        self.presented = context.access_log.presented
        self.decisions: dict[uuid.UUID, ClientDecision | None] = {}
        self.states: dict[tuple[str, uuid.UUID], history.RecordState] = {}
        # Refused clients whose as-of states were loaded for these tables only (`decide`).
        self._state_tables: dict[uuid.UUID, frozenset[str]] = {}
        self._row_access_checked = False
        # Clients decided as the caller's own record (`decide_own_record`): kept so.
        self._own: set[uuid.UUID] = set()
        # Sibling resolvers decide concurrently: one at a time, so none reads a decision
        # whose as-of states another is still loading.
        self._deciding = asyncio.Lock()
        # A researcher's identifiers under their agreement (`require_row_access`).
        self.research_ids: ResearchIdentifiers | None = None
        # Versions of records whose stamps the caller sees through them (`load_stamps`).
        self.trails: dict[tuple[str, uuid.UUID], history.RecordState] = {}

    @classmethod
    def of(cls, context: RequestContext) -> Visibility:
        if "visibility" not in context.cache:
            context.cache["visibility"] = cls(context)
        return context.cache["visibility"]

    async def require_row_access(self) -> None:
        """Refuse callers who may never receive rows about persons, saying why."""
        if self._row_access_checked:
            return
        if self.role is None:
            raise Forbidden("your token carries no HMIS role")
        if self.role is Role.AGGREGATE_READER:
            raise Forbidden("aggregate readers receive counts only, never rows about a person")
        if self.role is Role.CLIENT:
            raise Forbidden("signed-in clients read their own record through `myRecord`")
        if self.role is Role.RESEARCHER:
            today = datetime.now(UTC).date()
            async with self.context.reading() as session:
                agreement = await reads.research_agreement(
                    session, subject=self.principal.subject, today=today
                )
            if agreement is None:
                raise Forbidden("no active research agreement is recorded for you")
            key = self.context.settings.pseudonym_key or ""
            self.research_ids = ResearchIdentifiers(key, agreement)
        self._row_access_checked = True

    @property
    def reads_refusals(self) -> bool:
        """Whether this caller's decisions depend on refusals (a partner's do)."""
        return self.role is Role.AGENCY_STAFF

    async def decide(
        self,
        clients: list[models.Client],
        *,
        tables: Iterable[str] | None = None,
        refusals: dict[uuid.UUID, datetime] | None = None,
    ) -> list[ClientDecision | None]:
        """Decide for a whole page at once; each client is decided once per request.

        `tables`: the only tables whose records will be presented for these clients (a page
        knows from its selection); a refused client's as-of states are then folded for those
        alone. None (the default): every table. `refusals`: the clients' active refusals
        when the page's statement read them with the clients (`reads.earliest_refusal`, for
        every one of `clients`); None: read here.
        """
        async with self._deciding:
            wanted = None if tables is None else frozenset(tables)
            return await self._decide(clients, wanted, refusals)

    async def _decide(
        self,
        clients: list[models.Client],
        wanted: frozenset[str] | None,
        refusals: dict[uuid.UUID, datetime] | None = None,
    ) -> list[ClientDecision | None]:
        new = [c.id for c in clients if c.id not in self.decisions]
        # Decided earlier with the states of fewer tables: load the rest now.
        short = [
            c.id
            for c in clients
            if c.id in self._state_tables
            and c.id not in self._own
            and (wanted is None or not wanted <= self._state_tables[c.id])
        ]
        if new or short:
            async with self.context.reading() as session:
                if new:
                    await self._decide_in(session, new, wanted, refusals)
                if short:
                    # Not one `myRecord` decided as the caller's own meanwhile.
                    cutoffs = {i: self.decisions[i].frozen_at for i in short if i not in self._own}
                    if cutoffs:
                        await self._load_states(session, cutoffs, None)
        return [self.decisions[c.id] for c in clients]

    async def _decide_in(
        self,
        session,
        ids: list[uuid.UUID],
        tables: frozenset[str] | None = None,
        known: dict[uuid.UUID, datetime] | None = None,
    ) -> None:
        refusals = consents = {}
        own_record = None
        if self.reads_refusals:
            refusals = known if known is not None else await reads.active_refusals(
                session, client_ids=ids
            )  # fmt: skip
        elif self.role is Role.RESEARCHER:
            consents = await reads.research_consents(session, client_ids=ids)
        elif self.role is Role.CLIENT:
            own_record = await reads.linked_client(session, subject=self.principal.subject)
        frozen: dict[uuid.UUID, datetime] = {}
        for client_id in ids:
            if client_id in self._own:  # `myRecord` decided it meanwhile
                continue
            facts = ClientFacts(
                client_id=client_id,
                refused_at=refusals.get(client_id),
                research_consent=client_id in consents,
                is_callers_own_record=client_id == own_record,
            )
            decision = policy.decide(self.principal, facts)
            self.decisions[client_id] = decision
            if decision is not None and decision.frozen_at is not None:
                frozen[client_id] = decision.frozen_at
        if frozen:
            await self._load_states(session, frozen, tables)

    async def _load_states(
        self, session, cutoffs: dict[uuid.UUID, datetime], tables: frozenset[str] | None
    ) -> None:
        # One query for every refused client of the page, all their records (of `tables`).
        if tables is None or tables:
            self.states.update(
                await history.as_of(
                    session,
                    cutoffs=cutoffs,
                    organizations=[self.principal.organization_id],
                    entities=tables,
                    # The others read now as they did then (`inspect`).
                    changed_only=True,
                )
            )
        for client_id in cutoffs:
            if tables is None:
                self._state_tables.pop(client_id, None)
            else:
                self._state_tables[client_id] = tables

    def decide_own_record(self, client_id: uuid.UUID) -> ClientDecision:
        """`myRecord`: the caller's linked record, decided as that signed-in client whatever
        other roles the token carries (a researcher's or staff's view of one's own record is
        not the one the notice promises, and would be decided under another role's rules)."""
        as_client = replace(self.principal, roles=frozenset({Role.CLIENT}), organization_id=None)
        facts = ClientFacts(client_id=client_id, is_callers_own_record=True)
        decision = self.decisions[client_id] = policy.decide(as_client, facts)
        # A token with another role too may read the client through other fields in the same
        # request: the request keeps this decision (the caller is the client), which reads the
        # current rows, not the as-of states another role's decision loaded.
        self._own.add(client_id)
        self._state_tables.pop(client_id, None)
        return decision

    def decision(self, client_id: uuid.UUID) -> ClientDecision | None:
        return self.decisions.get(client_id)

    def narrow(self, client_id: uuid.UUID, groups: Iterable[ElementGroup]) -> None:
        """From now on this request presents only `groups` of the client (`policy.restrict`)."""
        decision = self.decisions.get(client_id)
        if decision is not None:
            self.decisions[client_id] = policy.restrict(decision, groups)

    def present(
        self, row: models.ClientData | Record, group: ElementGroup | None = None
    ) -> dict[str, Any] | None:
        """The values of one record as the caller may see them, or None when hidden; what is
        returned is noted as presented (the audit log's record of what the caller received).
        """
        group = group or row.__model__.__group__
        decision = self.decisions.get(row.client_id)
        values = self._values(row, group, decision)
        if values is None:
            return None
        self.presented.add((row.client_id, group))
        if decision.role is Role.RESEARCHER:
            ids = self._identifiers(row.client_id)
            table = row.__model__.__tablename__
            identified = decision.visible(IDENTITY)
            values = {c: ids.column(table, c, v, identified=identified) for c, v in values.items()}
        return values

    def _identifiers(self, client_id: uuid.UUID) -> ResearchIdentifiers | None:
        """The pseudonyms a researcher receives for this client's IDs, or None for callers
        who receive the real ones."""
        decision = self.decisions.get(client_id)
        if decision is None or decision.role is not Role.RESEARCHER:
            return None
        if self.research_ids is None:  # never hand out a real ID for want of an agreement
            raise Forbidden("no active research agreement is recorded for you")
        return self.research_ids

    def linkable(self, client_id: uuid.UUID, other_id: uuid.UUID) -> bool:
        """Whether the caller may see records of two clients tied together (members of one
        household): always, but a researcher never sees a client shown with identity
        (research consent) tied to one without: their IDs are of separate spaces
        (`ResearchIdentifiers.identifier`), and so are their households."""
        if self.role is not Role.RESEARCHER:
            return True
        one, other = self.decisions.get(client_id), self.decisions.get(other_id)
        return bool(one and other and one.visible(IDENTITY) == other.visible(IDENTITY))

    def client_id_of(self, client_id: uuid.UUID) -> str:
        """A client's ID as this caller receives it (a researcher: its pseudonym), also in
        page cursors."""
        ids = self._identifiers(client_id)
        return ids.client(client_id) if ids else str(client_id)

    def client_id_from(self, value: str, field: str) -> uuid.UUID | None:
        """The client an ID given by this caller names (`client_id_of`): a researcher's
        pseudonym, anyone else's real ID. None: a researcher gave no pseudonym of theirs."""
        if self.research_ids is not None:
            return self.research_ids.client_of(str(value))
        try:
            return uuid.UUID(str(value))
        except ValueError:
            raise BadInput(f"`{field}` is not a valid ID", field=[field]) from None

    def research_key(self, client: models.Client | Record) -> str:
        """The client's research key under the researcher's agreement."""
        ids = self._identifiers(client.id)
        if ids is None:
            raise Forbidden("research keys are for researchers")
        return ids.research_key(first_name=client.first_name, last_name=client.last_name,
                                dob=client.dob, ssn=client.ssn)  # fmt: skip

    async def load_stamps(self, rows: Iterable[models.ClientData | Record]) -> None:
        """Read, in one statement, the versions of those presented `rows` whose stamps the
        caller sees only through them (`stamps`): rows written since they were made, holding
        a group the caller does not see, read as they stand now."""
        wanted = []
        for row in rows:
            decision = self.decisions.get(row.client_id)
            key = (row.__model__.__tablename__, row.id)
            if decision is None or key in self.trails or _late(decision, row):
                continue
            if record_stamps.edited(row) and _seen_columns(row, decision) is not None:
                wanted.append(key)
        if wanted:
            async with self.context.reading() as session:
                self.trails.update(await record_stamps.trails(session, wanted))

    def stamps(self, row: models.ClientData | Record) -> record_stamps.Stamps | None:
        """The stamps (HUD DateUpdated, the source's DateUpdated and UserID) the caller sees of
        a presented record, when they are not the row's own: those of the last version that
        changed a field the caller sees (`hmis.db.stamps`), as of the refusal for a partner
        and a record written since. So no stamp moves with a write the caller cannot see."""
        decision = self.decisions.get(row.client_id)
        columns = _seen_columns(row, decision)
        key = (row.__model__.__tablename__, row.id)
        if _late(decision, row):
            state = self.states.get(key)
            if state is None or not state.trail:
                raise RuntimeError("stamps asked of a record that was not presented")
            return record_stamps.seen(state, columns)
        if columns is None or not record_stamps.edited(row):
            return None
        if key not in self.trails:
            raise RuntimeError("stamps asked of a record whose versions were not loaded")
        return record_stamps.seen(self.trails[key], columns)

    def inspect(
        self, row: models.ClientData | Record, group: ElementGroup | None = None
    ) -> dict[str, Any] | None:
        """What `present` would return, for use inside the API only (matching a search or a
        filter against visible values): not noted, so never hand these values out.

        For a partner looking at a refused client, each field is the one it had at the
        refusal (counting the partner's own later writes); records made later do not exist.
        Only the fields of `group` are returned (a client row holds two groups, an enrollment
        row its household too).
        """
        decision = self.decisions.get(row.client_id)
        return self._values(row, group or row.__model__.__group__, decision)

    def _values(self, row, group: ElementGroup, decision: ClientDecision | None):
        """`inspect`, with the client's decision (one lookup for `present` and `inspect`)."""
        model = row.__model__
        if decision is None or not decision.sees_record(group, row.organization_id):
            return None
        # A record not written since the refusal stood then as it stands now (its last write
        # stamped `date_updated`); only the others are read as of the refusal.
        if decision.frozen_at is None or row.date_updated <= decision.frozen_at:
            # The loaded values themselves, copied by one generated function (a page presents
            # thousands of records). An ORM row with an attribute not loaded takes the general
            # path.
            keys, read = _reader(model, group)
            try:
                values = read(row.__dict__)
            except KeyError:
                values = {c: getattr(row, c) for c in keys}
            if (
                decision.role is Role.RESEARCHER
                and group is not IDENTITY
                and decision.visible(IDENTITY)
            ):
                return _to_months(values)
            return values
        loaded = self._state_tables.get(row.client_id)
        if loaded is not None and model.__tablename__ not in loaded:
            # Not "hidden": the page did not load this table (a field missing from
            # hmis.schema.clients.FIELD_TABLES). Fail loudly rather than hide data.
            raise RuntimeError(f"as-of states of {model.__tablename__} were not loaded")
        state = self.states.get((model.__tablename__, row.id))
        if state is None or not state.exists:
            return None
        values = {c: state.values.get(c) for c in model.group_columns(group)}
        values["id"] = row.id
        values["organization_id"] = row.organization_id
        return values


@cache
def _reader(model: type, group: ElementGroup) -> tuple[tuple[str, ...], Callable]:
    """The keys of a presented record of `group` (its columns, then `id` and
    `organization_id`) and a function copying them from a loaded row's dict (KeyError when
    one is not loaded): a dict display of subscripts, twice as quick as `dict(zip(...))`."""
    keys = (*model.group_columns(group), "id", "organization_id")
    source = f"def read(row):\n    return {dict_display(keys, lambda _i, key: f'row[{key!r}]')}\n"
    return keys, function(source, f"<presented {model.__name__} {group.value}>")


def _to_months(values: dict[str, Any]) -> dict[str, Any]:
    """A researcher's dates of a client shown with identity (research consent), each the
    first of its month: a de-identified household member's records carry the same project
    and dates as the consenting member's (one intake), and exact dates on both would pair
    them (docs/audit-logs-research.md). The date of birth is identity, kept."""
    return {k: v.replace(day=1) if type(v) is date else v for k, v in values.items()}


def _late(decision: ClientDecision, row) -> bool:
    """A record written since the refusal that freezes the caller's view: read as of then."""
    return decision.frozen_at is not None and row.date_updated > decision.frozen_at


def _seen_columns(row, decision: ClientDecision) -> frozenset[str] | None:
    """The data columns of `row` the caller sees, or None when it sees every one."""
    return record_stamps.columns_seen(
        row.__model__, lambda group: decision.sees_record(group, row.organization_id)
    )
