"""The root Mutation, assembled from one class per area."""

from __future__ import annotations

import strawberry

from .clients import ClientMutations
from .refusals import RefusalMutations
from .services import ServiceMutations


@strawberry.type
class Mutation(ClientMutations, ServiceMutations, RefusalMutations):
    pass
