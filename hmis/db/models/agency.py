"""Client data that is never shared with partners: contact, health, income, domestic
violence and case notes (HUD Disabilities.csv, IncomeBenefits.csv, HealthAndDV.csv)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped

from hmis.groups import ElementGroup

from .base import Base, ClientData, col, fk

Money = Numeric(10, 2)


class EnrollmentScoped:
    """Assessment records name the client and, when taken at an enrollment, the enrollment."""

    client_id: Mapped[uuid.UUID] = fk("clients.id", hud="PersonalID")
    enrollment_id: Mapped[uuid.UUID | None] = fk(
        "enrollments.id", nullable=True, hud="EnrollmentID"
    )
    information_date: Mapped[date] = col(Date, nullable=False, hud="InformationDate")
    data_collection_stage: Mapped[int | None] = col(Integer, hud="DataCollectionStage")


class Contact(ClientData, Base):
    """How the entering organization reaches the client (no HUD CSV equivalent)."""

    __tablename__ = "contacts"
    __group__ = ElementGroup.CONTACT

    client_id: Mapped[uuid.UUID] = fk("clients.id")
    phone: Mapped[str | None] = col(String(20))
    email: Mapped[str | None] = col(String(320))
    address_line1: Mapped[str | None] = col(String(200))
    city: Mapped[str | None] = col(String(100))
    state: Mapped[str | None] = col(String(2))
    zip: Mapped[str | None] = col(String(10))


class HealthRecord(EnrollmentScoped, ClientData, Base):
    __tablename__ = "health_records"
    __group__ = ElementGroup.HEALTH

    disabling_condition: Mapped[int] = col(Integer, nullable=False, hud="DisablingCondition")


class Disability(EnrollmentScoped, ClientData, Base):
    __tablename__ = "disabilities"
    __group__ = ElementGroup.HEALTH

    disability_type: Mapped[int] = col(Integer, nullable=False, hud="DisabilityType")
    disability_response: Mapped[int] = col(Integer, nullable=False, hud="DisabilityResponse")
    indefinite_and_impairs: Mapped[int | None] = col(Integer, hud="IndefiniteAndImpairs")


class IncomeBenefit(EnrollmentScoped, ClientData, Base):
    __tablename__ = "income_benefits"
    __group__ = ElementGroup.INCOME

    income_from_any_source: Mapped[int] = col(Integer, nullable=False, hud="IncomeFromAnySource")
    total_monthly_income: Mapped[Decimal | None] = col(Money, hud="TotalMonthlyIncome")
    earned: Mapped[int | None] = col(Integer, hud="Earned")
    earned_amount: Mapped[Decimal | None] = col(Money, hud="EarnedAmount")
    unemployment: Mapped[int | None] = col(Integer, hud="Unemployment")
    unemployment_amount: Mapped[Decimal | None] = col(Money, hud="UnemploymentAmount")
    ssi: Mapped[int | None] = col(Integer, hud="SSI")
    ssi_amount: Mapped[Decimal | None] = col(Money, hud="SSIAmount")
    ssdi: Mapped[int | None] = col(Integer, hud="SSDI")
    ssdi_amount: Mapped[Decimal | None] = col(Money, hud="SSDIAmount")
    va_disability_service: Mapped[int | None] = col(Integer, hud="VADisabilityService")
    va_disability_service_amount: Mapped[Decimal | None] = col(
        Money, hud="VADisabilityServiceAmount"
    )
    va_disability_non_service: Mapped[int | None] = col(Integer, hud="VADisabilityNonService")
    va_disability_non_service_amount: Mapped[Decimal | None] = col(
        Money, hud="VADisabilityNonServiceAmount"
    )
    private_disability: Mapped[int | None] = col(Integer, hud="PrivateDisability")
    private_disability_amount: Mapped[Decimal | None] = col(Money, hud="PrivateDisabilityAmount")
    workers_comp: Mapped[int | None] = col(Integer, hud="WorkersComp")
    workers_comp_amount: Mapped[Decimal | None] = col(Money, hud="WorkersCompAmount")
    tanf: Mapped[int | None] = col(Integer, hud="TANF")
    tanf_amount: Mapped[Decimal | None] = col(Money, hud="TANFAmount")
    ga: Mapped[int | None] = col(Integer, hud="GA")
    ga_amount: Mapped[Decimal | None] = col(Money, hud="GAAmount")
    soc_sec_retirement: Mapped[int | None] = col(Integer, hud="SocSecRetirement")
    soc_sec_retirement_amount: Mapped[Decimal | None] = col(Money, hud="SocSecRetirementAmount")
    pension: Mapped[int | None] = col(Integer, hud="Pension")
    pension_amount: Mapped[Decimal | None] = col(Money, hud="PensionAmount")
    child_support: Mapped[int | None] = col(Integer, hud="ChildSupport")
    child_support_amount: Mapped[Decimal | None] = col(Money, hud="ChildSupportAmount")
    alimony: Mapped[int | None] = col(Integer, hud="Alimony")
    alimony_amount: Mapped[Decimal | None] = col(Money, hud="AlimonyAmount")
    other_income_source: Mapped[int | None] = col(Integer, hud="OtherIncomeSource")
    other_income_amount: Mapped[Decimal | None] = col(Money, hud="OtherIncomeAmount")
    other_income_source_identify: Mapped[str | None] = col(
        String(50), hud="OtherIncomeSourceIdentify"
    )


class DomesticViolence(EnrollmentScoped, ClientData, Base):
    __tablename__ = "domestic_violence"
    __group__ = ElementGroup.DOMESTIC_VIOLENCE

    domestic_violence_survivor: Mapped[int] = col(
        Integer, nullable=False, hud="DomesticViolenceSurvivor"
    )
    when_occurred: Mapped[int | None] = col(Integer, hud="WhenOccurred")
    currently_fleeing: Mapped[int | None] = col(Integer, hud="CurrentlyFleeing")


class CaseNote(ClientData, Base):
    """A dated note by staff (no HUD CSV equivalent)."""

    __tablename__ = "case_notes"
    __group__ = ElementGroup.CASE_NOTES

    client_id: Mapped[uuid.UUID] = fk("clients.id")
    note_date: Mapped[date] = col(Date, nullable=False)
    text: Mapped[str] = col(Text, nullable=False)
    # Excluded from the client's own copy (the notice's legal-proceeding exception).
    compiled_for_legal_proceeding: Mapped[bool] = col(
        Boolean, nullable=False, default=False, server_default="0"
    )
