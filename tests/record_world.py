"""A seeded CoC's client with the most records, linked to a login, whose record was read by an
administrator, an auditor and staff, with a disclosure, a correction request and a complaint:
the client copy's test subject."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from hmis.db import models
from hmis.seed.build import unsafe_bulk_seed

from .support import gql

SUBJECT = "client-with-history"


async def busiest_client(engine, sessions, api, token) -> str:
    """Seed 60 clients; the subject of a login linked to the one with the most rows."""
    await unsafe_bulk_seed(engine, clients=60, seed=1)
    async with sessions() as s, s.begin():
        counts = (
            select(models.Disability.client_id, func.count().label("n"))
            .group_by(models.Disability.client_id)
            .subquery()
        )
        client_id = await s.scalar(
            select(models.Client.id)
            .join(counts, counts.c.client_id == models.Client.id)
            .where(models.Client.first_name.is_not(None))
            .order_by(counts.c.n.desc(), models.Client.id)
            .limit(1)
        )
        s.add(models.ClientLogin(client_id=client_id, subject=SUBJECT, created_by="admin",
                                 created_at=datetime.now(UTC)))  # fmt: skip
        s.add(models.Disclosure(client_id=client_id, recipient="DuPage County Coroner",
                                recipient_type="CORONER_OR_MEDICAL_EXAMINER",
                                legal_basis="State statute", reference="Case 2026-114",
                                groups=["IDENTITY", "HEALTH"], recorded_by="admin",
                                recorded_at=datetime.now(UTC)))  # fmt: skip
        enrolled = await s.scalar(
            select(models.Enrollment.organization_id)
            .where(models.Enrollment.client_id == client_id)
            .limit(1)
        )
    read = """query Read($id: ID!) {
      client(id: $id) { identity { lastName } health { informationDate } }
    }"""
    for who in (token("hmis_admin"), token("auditor"),
                token("agency_staff", org=str(enrolled), sub="staff-reader")):  # fmt: skip
        status, body = await gql(api, read, {"id": str(client_id)}, token=who)
        assert status == 200 and "errors" not in body, body
    mine = token("client", sub=SUBJECT)
    for mutation, variables in (
        ("mutation C($id: ID!) { requestCorrection(input: {clientId: $id, field: \"dob\", "
         "requestedValue: \"1990-02-01\"}) { errors { message } } }", {"id": str(client_id)}),
        ("mutation { fileComplaint(input: {text: \"My caseworker shared my phone number.\"}) "
         "{ errors { message } } }", None),
    ):  # fmt: skip
        status, body = await gql(api, mutation, variables, token=mine)
        assert status == 200 and "errors" not in body, body
    return SUBJECT
