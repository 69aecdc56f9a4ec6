"""Enrollments with their exit and project (ENROLLMENTS), household fields (HOUSEHOLD) and
the case manager assignment (CASE_MANAGER)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from hmis.db import models
from hmis.groups import ElementGroup as G
from hmis.resolvers import households
from hmis.resolvers.visibility import Visibility

from . import enums as E
from .grouping import group_note, grouped
from .groups import gid
from .public import Organization

if TYPE_CHECKING:
    from .clients import Client


@grouped(G.ENROLLMENTS, "A project of a participating organization.")
class Project:
    id: strawberry.ID
    name: str
    project_type: E.ProjectType | None
    organization: Organization

    @classmethod
    def of(cls, project, organization) -> Project:
        return cls(
            id=gid(project.id),
            name=project.name,
            project_type=E.code(E.ProjectType, project.project_type),
            organization=Organization.from_row(organization),
        )


@grouped(G.HOUSEHOLD, "A member of a household: their enrollment in it and who they are.")
class HouseholdMember:
    enrollment_id: strawberry.ID = strawberry.field(description="Researchers receive a pseudonym.")
    relationship_to_hoh: E.RelationshipToHoH | None = strawberry.field(name="relationshipToHoH")
    client: Annotated[Client, strawberry.lazy("hmis.schema.clients")] = strawberry.field(
        description="Each group of the member's client as their own decision allows."
    )


@grouped(G.HOUSEHOLD, "The household of an enrollment.")
class EnrollmentHousehold:
    household_id: str | None = strawberry.field(description="Researchers receive a pseudonym.")
    relationship_to_hoh: E.RelationshipToHoH | None = strawberry.field(name="relationshipToHoH")
    row: strawberry.Private[Any]

    @strawberry.field(
        description="The household's members in this project (this enrollment's client too), "
        "head first; only members you may see, as you may see them (for a partner and a "
        "refused member: as of the refusal)."
    )
    async def members(self, info: Info) -> list[HouseholdMember]:
        from .clients import Client  # the client type refers back to enrollments

        visibility = Visibility.of(info.context)
        shown = []
        for values, client in await households.members(info.context, self.row):
            decision = visibility.decision(client.id)
            shown.append(
                HouseholdMember(
                    enrollment_id=gid(values["id"]),
                    relationship_to_hoh=E.code(E.RelationshipToHoH, values["relationship_to_hoh"]),
                    client=Client(row=client, decision=decision),
                )
            )
        return shown


@grouped(G.ENROLLMENTS, "A stay in a project: entry and, once left, the exit.")
class Enrollment:
    id: strawberry.ID = strawberry.field(description="Researchers receive a pseudonym.")
    project: Project
    entry_date: datetime.date
    exit_date: datetime.date | None
    destination: E.Destination | None
    destination_subsidy_type: E.RentalSubsidyType | None
    reason_for_leaving: E.ReasonForLeaving | None = strawberry.field(
        description="HUD 4.15G Reason for Leaving."
    )
    row: strawberry.Private[models.Enrollment]

    @strawberry.field(description=f"{group_note(G.HOUSEHOLD)} Null when not visible to you.")
    def household(self, info: Info) -> EnrollmentHousehold | None:
        # Presented only when asked for: the audit log records the groups a caller received.
        household = Visibility.of(info.context).present(self.row, G.HOUSEHOLD)
        return household and EnrollmentHousehold(
            row=self.row,
            household_id=household["household_id"],
            relationship_to_hoh=E.code(E.RelationshipToHoH, household["relationship_to_hoh"]),
        )

    @classmethod
    def of(
        cls,
        values: dict[str, Any],
        exit: dict[str, Any] | None,
        row: models.Enrollment,
        project: Project,
    ) -> Enrollment:
        """`values` and `exit` as presented; `row` is presented again for `household`."""
        exit = exit or {}
        return cls(
            row=row,
            id=gid(values["id"]),
            project=project,
            entry_date=values["entry_date"],
            exit_date=exit.get("exit_date"),
            destination=E.code(E.Destination, exit.get("destination")),
            destination_subsidy_type=E.code(
                E.RentalSubsidyType, exit.get("destination_subsidy_type")
            ),
            reason_for_leaving=E.code(E.ReasonForLeaving, exit.get("reason_for_leaving")),
        )


@grouped(G.CASE_MANAGER, "The client's assigned case manager and how to reach them.")
class CaseManagerAssignment:
    id: strawberry.ID
    first_name: str
    last_name: str
    phone: str | None
    extension: str | None
    email: str | None
    organization: Organization
    start_date: datetime.date
    end_date: datetime.date | None = strawberry.field(
        description="The last day of the assignment, once ended."
    )

    @classmethod
    def of(cls, values: dict[str, Any], staff, organization) -> CaseManagerAssignment:
        return cls(
            id=gid(values["id"]),
            first_name=staff.first_name,
            last_name=staff.last_name,
            phone=staff.phone,
            extension=staff.extension,
            email=staff.email,
            organization=Organization.from_row(organization),
            start_date=values["start_date"],
            end_date=values.get("end_date"),
        )
