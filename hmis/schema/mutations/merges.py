"""mergeClients and unmergeClients (administrators): one person entered twice becomes one
record, and back (`hmis.db.merges`, docs/merging-duplicates.md)."""

from __future__ import annotations

import datetime
import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hmis.auth.policy import Action
from hmis.db import merges, models
from hmis.resolvers.clients import one_client
from hmis.resolvers.validate import Check

from ..clients import Client
from ..groups import gid
from .common import FieldError, allowed, mutate

MAX_REASON = 2000


@strawberry.input
class MergeClientsInput:
    survivor_id: strawberry.ID = strawberry.field(description="The record that remains.")
    merged_id: strawberry.ID = strawberry.field(
        description="The duplicate: its records move to the survivor and its ID stops answering."
    )
    reason: str = strawberry.field(description="Why they are one person (kept with the merge).")


@strawberry.input
class UnmergeClientsInput:
    merge_id: strawberry.ID
    reason: str


@strawberry.type(description="How many rows of one table a merge moved to the survivor.")
class MovedRows:
    table: str
    count: int


@strawberry.type(description="A merge of two client records (administrators).")
class ClientMerge:
    id: strawberry.ID
    survivor_id: strawberry.ID
    merged_id: strawberry.ID
    reason: str
    merged_by: str
    merged_at: datetime.datetime
    moved: list[MovedRows]
    unmerged_by: str | None
    unmerged_at: datetime.datetime | None
    unmerge_reason: str | None

    @classmethod
    def of(cls, row: models.ClientMerge) -> ClientMerge:
        moved = [
            MovedRows(table=t, count=v if isinstance(v, int) else len(v))
            for t, v in sorted(row.moved.items())
        ]
        return cls(id=gid(row.id), survivor_id=gid(row.survivor_id),
                   merged_id=gid(row.merged_id), reason=row.reason, merged_by=row.merged_by,
                   merged_at=row.merged_at, moved=moved, unmerged_by=row.unmerged_by,
                   unmerged_at=row.unmerged_at, unmerge_reason=row.unmerge_reason)  # fmt: skip


@strawberry.type
class MergeClientsPayload:
    merge: ClientMerge | None
    survivor: Client | None
    errors: list[FieldError]


@strawberry.type
class UnmergeClientsPayload:
    merge: ClientMerge | None
    survivor: Client | None
    restored: Client | None = strawberry.field(description="The client merged away, back.")
    errors: list[FieldError]


async def _client(info: Info, client_id: uuid.UUID) -> Client | None:
    found = await one_client(info.context, client_id)
    return found and Client(row=found[0], decision=found[1])


def _refused(check: Check, refused: merges.MergeRefused) -> None:
    check.fail(refused.field, refused.message, refused.code)
    check.done()


@strawberry.type
class MergeMutations:
    @strawberry.mutation(
        description="Merge two records of one person (administrators): every record, refusal, "
        "consent and login of `mergedId` moves to `survivorId`; undone by `unmergeClients`."
    )
    async def merge_clients(self, info: Info, input: MergeClientsInput) -> MergeClientsPayload:
        principal = allowed(info, Action.ADMINISTER)

        async def work(session: AsyncSession):
            check = Check()
            survivor_id = check.uuid("survivorId", input.survivor_id)
            merged_id = check.uuid("mergedId", input.merged_id)
            reason = check.text("reason", input.reason, max_length=MAX_REASON, required=True)
            check.done()
            try:
                row = await merges.merge(session, principal.writer, survivor_id=survivor_id,
                                         merged_id=merged_id, reason=reason)  # fmt: skip
            except merges.MergeRefused as refused:
                _refused(check, refused)
            return row

        async def read_back(info: Info, row: models.ClientMerge):
            return ClientMerge.of(row), await _client(info, row.survivor_id)

        return await mutate(info, work, MergeClientsPayload, ("merge", "survivor"), read_back)

    @strawberry.mutation(
        description="Undo a merge (administrators): the rows it moved, and what was since "
        "attached to them, go back to the merged-away client, whose ID answers again."
    )
    async def unmerge_clients(
        self, info: Info, input: UnmergeClientsInput
    ) -> UnmergeClientsPayload:
        principal = allowed(info, Action.ADMINISTER)

        async def work(session: AsyncSession):
            check = Check()
            merge_id = check.uuid("mergeId", input.merge_id)
            reason = check.text("reason", input.reason, max_length=MAX_REASON, required=True)
            check.done()
            try:
                row = await merges.unmerge(session, principal.writer, merge_id=merge_id,
                                           reason=reason)  # fmt: skip
            except merges.MergeRefused as refused:
                _refused(check, refused)
            return row

        async def read_back(info: Info, row: models.ClientMerge):
            survivor = await _client(info, row.survivor_id)
            return ClientMerge.of(row), survivor, await _client(info, row.merged_id)

        return await mutate(info, work, UnmergeClientsPayload,
                            ("merge", "survivor", "restored"), read_back)  # fmt: skip
