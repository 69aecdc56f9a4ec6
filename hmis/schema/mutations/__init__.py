"""The root Mutation, assembled from one class per area."""

from __future__ import annotations

import strawberry

from .admin import AdminMutations
from .clients import ClientMutations
from .disclosures import DisclosureMutations
from .merges import MergeMutations
from .records import RecordMutations
from .refusals import RefusalMutations
from .rights import RightsMutations
from .services import ServiceMutations


@strawberry.type
class Mutation(
    AdminMutations,
    ClientMutations,
    ServiceMutations,
    RecordMutations,
    RefusalMutations,
    RightsMutations,
    DisclosureMutations,
    MergeMutations,
):
    pass
