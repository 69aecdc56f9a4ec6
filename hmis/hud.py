"""HUD FY2026 HMIS code lists as ``IntEnum`` classes.

The codes and labels follow HUD's FY2026 HMIS CSV Format Specifications
(effective 1 October 2025) and the FY2026 HMIS Data Dictionary, which that
format implements; lists FY2026 left unchanged keep their FY2024 numbers.
The list number in each class docstring is HUD's
(for example ``3.12`` for Destination). Apostrophes are plain ASCII, as in
the CSV lists. Dashes in project type labels are en dashes, as HUD prints them.

Each member's integer value is HUD's code, and ``member.label`` holds HUD's
label::

    >>> Destination(24).label
    'Deceased'
    >>> int(ProjectType.ES_ENTRY_EXIT)
    0
    >>> label(Gender, "5")
    'Transgender'
"""

from enum import IntEnum
from typing import Any

__all__ = [
    "GENDER_COLUMNS",
    "INCOME_SOURCE_COLUMNS",
    "RACE_COLUMNS",
    "RACE_COLUMNS_FY2024",
    "DataCollectionStage",
    "Destination",
    "DisabilityResponse",
    "DisabilityType",
    "DobDataQuality",
    "Gender",
    "HudCode",
    "MissingReason",
    "NameDataQuality",
    "NoYes",
    "NoYesMissing",
    "ProjectType",
    "Race",
    "ReasonForLeaving",
    "RelationshipToHoH",
    "RentalSubsidyType",
    "Sex",
    "SsnDataQuality",
    "VictimServiceProvider",
    "WhenDVOccurred",
    "label",
]

# HUD's shared labels for missing data (codes 8, 9 and 99).
_DOESNT_KNOW = "Client doesn't know"
_PREFERS_NOT = "Client prefers not to answer"
_NOT_COLLECTED = "Data not collected"


class HudCode(IntEnum):
    """Base for HUD code lists: declare members as ``NAME = (code, "HUD label")``."""

    label: str

    def __new__(cls, code: int, hud_label: str) -> "HudCode":
        member = int.__new__(cls, code)
        member._value_ = code
        member.label = hud_label
        return member


_NO_DEFAULT: Any = object()


def label(enum_cls: type[HudCode], code: Any, default: Any = _NO_DEFAULT) -> Any:
    """Return HUD's label for ``code`` in ``enum_cls``.

    ``code`` may be an int or a numeric string (as read from a CSV file).
    If the code is missing or not in the list, return ``default`` when given;
    otherwise raise ``ValueError``.
    """
    try:
        return enum_cls(int(code)).label
    except (TypeError, ValueError):
        if default is _NO_DEFAULT:
            raise ValueError(f"{code!r} is not a valid {enum_cls.__name__} code") from None
        return default


class NoYes(HudCode):
    """HUD list 1.10 No/Yes (the brief calls it 1.7; in FY2024, 1.7 is No/Yes/Missing)."""

    NO = (0, "No")
    YES = (1, "Yes")


# Organization.csv VictimServiceProvider uses list 1.10 No/Yes.
VictimServiceProvider = NoYes


class NoYesMissing(HudCode):
    """HUD list 1.8 No/Yes/Reasons for Missing Data."""

    NO = (0, "No")
    YES = (1, "Yes")
    CLIENT_DOESNT_KNOW = (8, _DOESNT_KNOW)
    CLIENT_PREFERS_NOT_TO_ANSWER = (9, _PREFERS_NOT)
    DATA_NOT_COLLECTED = (99, _NOT_COLLECTED)


class MissingReason(HudCode):
    """HUD list 1.6 RaceNone (also used for GenderNone)."""

    CLIENT_DOESNT_KNOW = (8, _DOESNT_KNOW)
    CLIENT_PREFERS_NOT_TO_ANSWER = (9, _PREFERS_NOT)
    DATA_NOT_COLLECTED = (99, _NOT_COLLECTED)


class NameDataQuality(HudCode):
    """HUD list 3.01.5 NameDataQuality."""

    FULL = (1, "Full name reported")
    PARTIAL = (2, "Partial, street name, or code name reported")
    CLIENT_DOESNT_KNOW = (8, _DOESNT_KNOW)
    CLIENT_PREFERS_NOT_TO_ANSWER = (9, _PREFERS_NOT)
    DATA_NOT_COLLECTED = (99, _NOT_COLLECTED)


class SsnDataQuality(HudCode):
    """HUD list 3.02.2 SSNDataQuality."""

    FULL = (1, "Full SSN reported")
    APPROXIMATE_OR_PARTIAL = (2, "Approximate or partial SSN reported")
    CLIENT_DOESNT_KNOW = (8, _DOESNT_KNOW)
    CLIENT_PREFERS_NOT_TO_ANSWER = (9, _PREFERS_NOT)
    DATA_NOT_COLLECTED = (99, _NOT_COLLECTED)


class DobDataQuality(HudCode):
    """HUD list 3.03.2 DOBDataQuality."""

    FULL = (1, "Full DOB reported")
    APPROXIMATE_OR_PARTIAL = (2, "Approximate or partial DOB reported")
    CLIENT_DOESNT_KNOW = (8, _DOESNT_KNOW)
    CLIENT_PREFERS_NOT_TO_ANSWER = (9, _PREFERS_NOT)
    DATA_NOT_COLLECTED = (99, _NOT_COLLECTED)


class Race(HudCode):
    """HUD data element 3.04 Race and Ethnicity, field 1 responses (one Client.csv column each)."""

    AM_IND_AK_NATIVE = (1, "American Indian, Alaska Native, or Indigenous")
    ASIAN = (2, "Asian or Asian American")
    BLACK_AF_AMERICAN = (3, "Black, African American, or African")
    NATIVE_HI_PACIFIC = (4, "Native Hawaiian or Pacific Islander")
    WHITE = (5, "White")
    # FY2026 renamed FY2024's "Hispanic/Latina/e/o" (CSV column HispanicLatinaeo).
    HISPANIC_LATINAO = (6, "Hispanic/Latina/o")
    MID_EAST_N_AFRICAN = (7, "Middle Eastern or North African")


RACE_COLUMNS: dict[Race, str] = {
    Race.AM_IND_AK_NATIVE: "AmIndAKNative",
    Race.ASIAN: "Asian",
    Race.BLACK_AF_AMERICAN: "BlackAfAmerican",
    Race.NATIVE_HI_PACIFIC: "NativeHIPacific",
    Race.WHITE: "White",
    Race.HISPANIC_LATINAO: "HispanicLatinao",
    Race.MID_EAST_N_AFRICAN: "MidEastNAfrican",
}
"""Client.csv column for each race; RaceNone holds a MissingReason code."""


class Sex(HudCode):
    """HUD FY2026 data element 4.21 Sex (Client.csv Sex)."""

    FEMALE = (0, "Female")
    MALE = (1, "Male")
    CLIENT_DOESNT_KNOW = (8, _DOESNT_KNOW)
    CLIENT_PREFERS_NOT_TO_ANSWER = (9, _PREFERS_NOT)
    DATA_NOT_COLLECTED = (99, _NOT_COLLECTED)


class Gender(HudCode):
    """HUD FY2024 list 3.6.1 Gender (data element 3.06). FY2026 removed it from the HMIS CSV;
    the county keeps it as a local element (POLICY.md), read from FY2024 files' columns."""

    WOMAN = (0, "Woman (Girl, if child)")
    MAN = (1, "Man (Boy, if child)")
    CULTURALLY_SPECIFIC = (2, "Culturally Specific Identity (e.g., Two-Spirit)")
    DIFFERENT_IDENTITY = (3, "Different Identity")
    NON_BINARY = (4, "Non-Binary")
    TRANSGENDER = (5, "Transgender")
    QUESTIONING = (6, "Questioning")


GENDER_COLUMNS: dict[Gender, str] = {
    Gender.WOMAN: "Woman",
    Gender.MAN: "Man",
    Gender.NON_BINARY: "NonBinary",
    Gender.CULTURALLY_SPECIFIC: "CulturallySpecific",
    Gender.TRANSGENDER: "Transgender",
    Gender.QUESTIONING: "Questioning",
    Gender.DIFFERENT_IDENTITY: "DifferentIdentity",
}
"""FY2024 Client.csv column for each gender; GenderNone holds a MissingReason code."""

RACE_COLUMNS_FY2024: dict[Race, str] = {**RACE_COLUMNS, Race.HISPANIC_LATINAO: "HispanicLatinaeo"}
"""FY2024 files (still accepted by the import) name one race column differently."""


class RelationshipToHoH(HudCode):
    """HUD list 3.15.1 RelationshipToHoH."""

    SELF = (1, "Self (head of household)")
    CHILD = (2, "Head of household's child")
    SPOUSE_OR_PARTNER = (3, "Head of household's spouse or partner")
    OTHER_RELATIVE = (
        4,
        "Head of household's other relation member (other relation to head of household)",
    )
    NON_RELATION = (5, "Other: non-relation member")
    DATA_NOT_COLLECTED = (99, _NOT_COLLECTED)


class ProjectType(HudCode):
    """HUD list 2.02.6 ProjectType."""

    ES_ENTRY_EXIT = (0, "Emergency Shelter – Entry Exit")
    ES_NIGHT_BY_NIGHT = (1, "Emergency Shelter – Night-by-Night")
    TRANSITIONAL_HOUSING = (2, "Transitional Housing")
    PH_PSH = (3, "PH – Permanent Supportive Housing")
    STREET_OUTREACH = (4, "Street Outreach")
    SERVICES_ONLY = (6, "Services Only")
    OTHER = (7, "Other")
    SAFE_HAVEN = (8, "Safe Haven")
    PH_HOUSING_ONLY = (9, "PH – Housing Only")
    PH_HOUSING_WITH_SERVICES = (
        10,
        "PH – Housing with Services (no disability required for entry)",
    )
    DAY_SHELTER = (11, "Day Shelter")
    HOMELESSNESS_PREVENTION = (12, "Homelessness Prevention")
    PH_RRH = (13, "PH – Rapid Re-Housing")
    COORDINATED_ENTRY = (14, "Coordinated Entry")


class Destination(HudCode):
    """HUD list 3.12 Destination (FY2024 living situation codes used at exit)."""

    # Other (1-99)
    CLIENT_DOESNT_KNOW = (8, _DOESNT_KNOW)
    CLIENT_PREFERS_NOT_TO_ANSWER = (9, _PREFERS_NOT)
    OTHER = (17, "Other")
    DECEASED = (24, "Deceased")
    NO_EXIT_INTERVIEW_COMPLETED = (30, "No exit interview completed")
    DATA_NOT_COLLECTED = (99, _NOT_COLLECTED)
    # Homeless situations (100-199)
    EMERGENCY_SHELTER = (
        101,
        "Emergency shelter, including hotel or motel paid for with emergency shelter"
        " voucher, or Host Home shelter",
    )
    PLACE_NOT_MEANT_FOR_HABITATION = (
        116,
        "Place not meant for habitation (e.g., a vehicle, an abandoned building,"
        " bus/train/subway station/airport or anywhere outside)",
    )
    SAFE_HAVEN = (118, "Safe Haven")
    # Institutional situations (200-299)
    PSYCHIATRIC_FACILITY = (204, "Psychiatric hospital or other psychiatric facility")
    SUBSTANCE_ABUSE_TREATMENT = (205, "Substance abuse treatment facility or detox center")
    HOSPITAL_NON_PSYCHIATRIC = (
        206,
        "Hospital or other residential non-psychiatric medical facility",
    )
    JAIL_PRISON_JUVENILE_DETENTION = (207, "Jail, prison or juvenile detention facility")
    FOSTER_CARE = (215, "Foster care home or foster care group home")
    LONG_TERM_CARE = (225, "Long-term care facility or nursing home")
    # Temporary housing situations (300-399)
    TRANSITIONAL_HOUSING = (
        302,
        "Transitional housing for homeless persons (including homeless youth)",
    )
    FAMILY_TEMPORARY = (
        312,
        "Staying or living with family, temporary tenure (e.g. room, apartment or house)",
    )
    FRIENDS_TEMPORARY = (
        313,
        "Staying or living with friends, temporary tenure (e.g. room apartment or house)",
    )
    HOTEL_MOTEL_NO_VOUCHER = (314, "Hotel or motel paid for without emergency shelter voucher")
    HOPWA_TO_HOPWA_TH = (327, "Moved from one HOPWA funded project to HOPWA TH")
    RESIDENTIAL_NO_HOMELESS_CRITERIA = (
        329,
        "Residential project or halfway house with no homeless criteria",
    )
    HOST_HOME_NON_CRISIS = (332, "Host Home (non-crisis)")
    # Permanent housing situations (400-499)
    RENTAL_NO_SUBSIDY = (410, "Rental by client, no ongoing housing subsidy")
    OWNED_NO_SUBSIDY = (411, "Owned by client, no ongoing housing subsidy")
    OWNED_WITH_SUBSIDY = (421, "Owned by client, with ongoing housing subsidy")
    FAMILY_PERMANENT = (422, "Staying or living with family, permanent tenure")
    FRIENDS_PERMANENT = (423, "Staying or living with friends, permanent tenure")
    HOPWA_TO_HOPWA_PH = (426, "Moved from one HOPWA funded project to HOPWA PH")
    RENTAL_WITH_SUBSIDY = (435, "Rental by client, with ongoing housing subsidy")


class RentalSubsidyType(HudCode):
    """HUD list 3.12.A RentalSubsidyType (Exit.csv DestinationSubsidyType, for Destination 435)."""

    VASH = (419, "VASH housing subsidy")
    OTHER_ONGOING_SUBSIDY = (420, "Rental by client, with other ongoing housing subsidy")
    GPD_TIP = (428, "GPD TIP housing subsidy")
    RRH_OR_EQUIVALENT = (431, "RRH or equivalent subsidy")
    HCV_NOT_DEDICATED = (433, "HCV voucher (tenant or project based) (not dedicated)")
    PUBLIC_HOUSING = (434, "Public housing unit")
    # HUD's first FY2024 release labelled 436 "Emergency Housing Voucher".
    HOUSING_STABILITY_VOUCHER = (436, "Housing Stability Voucher")
    FUP = (437, "Family Unification Program Voucher (FUP)")
    FYI = (438, "Foster Youth to Independence Initiative (FYI)")
    PERMANENT_SUPPORTIVE_HOUSING = (439, "Permanent Supportive Housing")
    OTHER_DEDICATED_PH = (440, "Other permanent housing dedicated for formerly homeless persons")


class ReasonForLeaving(HudCode):
    """HUD 2010 HMIS Data Standards Reason for Leaving (legacy; not in the FY2024 lists)."""

    LEFT_FOR_HOUSING_OPPORTUNITY = (1, "Left for a housing opportunity before completing program")
    COMPLETED_PROGRAM = (2, "Completed program")
    NON_PAYMENT = (3, "Non-payment of rent/occupancy charge")
    NON_COMPLIANCE = (4, "Non-compliance with project")
    CRIMINAL_ACTIVITY = (5, "Criminal activity/destruction of property/violence")
    REACHED_MAXIMUM_TIME = (6, "Reached maximum time allowed by project")
    NEEDS_NOT_MET = (7, "Needs could not be met by project")
    DISAGREEMENT = (8, "Disagreement with rules/persons")
    DEATH = (9, "Death")
    UNKNOWN_DISAPPEARED = (10, "Unknown/disappeared")
    OTHER = (11, "Other")


class DisabilityType(HudCode):
    """HUD list 1.3 DisabilityType (Disabilities.csv)."""

    PHYSICAL = (5, "Physical disability")
    DEVELOPMENTAL = (6, "Developmental disability")
    CHRONIC_HEALTH = (7, "Chronic health condition")
    HIV_AIDS = (8, "HIV/AIDS")
    MENTAL_HEALTH = (9, "Mental health disorder")
    SUBSTANCE_USE = (10, "Substance use disorder")


class DisabilityResponse(HudCode):
    """HUD list 4.10.2 DisabilityResponse (substance use disorder)."""

    NO = (0, "No")
    ALCOHOL = (1, "Alcohol use disorder")
    DRUG = (2, "Drug use disorder")
    BOTH = (3, "Both alcohol and drug use disorders")
    CLIENT_DOESNT_KNOW = (8, _DOESNT_KNOW)
    CLIENT_PREFERS_NOT_TO_ANSWER = (9, _PREFERS_NOT)
    DATA_NOT_COLLECTED = (99, _NOT_COLLECTED)


class WhenDVOccurred(HudCode):
    """HUD list 4.11.A WhenOccurred."""

    WITHIN_PAST_THREE_MONTHS = (1, "Within the past three months")
    THREE_TO_SIX_MONTHS = (2, "Three to six months ago (excluding six months exactly)")
    SIX_MONTHS_TO_ONE_YEAR = (3, "Six months to one year ago (excluding one year exactly)")
    ONE_YEAR_OR_MORE = (4, "One year or more")
    CLIENT_DOESNT_KNOW = (8, _DOESNT_KNOW)
    CLIENT_PREFERS_NOT_TO_ANSWER = (9, _PREFERS_NOT)
    DATA_NOT_COLLECTED = (99, _NOT_COLLECTED)


class DataCollectionStage(HudCode):
    """HUD list 5.03.1 DataCollectionStage."""

    PROJECT_START = (1, "Project start")
    UPDATE = (2, "Update")
    PROJECT_EXIT = (3, "Project exit")
    ANNUAL_ASSESSMENT = (5, "Annual assessment")
    POST_EXIT = (6, "Post-exit")


INCOME_SOURCE_COLUMNS: dict[str, tuple[str, str]] = {
    "earned": ("Earned", "EarnedAmount"),
    "unemployment": ("Unemployment", "UnemploymentAmount"),
    "ssi": ("SSI", "SSIAmount"),
    "ssdi": ("SSDI", "SSDIAmount"),
    "va_disability_service": ("VADisabilityService", "VADisabilityServiceAmount"),
    "va_disability_non_service": ("VADisabilityNonService", "VADisabilityNonServiceAmount"),
    "private_disability": ("PrivateDisability", "PrivateDisabilityAmount"),
    "workers_comp": ("WorkersComp", "WorkersCompAmount"),
    "tanf": ("TANF", "TANFAmount"),
    "ga": ("GA", "GAAmount"),
    "soc_sec_retirement": ("SocSecRetirement", "SocSecRetirementAmount"),
    "pension": ("Pension", "PensionAmount"),
    "child_support": ("ChildSupport", "ChildSupportAmount"),
    "alimony": ("Alimony", "AlimonyAmount"),
    "other_income_source": ("OtherIncomeSource", "OtherIncomeAmount"),
}
"""IncomeBenefits.csv (data element 4.02) income columns: key -> (flag column, amount column).

Each flag column holds a NoYes code; each amount column holds a monthly amount.
The amount column for other income is ``OtherIncomeAmount``, not ``OtherIncomeSourceAmount``.
"""
