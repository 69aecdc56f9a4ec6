"""`aggregateCounts`: de-identified counts over the whole CoC, for administrators, auditors and
aggregate readers. Aggregate-only: no field here is client data of an element group, and no
row about a person is reachable from it (docs/aggregates.md)."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from hmis.aggregates import counts as counting
from hmis.aggregates import definitions as defs
from hmis.aggregates.tables import publish
from hmis.auth import policy
from hmis.auth.guards import require_principal
from hmis.auth.policy import AGGREGATE_ROLES
from hmis.auth.principal import Role
from hmis.errors import BadInput
from hmis.groups import ElementGroup

AGGREGATE_ONLY = "Aggregate-only: de-identified counts, never a row about a person."


AggregateMeasure = strawberry.enum(
    defs.Measure,
    name="AggregateMeasure",
    description=f"What is counted, unduplicated. {AGGREGATE_ONLY}",
)
AggregateDimension = strawberry.enum(
    defs.Dimension,
    name="AggregateDimension",
    description="What a table is broken down by: a fixed list, at most 2 per table, each "
    f"counted from the element group its description names. {AGGREGATE_ONLY}",
)
PeriodUnit = strawberry.enum(defs.PeriodUnit, name="PeriodUnit",
                             description=f"A whole calendar unit. {AGGREGATE_ONLY}")  # fmt: skip


@strawberry.input(
    description=f"A whole calendar year, quarter or month, from its first day. {AGGREGATE_ONLY}"
)
class ReportingPeriod:
    unit: PeriodUnit
    start: datetime.date = strawberry.field(
        description="The unit's first day: 1 January, the first day of a quarter or a month."
    )


@strawberry.input(description=f"An aggregate table. {AGGREGATE_ONLY}")
class AggregateInput:
    measure: AggregateMeasure
    period: ReportingPeriod
    by: list[AggregateDimension] | None = strawberry.field(
        default=None, description="At most 2 dimensions; none gives the total only."
    )


@strawberry.type(description=f"A count, or suppressed (count null). {AGGREGATE_ONLY}")
class AggregateCell:
    count: int | None
    suppressed: bool


@strawberry.type(description=f"One cell of the table and its key. {AGGREGATE_ONLY}")
class AggregateRow:
    key: list[str] = strawberry.field(description="One value of each dimension of `by`.")
    cell: AggregateCell


@strawberry.type(description=f"Counts by the requested dimensions. {AGGREGATE_ONLY}")
class AggregateTable:
    measure: AggregateMeasure
    dimensions: list[AggregateDimension]
    rows: list[AggregateRow] = strawberry.field(
        description="Every combination of the dimensions' values, zeros included."
    )
    total: AggregateCell = strawberry.field(description="Unduplicated: each unit once.")
    suppression_rule: str
    notes: list[str] = strawberry.field(
        description="How to read the table, e.g. dimensions a person may count in several "
        "rows of (HUD's non-exclusive race and gender)."
    )


@strawberry.type
class AggregateQuery:
    @strawberry.field(
        description="De-identified counts over every client of the CoC, small cells "
        "suppressed. HMIS administrators, auditors and aggregate readers. Audited (action "
        f"AGGREGATE, no client). {AGGREGATE_ONLY}"
    )
    async def aggregate_counts(
        self,
        info: Info,
        input: AggregateInput,
    ) -> AggregateTable:
        require_principal(info, *AGGREGATE_ROLES)
        period = defs.Period(defs.PeriodUnit(input.period.unit.value), input.period.start)
        period.check(["input", "period"])
        unit = info.context.settings.aggregate_reader_unit
        if policy.acting_role(info.context.principal) is Role.AGGREGATE_READER and (
            period.unit.value != unit
        ):
            raise BadInput(
                f"`input.period.unit`: aggregate readers receive {unit} tables only (the "
                "HMIS lead's HMIS_AGGREGATE_READER_UNIT), so no two published periods overlap",
                field=["input", "period", "unit"],
            )
        by = defs.check_dimensions([defs.Dimension(d.value) for d in input.by or []],
                                   ["input", "by"])  # fmt: skip
        measure = defs.Measure(input.measure.value)
        async with info.context.reading() as session:
            counts = await counting.count(session, measure=measure, period=period, by=by)
        table = publish(counts)
        groups = {ElementGroup.ENROLLMENTS, *(defs.DIMENSION_GROUPS[d] for d in by)}
        info.context.access_log.aggregates.append(groups)
        return AggregateTable(
            measure=input.measure,
            dimensions=list(input.by or []),
            rows=[
                AggregateRow(
                    key=list(key), cell=AggregateCell(count=c.count, suppressed=c.suppressed)
                )
                for key, c in table.rows
            ],  # fmt: skip
            total=AggregateCell(count=table.total.count, suppressed=table.total.suppressed),
            suppression_rule=table.rule,
            notes=table.notes,
        )
