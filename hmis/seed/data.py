"""Pools and weights for the synthetic CoC of `hmis seed` (see hmis.seed.build).

Everything here is invented or drawn from Faker; nothing describes a real person or agency.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Generic, TypeVar

from faker import Faker

from hmis.hud import (
    INCOME_SOURCE_COLUMNS,
    Destination,
    DisabilityType,
    ProjectType,
    ReasonForLeaving,
    RentalSubsidyType,
)

T = TypeVar("T")


class Weighted(Generic[T]):
    """A weighted choice that costs one random() and a bisect (Faker and choices() are slower)."""

    def __init__(self, pairs: dict[T, float] | list[tuple[T, float]]):
        items = list(pairs.items()) if isinstance(pairs, dict) else list(pairs)
        self.values = [v for v, _ in items]
        self.cumulative = list(itertools.accumulate(w for _, w in items))

    def pick(self, rng: random.Random) -> T:
        x = rng.random() * self.cumulative[-1]
        return self.values[bisect.bisect_right(self.cumulative, x)]


# --- organizations and projects ---------------------------------------------------------------

STATE = "WA"
AREA_CODES = ("206", "253", "360", "425")

ORGANIZATIONS = (
    "Cedar Valley Community Services",
    "Harborview Rescue Mission",
    "Northside Family Housing Alliance",
    "St. Brendan's Shelter Society",
    "Riverbend Youth Network",
    "Open Door Outreach Collective",
    "Greater Lakeside Housing Authority",
    "Compass Point Behavioral Health",
    "Union Street Veterans Center",
    "Mercy Hill Family Services",
    "Second Chance Recovery Homes",
    "Eastgate Neighborhood House",
    "Pioneer Square Day Center",
    "Lighthouse Housing Partners",
    "Bridgeway Interfaith Hospitality",
    "Salmon Creek Tenant Support",
    "Summit County Coordinated Entry",
    "New Horizons Rapid Rehousing",
    "Maplewood Senior Housing Coalition",
    "Westside Community Health Center",
)
# Victim service providers (HUD: they enter no PPI in the HMIS).
VSP_ORGANIZATIONS = ("Safe Harbor Domestic Violence Services", "Willow House Survivor Advocates")

PT = ProjectType
PROJECT_NAMES = {
    PT.ES_ENTRY_EXIT: ("Emergency Shelter", "Family Shelter", "Winter Shelter"),
    PT.ES_NIGHT_BY_NIGHT: ("Overnight Shelter", "Severe Weather Shelter"),
    PT.TRANSITIONAL_HOUSING: ("Transitional Housing", "Bridge Housing"),
    PT.PH_PSH: ("Permanent Supportive Housing", "Housing First Apartments"),
    PT.STREET_OUTREACH: ("Street Outreach", "Mobile Outreach Team"),
    PT.SERVICES_ONLY: ("Case Management Services", "Housing Navigation"),
    PT.PH_RRH: ("Rapid Re-Housing", "Rapid Re-Housing for Families"),
    PT.HOMELESSNESS_PREVENTION: ("Eviction Prevention", "Rent Assistance Program"),
    PT.COORDINATED_ENTRY: ("Coordinated Entry Access Point", "Housing Assessment Hub"),
}
VSP_PROJECT_NAMES = {
    PT.ES_ENTRY_EXIT: ("Confidential Shelter",),
    PT.TRANSITIONAL_HOUSING: ("Survivor Transitional Housing",),
    PT.PH_RRH: ("Survivor Rapid Re-Housing",),
    PT.SERVICES_ONLY: ("Advocacy and Safety Planning",),
}

# How often an episode of homelessness is served by each project type.
SINGLE_EPISODES = Weighted(
    {
        PT.ES_ENTRY_EXIT: 28,
        PT.ES_NIGHT_BY_NIGHT: 8,
        PT.STREET_OUTREACH: 12,
        PT.COORDINATED_ENTRY: 12,
        PT.SERVICES_ONLY: 10,
        PT.TRANSITIONAL_HOUSING: 8,
        PT.PH_RRH: 10,
        PT.PH_PSH: 7,
        PT.HOMELESSNESS_PREVENTION: 5,
    }
)
FAMILY_EPISODES = Weighted(
    {
        PT.ES_ENTRY_EXIT: 30,
        PT.COORDINATED_ENTRY: 14,
        PT.SERVICES_ONLY: 8,
        PT.TRANSITIONAL_HOUSING: 12,
        PT.PH_RRH: 18,
        PT.PH_PSH: 6,
        PT.HOMELESSNESS_PREVENTION: 12,
    }
)
# Project stays per household across 2019-2026 (about three on average).
EPISODE_COUNTS = Weighted({1: 20, 2: 25, 3: 22, 4: 15, 5: 10, 6: 5, 7: 3})
CHILDREN = Weighted({1: 40, 2: 33, 3: 18, 4: 9})
CASE_NOTE_COUNTS = Weighted({0: 30, 1: 30, 2: 22, 3: 12, 4: 6})
# Length of stay in days (low, high) per project type.
STAY_DAYS = {
    PT.ES_ENTRY_EXIT: (2, 150),
    PT.ES_NIGHT_BY_NIGHT: (1, 45),
    PT.TRANSITIONAL_HOUSING: (60, 700),
    PT.PH_PSH: (180, 2400),
    PT.STREET_OUTREACH: (7, 300),
    PT.SERVICES_ONLY: (30, 365),
    PT.PH_RRH: (90, 540),
    PT.HOMELESSNESS_PREVENTION: (30, 180),
    PT.COORDINATED_ENTRY: (1, 120),
}
# Project types whose staff are assigned as case managers.
CASE_MANAGED = frozenset(STAY_DAYS) - {PT.ES_NIGHT_BY_NIGHT}
HOUSING = frozenset({PT.TRANSITIONAL_HOUSING, PT.PH_PSH, PT.PH_RRH})

# --- exits ------------------------------------------------------------------------------------

D = Destination
# Leaving housing projects mostly leads to housing; shelters and outreach less often.
HOUSED_EXITS = Weighted(
    {
        D.RENTAL_WITH_SUBSIDY: 30,
        D.RENTAL_NO_SUBSIDY: 18,
        D.FAMILY_PERMANENT: 8,
        D.FRIENDS_PERMANENT: 4,
        D.OWNED_NO_SUBSIDY: 1,
        D.FAMILY_TEMPORARY: 6,
        D.FRIENDS_TEMPORARY: 4,
        D.EMERGENCY_SHELTER: 6,
        D.PLACE_NOT_MEANT_FOR_HABITATION: 3,
        D.SUBSTANCE_ABUSE_TREATMENT: 2,
        D.JAIL_PRISON_JUVENILE_DETENTION: 2,
        D.LONG_TERM_CARE: 1,
        D.NO_EXIT_INTERVIEW_COMPLETED: 8,
        D.OTHER: 1,
        D.DATA_NOT_COLLECTED: 3,
    }
)
CRISIS_EXITS = Weighted(
    {
        D.RENTAL_WITH_SUBSIDY: 8,
        D.RENTAL_NO_SUBSIDY: 6,
        D.FAMILY_PERMANENT: 5,
        D.FAMILY_TEMPORARY: 10,
        D.FRIENDS_TEMPORARY: 8,
        D.HOTEL_MOTEL_NO_VOUCHER: 4,
        D.TRANSITIONAL_HOUSING: 5,
        D.EMERGENCY_SHELTER: 12,
        D.PLACE_NOT_MEANT_FOR_HABITATION: 10,
        D.SAFE_HAVEN: 1,
        D.PSYCHIATRIC_FACILITY: 1,
        D.SUBSTANCE_ABUSE_TREATMENT: 3,
        D.HOSPITAL_NON_PSYCHIATRIC: 2,
        D.JAIL_PRISON_JUVENILE_DETENTION: 3,
        D.RESIDENTIAL_NO_HOMELESS_CRITERIA: 1,
        D.CLIENT_DOESNT_KNOW: 2,
        D.CLIENT_PREFERS_NOT_TO_ANSWER: 1,
        D.NO_EXIT_INTERVIEW_COMPLETED: 14,
        D.OTHER: 2,
        D.DATA_NOT_COLLECTED: 4,
    }
)
SUBSIDIES = Weighted(
    {
        RentalSubsidyType.RRH_OR_EQUIVALENT: 30,
        RentalSubsidyType.HCV_NOT_DEDICATED: 20,
        RentalSubsidyType.PERMANENT_SUPPORTIVE_HOUSING: 15,
        RentalSubsidyType.VASH: 8,
        RentalSubsidyType.PUBLIC_HOUSING: 10,
        RentalSubsidyType.HOUSING_STABILITY_VOUCHER: 7,
        RentalSubsidyType.OTHER_ONGOING_SUBSIDY: 10,
    }
)
R = ReasonForLeaving
REASONS = Weighted(
    {
        R.LEFT_FOR_HOUSING_OPPORTUNITY: 22,
        R.COMPLETED_PROGRAM: 30,
        R.NON_PAYMENT: 2,
        R.NON_COMPLIANCE: 8,
        R.CRIMINAL_ACTIVITY: 2,
        R.REACHED_MAXIMUM_TIME: 5,
        R.NEEDS_NOT_MET: 6,
        R.DISAGREEMENT: 5,
        R.UNKNOWN_DISAPPEARED: 16,
        R.OTHER: 4,
    }
)
OTHER_DESTINATIONS = ("Tiny home village", "Boat", "RV on private land", "Out of state")
OTHER_REASONS = ("Moved out of area", "Reunified with family", "Medical reasons")

# --- the person -------------------------------------------------------------------------------

# Age at first entry of single adults (HUD counts many older adults among the chronically
# homeless, and a youth cohort 18-24).
SINGLE_AGES = Weighted({(18, 24): 13, (25, 34): 22, (35, 44): 22, (45, 54): 20, (55, 75): 23})
# Race and ethnicity: a first selection, then sometimes Hispanic/Latina/e/o or a second race.
RACES = Weighted(
    {
        "white": 45,
        "black_af_american": 35,
        "hispanic_latinaeo": 8,
        "am_ind_ak_native": 5,
        "asian": 3,
        "native_hi_pacific": 3,
        "mid_east_n_african": 1,
    }
)
ADDITIONAL_RACE = ("Somali", "Mexican American", "Filipino", "Puyallup", "Ethiopian", "Samoan")
DIFFERENT_IDENTITY = ("Genderfluid", "Agender", "Demigirl")
MISSING = Weighted({8: 3, 9: 3, 99: 4})  # doesn't know / prefers not to answer / not collected
NAME_SUFFIXES = ("Jr.", "Sr.", "II", "III")
DISABILITIES = Weighted(
    {
        DisabilityType.MENTAL_HEALTH: 35,
        DisabilityType.SUBSTANCE_USE: 22,
        DisabilityType.CHRONIC_HEALTH: 20,
        DisabilityType.PHYSICAL: 15,
        DisabilityType.DEVELOPMENTAL: 5,
        DisabilityType.HIV_AIDS: 3,
    }
)
# Monthly amounts in whole dollars (low, high) per income source; SSI is the 2024 federal rate.
INCOME_SOURCES = Weighted(
    {
        ("earned", 400, 2600): 34,
        ("ssi", 943, 943): 14,
        ("ssdi", 800, 1900): 12,
        ("tanf", 250, 700): 8,
        ("ga", 100, 320): 6,
        ("unemployment", 300, 1500): 5,
        ("soc_sec_retirement", 800, 1900): 7,
        ("va_disability_service", 170, 3700): 4,
        ("child_support", 100, 600): 5,
        ("pension", 200, 1500): 2,
        ("other_income_source", 50, 500): 3,
    }
)
# Each income flag column and its amount column (HUD's list of sources).
INCOME_AMOUNTS = {
    flag: "other_income_amount" if flag == "other_income_source" else f"{flag}_amount"
    for flag in INCOME_SOURCE_COLUMNS
}
OTHER_INCOME = ("Plasma donation", "Recycling", "Gift from family")

CASE_NOTES = (
    "Met with client to review the housing plan; next step is gathering income documents.",
    "Completed the coordinated entry assessment; client prefers housing near the bus line.",
    "Client missed the scheduled appointment. Left a voicemail to reschedule.",
    "Helped client apply for a state ID; the fee waiver was approved.",
    "Referred client to the food bank and the free clinic on Third Avenue.",
    "Landlord outreach: two units viewed, one application submitted.",
    "Client reports the new job is going well; discussed a budget for move-in costs.",
    "Safety plan reviewed and updated with client.",
    "Transportation voucher given for the medical appointment on Thursday.",
    "Client signed the lease today. Move-in scheduled for next week.",
    "Follow-up call: client is stable in housing and connected to benefits.",
    "Discussed the shelter's quiet hours after a complaint from another resident.",
    "Submitted the SSI application with the client; awaiting a decision.",
    "Client asked about childcare options; shared the subsidy program's intake number.",
    "Housing navigator attended the appointment; documents are complete for the match.",
    "Requested records for the benefits hearing at the client's request.",
)

# --- privacy notices (our own sample text, not any county's notice) --------------------------

NOTICE_2014_TITLE = "HMIS Privacy Notice (sample, 2014)"
NOTICE_2014 = """\
This sample notice describes how participating agencies collect and use information about the
people they serve in the Homeless Management Information System (HMIS).

We collect only what we need to provide services, to coordinate care between agencies and to
report to funders. We share your name, birth date, Social Security number, demographics, project
stays and the name of your case manager with other participating agencies unless you ask us not
to. We do not share health, income, domestic violence or case note information outside the agency
that collected it. You may see your record and ask us to correct it.
"""
NOTICE_2021_TITLE = "HMIS Privacy Notice (sample)"
NOTICE_2021 = """\
This is a sample privacy notice for a synthetic Continuum of Care. It is not legal advice and
describes no real agency.

What we collect. Participating agencies record the information needed to help you find housing:
your name, date of birth and Social Security number (if you choose to give them), race, ethnicity,
gender and veteran status, the projects you enter and leave, and who your case manager is.
Agencies also keep contact, health, income, domestic violence and case note information, which
stays with the agency that collected it.

Who sees it. Other participating agencies see the shared information listed above so that you do
not have to repeat your story. You may refuse this sharing at any time by signing a refusal form;
partner agencies then see your shared record only as it stood when you signed. Victim service
providers do not enter identifying information.

Your rights. You may see and get a copy of your record, learn which agencies have accessed it,
ask for corrections, file a privacy complaint, and withdraw or renew your consent. Aggregate,
de-identified counts may be published. Disclosures required by law are recorded in your history.
"""

# --- Faker pools ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pools:
    """Names and places drawn from Faker once; the seeded rng draws from them per person."""

    female: list[str]
    male: list[str]
    last: list[str]
    streets: list[str]
    places: list[tuple[str, str]]  # (city, zip)


def make_pools(fake: Faker, size: int = 3000) -> Pools:
    # Faker's name lists are weighted by frequency; drawing many keeps that weighting.
    cities = [fake.city() for _ in range(8)]
    return Pools(
        female=[fake.first_name_female() for _ in range(size)],
        male=[fake.first_name_male() for _ in range(size)],
        last=[fake.last_name() for _ in range(size)],
        streets=[fake.street_address() for _ in range(size // 3)],
        places=[(city, fake.postcode_in_state(STATE)) for city in cities for _ in range(4)],
    )


def money(rng: random.Random, low: int, high: int) -> Decimal:
    """A monthly amount in whole dollars, with the column's two decimals."""
    return Decimal(rng.randint(low, high) * 100).scaleb(-2)


def ssn(rng: random.Random) -> str:
    """A well-formed SSN: area 001-899 but never 666, group 01-99, serial 0001-9999."""
    area = rng.randint(1, 898)
    area += area >= 666
    return f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"


def fictional_phone(rng: random.Random) -> str:
    # 555-0100..0199 are reserved for fiction in the North American numbering plan.
    return f"{rng.choice(AREA_CODES)}-555-01{rng.randint(0, 99):02d}"


def years_before(day: date, years: int, rng: random.Random) -> date:
    """A birth date that makes someone `years` old (whole years) on `day`."""
    return date.fromordinal(day.toordinal() - years * 365 - rng.randint(years // 4 + 1, 364))
