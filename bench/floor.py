"""Workload E, the framework floor: the response of workload A produced by a plain Strawberry
schema over in-memory Python objects: no database, no token, no policy, no audit, no extensions.

The objects are built from A's own response, so E returns the same JSON (the same shape and
sizes) through the same in-process HTTP as A; the difference is what our API adds.
"""

from __future__ import annotations

import datetime
import enum
from typing import Any

import strawberry
from strawberry.asgi import GraphQL

from hmis import hud


def _enum(source: type[hud.HudCode]):
    return strawberry.enum(enum.Enum(source.__name__, {m.name: int(m) for m in source}))


NameDataQuality = _enum(hud.NameDataQuality)
SsnDataQuality = _enum(hud.SsnDataQuality)
DobDataQuality = _enum(hud.DobDataQuality)
Race = _enum(hud.Race)
Gender = _enum(hud.Gender)
NoYesMissing = _enum(hud.NoYesMissing)
ProjectType = _enum(hud.ProjectType)
Destination = _enum(hud.Destination)


@strawberry.type
class Organization:
    id: strawberry.ID
    name: str


@strawberry.type
class Project:
    id: strawberry.ID
    name: str
    project_type: ProjectType | None
    organization: Organization


@strawberry.type
class Enrollment:
    id: strawberry.ID
    entry_date: datetime.date
    exit_date: datetime.date | None
    destination: Destination | None
    project: Project


@strawberry.type
class EnrollmentEdge:
    node: Enrollment


@strawberry.type
class EnrollmentConnection:
    total_count: int
    edges: list[EnrollmentEdge]


@strawberry.type
class Identity:
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    name_suffix: str | None
    name_data_quality: NameDataQuality | None
    ssn: str | None
    ssn_data_quality: SsnDataQuality | None
    dob: datetime.date | None
    dob_data_quality: DobDataQuality | None


@strawberry.type
class Demographics:
    race: list[Race]
    additional_race_ethnicity: str | None
    gender: list[Gender]
    different_identity_text: str | None
    veteran_status: NoYesMissing | None


@strawberry.type
class CaseManager:
    id: strawberry.ID
    first_name: str
    last_name: str
    phone: str | None
    extension: str | None
    email: str | None
    start_date: datetime.date
    organization: Organization


@strawberry.type
class Client:
    id: strawberry.ID
    identity: Identity | None
    demographics: Demographics | None
    enrollments: EnrollmentConnection
    case_manager: CaseManager | None


@strawberry.type
class ClientEdge:
    cursor: str
    node: Client


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ClientConnection:
    total_count: int
    page_info: PageInfo
    edges: list[ClientEdge]


def _date(value: str | None) -> datetime.date | None:
    return value and datetime.date.fromisoformat(value)


def _member(kind, name: str | None):
    return None if name is None else kind[name]


def _org(o: dict) -> Organization:
    return Organization(id=o["id"], name=o["name"])


def _client(n: dict[str, Any]) -> Client:
    i, d, cm = n["identity"], n["demographics"], n["caseManager"]
    enrollments = [
        EnrollmentEdge(
            node=Enrollment(
                id=e["id"],
                entry_date=_date(e["entryDate"]),
                exit_date=_date(e["exitDate"]),
                destination=_member(Destination, e["destination"]),
                project=Project(
                    id=e["project"]["id"],
                    name=e["project"]["name"],
                    project_type=_member(ProjectType, e["project"]["projectType"]),
                    organization=_org(e["project"]["organization"]),
                ),
            )
        )
        for e in (edge["node"] for edge in n["enrollments"]["edges"])
    ]
    return Client(
        id=n["id"],
        identity=i
        and Identity(
            first_name=i["firstName"],
            middle_name=i["middleName"],
            last_name=i["lastName"],
            name_suffix=i["nameSuffix"],
            name_data_quality=_member(NameDataQuality, i["nameDataQuality"]),
            ssn=i["ssn"],
            ssn_data_quality=_member(SsnDataQuality, i["ssnDataQuality"]),
            dob=_date(i["dob"]),
            dob_data_quality=_member(DobDataQuality, i["dobDataQuality"]),
        ),
        demographics=d
        and Demographics(
            race=[Race[r] for r in d["race"]],
            additional_race_ethnicity=d["additionalRaceEthnicity"],
            gender=[Gender[g] for g in d["gender"]],
            different_identity_text=d["differentIdentityText"],
            veteran_status=_member(NoYesMissing, d["veteranStatus"]),
        ),
        enrollments=EnrollmentConnection(
            total_count=n["enrollments"]["totalCount"], edges=enrollments
        ),
        case_manager=cm
        and CaseManager(
            id=cm["id"],
            first_name=cm["firstName"],
            last_name=cm["lastName"],
            phone=cm["phone"],
            extension=cm["extension"],
            email=cm["email"],
            start_date=_date(cm["startDate"]),
            organization=_org(cm["organization"]),
        ),
    )


def floor_app(response: dict) -> GraphQL:
    """A plain Strawberry ASGI app whose `clients` returns the page of `response` (A's JSON)."""
    page = response["data"]["clients"]
    connection = ClientConnection(
        total_count=page.get("totalCount", 0),  # served only if the query asks
        page_info=PageInfo(
            has_next_page=page["pageInfo"]["hasNextPage"],
            end_cursor=page["pageInfo"]["endCursor"],
        ),
        edges=[ClientEdge(cursor=e["cursor"], node=_client(e["node"])) for e in page["edges"]],
    )

    @strawberry.type
    class Query:
        @strawberry.field
        def clients(self, first: int, after: str | None = None) -> ClientConnection:
            return connection

    return GraphQL(strawberry.Schema(query=Query), graphql_ide=None)
