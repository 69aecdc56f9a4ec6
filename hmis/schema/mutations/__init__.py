"""The root Mutation, assembled from one class per area."""

from __future__ import annotations

import strawberry

from .admin import AdminMutations
from .clients import ClientMutations
from .deletions import DeletionMutations
from .disclosures import DisclosureMutations
from .households import HouseholdMutations
from .lifecycle import LifecycleMutations
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
    LifecycleMutations,
    HouseholdMutations,
    DeletionMutations,
):
    pass
