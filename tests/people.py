"""A small CoC for read tests, written through the real write path (hmis.db.history):
a shelter that enters a client, a partner that views them, and a third organization."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hmis.db import history, models, refusals

from . import factories as f


@dataclass
class CoC:
    shelter: models.Organization
    outreach: models.Organization
    housing: models.Organization
    shelter_project: models.Project
    outreach_project: models.Project
    manager: models.StaffUser
    people: dict[str, Any] = field(default_factory=dict)

    def writer(self, org, subject=None):
        return f.staff_writer(org, subject)


async def coc(sessions) -> CoC:
    async with sessions() as s, s.begin():
        shelter = await f.organization(s, "Shelter Org")
        outreach = await f.organization(s, "Outreach Org")
        housing = await f.organization(s, "Housing Org")
        world = CoC(
            shelter=shelter,
            outreach=outreach,
            housing=housing,
            shelter_project=await f.project(s, shelter, "Night Shelter", 0),
            outreach_project=await f.project(s, outreach, "Street Outreach", 4),
            manager=await f.staff(s, shelter, "Mona", "Manager"),
        )
    return world


async def fully_recorded_client(sessions, world: CoC, **identity) -> models.Client:
    """A client the shelter entered with something in every element group."""
    w = world.writer(world.shelter)
    async with sessions() as s, s.begin():
        client = await f.client(
            s, w, ssn="123456789", ssn_data_quality=1, dob=date(1990, 1, 1),
            dob_data_quality=1, woman=1, white=1, veteran_status=0, **identity,
        )  # fmt: skip
        enrollment = await f.enroll(s, w, client, world.shelter_project, date(2024, 1, 5),
                                    household_id="HH-1", relationship_to_hoh=1)  # fmt: skip
        await f.assign(s, w, client, world.manager)
        for model, values in [
            (models.Contact, {"phone": "6305550199", "city": "Wheaton"}),
            (models.HealthRecord, {"disabling_condition": 1, "information_date": date(2024, 1, 5),
                                   "enrollment_id": enrollment.id}),
            (models.IncomeBenefit, {"income_from_any_source": 1, "total_monthly_income": 900,
                                    "earned": 1, "earned_amount": 900,
                                    "information_date": date(2024, 1, 5)}),
            (models.DomesticViolence, {"domestic_violence_survivor": 1, "when_occurred": 1,
                                       "currently_fleeing": 0,
                                       "information_date": date(2024, 1, 5)}),
            (models.CaseNote, {"note_date": date(2024, 1, 6), "text": "Intake done."}),
            (models.CaseNote, {"note_date": date(2024, 2, 1), "text": "For the hearing.",
                               "compiled_for_legal_proceeding": True}),
        ]:  # fmt: skip
            await history.create(s, w, model, client_id=client.id, **values)
    return client


async def update(sessions, writer, model, row_id, **changes):
    async with sessions() as s, s.begin():
        row = await s.get(model, row_id)
        await history.update(s, writer, row, changes)
        return row


async def refuse(sessions, world: CoC, client, members=()):
    async with sessions() as s, s.begin():
        refusal, _ = await refusals.record_refusal(
            s, world.writer(world.shelter), client_id=client.id,
            household_member_ids=[m.id for m in members],
        )  # fmt: skip
    return refusal.recorded_at


async def revoke(sessions, world: CoC, client):
    async with sessions() as s, s.begin():
        await refusals.revoke_refusal(s, world.writer(world.shelter), client_id=client.id)
