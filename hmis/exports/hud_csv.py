"""The HUD FY2026 HMIS CSV files we exchange: each file's columns in HUD's order, and how our
values are written in them (HUD's date and timestamp formats, codes as integers).

The columns are HUD's; those we do not model are written empty. Which database column fills
a HUD column comes from the models (`info["hud"]`, docs/hud-mapping.md), never a second list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from hmis.db import models

CSV_VERSION = "2026"
# The common tail of every file of client data and of Organization.csv and Project.csv.
STAMPS = ("DateCreated", "DateUpdated", "UserID", "DateDeleted", "ExportID")


@dataclass(frozen=True)
class HudFile:
    name: str
    columns: tuple[str, ...]
    key: str | None = None  # the primary key column
    # The model whose `info["hud"]` names fill the columns (None: built by hand).
    model: type | None = None


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


EXPORT = HudFile("Export.csv", _split("""
    ExportID SourceType SourceID SourceName SourceContactFirst SourceContactLast
    SourceContactPhone SourceContactExtension SourceContactEmail ExportDate ExportStartDate
    ExportEndDate SoftwareName SoftwareVersion CSVVersion ExportPeriodType ExportDirective
    HashStatus ImplementationID
"""), "ExportID")  # fmt: skip
ORGANIZATION = HudFile("Organization.csv", _split("""
    OrganizationID OrganizationName VictimServiceProvider OrganizationCommonName
""") + STAMPS, "OrganizationID", models.Organization)  # fmt: skip
USER = HudFile("User.csv", _split("""
    UserID UserFirstName UserLastName UserPhone UserExtension UserEmail
    DateCreated DateUpdated DateDeleted ExportID
"""), "UserID", models.HudUser)  # fmt: skip
PROJECT = HudFile("Project.csv", _split("""
    ProjectID OrganizationID ProjectName ProjectCommonName OperatingStartDate OperatingEndDate
    ContinuumProject ProjectType HousingType RRHSubType ResidentialAffiliation TargetPopulation
    HOPWAMedAssistedLivingFac PITCount
""") + STAMPS, "ProjectID", models.Project)  # fmt: skip
# FY2026: Sex (4.21) after DOBDataQuality in place of FY2024's gender columns (after
# AdditionalRaceEthnicity); HispanicLatinaeo became HispanicLatinao. Enrollment.csv lost R3
# SexualOrientation and C4 translation columns and gained V10 MentalHealthConsultation.
# Verified against HUD's lists as recorded in docs/hud-mapping.md (tests/test_hud_spec.py).
CLIENT = HudFile("Client.csv", _split("""
    PersonalID FirstName MiddleName LastName NameSuffix NameDataQuality SSN SSNDataQuality DOB
    DOBDataQuality Sex AmIndAKNative Asian BlackAfAmerican HispanicLatinao MidEastNAfrican
    NativeHIPacific White RaceNone AdditionalRaceEthnicity VeteranStatus
    YearEnteredService YearSeparated WorldWarII KoreanWar VietnamWar DesertStorm AfghanistanOEF
    IraqOIF IraqOND OtherTheater MilitaryBranch DischargeStatus
""") + STAMPS, "PersonalID", models.Client)  # fmt: skip
ENROLLMENT = HudFile("Enrollment.csv", _split("""
    EnrollmentID PersonalID ProjectID EntryDate HouseholdID RelationshipToHoH EnrollmentCoC
    LivingSituation RentalSubsidyType LengthOfStay LOSUnderThreshold PreviousStreetESSH
    DateToStreetESSH TimesHomelessPastThreeYears MonthsHomelessPastThreeYears
    DisablingCondition DateOfEngagement MoveInDate DateOfPATHStatus ClientEnrolledInPATH
    ReasonNotEnrolled PercentAMI ReferralSource CountOutreachReferralApproaches
    DateOfBCPStatus EligibleForRHY ReasonNoServices RunawayYouth FormerWardChildWelfare
    ChildWelfareYears ChildWelfareMonths FormerWardJuvenileJustice JuvenileJusticeYears
    JuvenileJusticeMonths UnemploymentFam MentalHealthDisorderFam PhysicalDisabilityFam
    AlcoholDrugUseDisorderFam InsufficientIncome IncarceratedParent VAMCStation
    TargetScreenReqd TimeToHousingLoss AnnualPercentAMI LiteralHomelessHistory
    ClientLeaseholder HOHLeaseholder SubsidyAtRisk EvictionHistory CriminalRecord
    IncarceratedAdult PrisonDischarge SexOffender DisabledHoH CurrentPregnant SingleParent
    DependentUnder6 HH5Plus CoCPrioritized HPScreeningScore ThresholdScore
    MentalHealthConsultation
""") + STAMPS, "EnrollmentID", models.Enrollment)  # fmt: skip
EXIT = HudFile("Exit.csv", _split("""
    ExitID EnrollmentID PersonalID ExitDate Destination DestinationSubsidyType OtherDestination
    HousingAssessment SubsidyInformation ProjectCompletionStatus EarlyExitReason ExchangeForSex
    ExchangeForSexPastThreeMonths CountOfExchangeForSex AskedOrForcedToExchangeForSex
    AskedOrForcedToExchangeForSexPastThreeMonths WorkplaceViolenceThreats
    WorkplacePromiseDifference CoercedToContinueWork LaborExploitPastThreeMonths
    CounselingReceived IndividualCounseling FamilyCounseling GroupCounseling
    SessionCountAtExit PostExitCounselingPlan SessionsInPlan DestinationSafeClient
    DestinationSafeWorker PosAdultConnections PosPeerConnections PosCommunityConnections
    AftercareDate AftercareProvided EmailSocialMedia Telephone InPersonIndividual
    InPersonGroup CMExitReason
""") + STAMPS, "ExitID", models.Exit)  # fmt: skip
HEALTH_AND_DV = HudFile("HealthAndDV.csv", _split("""
    HealthAndDVID EnrollmentID PersonalID InformationDate DomesticViolenceSurvivor WhenOccurred
    CurrentlyFleeing GeneralHealthStatus DentalHealthStatus MentalHealthStatus PregnancyStatus
    DueDate DataCollectionStage
""") + STAMPS, "HealthAndDVID", models.DomesticViolence)  # fmt: skip
INCOME_BENEFITS = HudFile("IncomeBenefits.csv", _split("""
    IncomeBenefitsID EnrollmentID PersonalID InformationDate IncomeFromAnySource
    TotalMonthlyIncome Earned EarnedAmount Unemployment UnemploymentAmount SSI SSIAmount SSDI
    SSDIAmount VADisabilityService VADisabilityServiceAmount VADisabilityNonService
    VADisabilityNonServiceAmount PrivateDisability PrivateDisabilityAmount WorkersComp
    WorkersCompAmount TANF TANFAmount GA GAAmount SocSecRetirement SocSecRetirementAmount
    Pension PensionAmount ChildSupport ChildSupportAmount Alimony AlimonyAmount
    OtherIncomeSource OtherIncomeAmount OtherIncomeSourceIdentify BenefitsFromAnySource SNAP
    WIC TANFChildCare TANFTransportation OtherTANF OtherBenefitsSource
    OtherBenefitsSourceIdentify InsuranceFromAnySource Medicaid NoMedicaidReason Medicare
    NoMedicareReason SCHIP NoSCHIPReason VHAServices NoVHAReason EmployerProvided
    NoEmployerProvidedReason COBRA NoCOBRAReason PrivatePay NoPrivatePayReason StateHealthIns
    NoStateHealthInsReason IndianHealthServices NoIndianHealthServicesReason OtherInsurance
    OtherInsuranceIdentify ADAP NoADAPReason RyanWhiteMedDent NoRyanWhiteReason
    ConnectionWithSOAR DataCollectionStage
""") + STAMPS, "IncomeBenefitsID", models.IncomeBenefit)  # fmt: skip
DISABILITIES = HudFile("Disabilities.csv", _split("""
    DisabilitiesID EnrollmentID PersonalID InformationDate DisabilityType DisabilityResponse
    IndefiniteAndImpairs TCellCountAvailable TCellCount TCellSource ViralLoadAvailable
    ViralLoad ViralLoadSource AntiRetroviral DataCollectionStage
""") + STAMPS, "DisabilitiesID", models.Disability)  # fmt: skip

# In the order they are written (and read back: a file refers only to those before it).
FILES = (EXPORT, ORGANIZATION, USER, PROJECT, CLIENT, ENROLLMENT, EXIT, HEALTH_AND_DV,
         INCOME_BENEFITS, DISABILITIES)  # fmt: skip
# The agency-only files: a partner's export holds only its own organization's rows.
AGENCY_ONLY = (HEALTH_AND_DV, INCOME_BENEFITS, DISABILITIES)
# Enrollment.csv DisablingCondition is our HEALTH record taken at project start.
DISABLING_CONDITION = "DisablingCondition"


# Keys and references between files: written by the exporter and importer themselves.
KEYS = frozenset({"PersonalID", "EnrollmentID", "ProjectID", "OrganizationID", "UserID"})


@cache
def data_columns(model: type) -> dict[str, str]:
    """HUD column -> database column for the data a model's file carries (keys and stamps
    are written by the exporter itself)."""
    skip = {*KEYS, *STAMPS}
    found = {}
    for column in model.__table__.columns:
        hud = column.info.get("hud")
        if hud and hud not in skip and not hud.startswith("("):
            found[hud] = column.key
    return found


def _timestamp(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat(" ", "seconds")


# By exact type: an export formats millions of values, and one lookup beats a chain of
# isinstance checks.
_FORMATS: dict[type, Any] = {
    str: str,
    int: str,
    bool: lambda v: "1" if v else "0",
    datetime: _timestamp,
    date: date.isoformat,
    Decimal: lambda v: f"{v:.2f}",
}


def text(value: Any) -> str:
    """A value as HUD's CSV writes it: dates yyyy-mm-dd, timestamps yyyy-mm-dd hh:mm:ss (UTC,
    the database's stamps), booleans and codes as integers, money with two decimals."""
    if value is None:
        return ""
    return _FORMATS.get(type(value), str)(value)
