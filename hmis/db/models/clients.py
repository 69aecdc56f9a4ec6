"""The client profile (HUD FY2026 Client.csv): one shared record many organizations update."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped

from hmis.groups import ElementGroup

from .base import Base, ClientData, col

ID = ElementGroup.IDENTITY
DEMO = ElementGroup.DEMOGRAPHICS


class Client(ClientData, Base):
    __tablename__ = "clients"
    # HUD data quality, derived from these fields when not stated: a value derived from a
    # field reaches a viewer only together with that field (`hmis.db.as_of.fold`).
    __derived__ = {
        "name_data_quality": ("first_name", "last_name"),
        "ssn_data_quality": ("ssn",),
        "dob_data_quality": ("dob",),
    }

    # IDENTITY (PPI)
    first_name: Mapped[str | None] = col(String(50), group=ID, hud="FirstName")
    middle_name: Mapped[str | None] = col(String(50), group=ID, hud="MiddleName")
    last_name: Mapped[str | None] = col(String(50), group=ID, hud="LastName")
    name_suffix: Mapped[str | None] = col(String(50), group=ID, hud="NameSuffix")
    name_data_quality: Mapped[int] = col(Integer, nullable=False, group=ID, hud="NameDataQuality")
    ssn: Mapped[str | None] = col(String(9), group=ID, hud="SSN")
    ssn_data_quality: Mapped[int] = col(Integer, nullable=False, group=ID, hud="SSNDataQuality")
    dob: Mapped[date | None] = col(Date, group=ID, hud="DOB")
    dob_data_quality: Mapped[int] = col(Integer, nullable=False, group=ID, hud="DOBDataQuality")

    # DEMOGRAPHICS: race and ethnicity (each column 0/1), RaceNone 8/9/99 when none given
    am_ind_ak_native: Mapped[int] = col(
        SmallInteger, nullable=False, default=0, group=DEMO, hud="AmIndAKNative"
    )
    asian: Mapped[int] = col(SmallInteger, nullable=False, default=0, group=DEMO, hud="Asian")
    black_af_american: Mapped[int] = col(
        SmallInteger, nullable=False, default=0, group=DEMO, hud="BlackAfAmerican"
    )
    hispanic_latinaeo: Mapped[int] = col(
        SmallInteger,
        nullable=False,
        default=0,
        group=DEMO,
        hud="HispanicLatinao",
        fy2024="HispanicLatinaeo",
    )
    mid_east_n_african: Mapped[int] = col(
        SmallInteger, nullable=False, default=0, group=DEMO, hud="MidEastNAfrican"
    )
    native_hi_pacific: Mapped[int] = col(
        SmallInteger, nullable=False, default=0, group=DEMO, hud="NativeHIPacific"
    )
    white: Mapped[int] = col(SmallInteger, nullable=False, default=0, group=DEMO, hud="White")
    race_none: Mapped[int | None] = col(SmallInteger, group=DEMO, hud="RaceNone")
    additional_race_ethnicity: Mapped[str | None] = col(
        String(100), group=DEMO, hud="AdditionalRaceEthnicity"
    )
    # DEMOGRAPHICS: sex (HUD FY2026 4.21); null for profiles recorded before it existed
    # (exported as 99, data not collected; never inferred from gender).
    sex: Mapped[int | None] = col(SmallInteger, group=DEMO, hud="Sex")
    # DEMOGRAPHICS: gender (each column 0/1), GenderNone 8/9/99 when none given. FY2026 took
    # gender out of the HMIS CSV; the county keeps it as a local element (FY2024 names kept).
    woman: Mapped[int] = col(SmallInteger, nullable=False, default=0, group=DEMO, fy2024="Woman")
    man: Mapped[int] = col(SmallInteger, nullable=False, default=0, group=DEMO, fy2024="Man")
    non_binary: Mapped[int] = col(
        SmallInteger, nullable=False, default=0, group=DEMO, fy2024="NonBinary"
    )
    culturally_specific: Mapped[int] = col(
        SmallInteger, nullable=False, default=0, group=DEMO, fy2024="CulturallySpecific"
    )
    transgender: Mapped[int] = col(
        SmallInteger, nullable=False, default=0, group=DEMO, fy2024="Transgender"
    )
    questioning: Mapped[int] = col(
        SmallInteger, nullable=False, default=0, group=DEMO, fy2024="Questioning"
    )
    different_identity: Mapped[int] = col(
        SmallInteger, nullable=False, default=0, group=DEMO, fy2024="DifferentIdentity"
    )
    gender_none: Mapped[int | None] = col(SmallInteger, group=DEMO, fy2024="GenderNone")
    different_identity_text: Mapped[str | None] = col(
        String(100), group=DEMO, fy2024="DifferentIdentityText"
    )
    veteran_status: Mapped[int] = col(
        SmallInteger, nullable=False, default=99, group=DEMO, hud="VeteranStatus"
    )

    @property
    def client_id(self):
        """Client data rows name their client; the profile is its own."""
        return self.id


RACE_COLUMNS = (
    "am_ind_ak_native", "asian", "black_af_american", "hispanic_latinaeo",
    "mid_east_n_african", "native_hi_pacific", "white",
)  # fmt: skip
GENDER_COLUMNS = (
    "woman", "man", "non_binary", "culturally_specific", "transgender", "questioning",
    "different_identity",
)  # fmt: skip
