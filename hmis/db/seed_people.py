"""The people of the synthetic CoC (see hmis.db.seed): one household at a time, with their
stays, profiles, agency data, versions and sharing refusals, as plain rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from hmis.db import seed_data as data
from hmis.db.history import create_version, update_version
from hmis.db.models import (
    CaseManagerAssignment,
    CaseNote,
    Client,
    Contact,
    Disability,
    DomesticViolence,
    Enrollment,
    Exit,
    HealthRecord,
    IncomeBenefit,
    RecordVersion,
    RefusalCoverage,
    SharingRefusal,
)
from hmis.db.models.clients import GENDER_COLUMNS, RACE_COLUMNS
from hmis.hud import (
    DataCollectionStage,
    Destination,
    DisabilityType,
    ProjectType,
    ReasonForLeaving,
    RelationshipToHoH,
)

if TYPE_CHECKING:
    from hmis.db.seed import CocBuilder, Proj, Rows, Staff

FIRST_DAY = date(2019, 1, 1)
START = int(DataCollectionStage.PROJECT_START)
SELF, CHILD, PARTNER = (
    int(RelationshipToHoH.SELF),
    int(RelationshipToHoH.CHILD),
    int(RelationshipToHoH.SPOUSE_OR_PARTNER),
)
PPI_MISSING = dict(
    first_name=None,
    middle_name=None,
    last_name=None,
    name_suffix=None,
    name_data_quality=99,
    ssn=None,
    ssn_data_quality=99,
    dob=None,
    dob_data_quality=99,
)
REFUSAL_SHARE = 0.03  # of clients covered by a sharing refusal
PROFILE_UPDATE_RATE = 0.13  # of eligible clients (most are): about 10% of all clients


@dataclass
class Episode:
    """One stay of the household in one project; the household's members share it."""

    project: Proj
    entry: date
    exit: date | None
    staff: Staff  # enters everything about this stay
    household_id: str
    exit_values: dict[str, Any] = field(default_factory=dict)
    case_managed: bool = False


@dataclass
class Person:
    id: uuid.UUID
    relationship: int
    dob: date  # the true date of birth (the record may lack it or hold a typo)
    woman: bool
    disabling: int = 0
    disabilities: list[tuple[int, int]] = field(default_factory=list)


def age(dob: date, day: date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


class HouseholdBuilder:
    def __init__(self, coc: CocBuilder, *, last_day: date):
        self.coc, self.rng, self.pools = coc, coc.rng, coc.pools
        self.last_day = last_day
        self.by_type: dict[int, list[Proj]] = {}
        for project in coc.projects:
            self.by_type.setdefault((project.org.vsp, project.type), []).append(project)
        self.regular = [p for p in coc.projects if not p.org.vsp]
        self.vsp = [p for p in coc.projects if p.org.vsp]
        self.done = self.covered = 0

    def at(self, day: date, hour: int, spread_minutes: int) -> datetime:
        minutes = self.rng.randint(0, spread_minutes)
        return datetime.combine(day, time(hour), tzinfo=UTC) + timedelta(minutes=minutes)

    def add(self, rows: Rows, model, values: dict, staff: Staff, at: datetime, client_id) -> dict:
        """A row entered by `staff` at `at`, with its one create version."""
        version = create_version(model, values["id"], client_id, values, staff.writer, at)
        rows[RecordVersion].append(version)  # (built before the stamps: fewer keys to skip)
        org = staff.org.id
        values.update(
            organization_id=org,
            date_created=at,
            created_by=staff.subject,
            date_updated=at,
            updated_by=staff.subject,
            updated_org_id=org,
            date_deleted=None,
            version=1,
        )
        rows[model].append(values)
        return values

    def build(self, rows: Rows, *, room: int) -> int:
        """One household (at most `room` people) with all its data; returns its size."""
        rng = self.rng
        family = room >= 2 and rng.random() < 0.12  # ~30% of people live in families
        # Survivors served by a victim service provider stay with such providers.
        dv = bool(self.vsp) and rng.random() < (0.12 if family else 0.05)
        episodes = self.episodes(family, dv)
        people = self.people(family, room, episodes)
        head = None
        for person in people:
            profile = self.profile(rows, person, episodes, like=head)
            head = head or profile
            for episode in episodes:
                self.enrollment(rows, person, episode, dv)
            self.contacts(rows, person, episodes, profile)
        self.refusal(rows, people, episodes)
        self.done += len(people)
        return len(people)

    # --- stays --------------------------------------------------------------------------------

    def episodes(self, family: bool, dv: bool) -> list[Episode]:
        rng, last = self.rng, self.last_day.toordinal()
        count = data.EPISODE_COUNTS.pick(rng)
        first = rng.randint(FIRST_DAY.toordinal(), last - 30)
        days = sorted({first} | {rng.randint(first + 2, last) for _ in range(count - 1)})
        entries = [days[0]]
        for day in days[1:]:  # two days apart at least, so a refusal fits between stays
            if day - entries[-1] >= 2:
                entries.append(day)
        kinds = data.FAMILY_EPISODES if family else data.SINGLE_EPISODES
        episodes = []
        for i, entry in enumerate(entries):
            kind = kinds.pick(rng)
            project = rng.choice(self.by_type.get((dv, kind)) or (self.vsp if dv else self.regular))
            low, high = data.STAY_DAYS[ProjectType(project.type)]
            exit_day = entry + low + int((high - low) * rng.random() ** 2)  # mostly short
            if i + 1 < len(entries):
                exit_day = min(exit_day, entries[i + 1])  # a same-day move counts
            elif exit_day > last:
                exit_day = None  # still enrolled: the current stay
            episode = Episode(
                project=project,
                entry=date.fromordinal(entry),
                exit=exit_day and date.fromordinal(exit_day),
                staff=rng.choice(project.org.staff),
                household_id=self.coc.uuid().hex,
                case_managed=project.type in data.CASE_MANAGED and rng.random() < 0.75,
            )
            if episode.exit:
                last_stay = i + 1 == len(entries)
                episode.exit_values = self.exit_values(project, single=not family, last=last_stay)
            episodes.append(episode)
        return episodes

    def exit_values(self, project: Proj, *, single: bool, last: bool) -> dict[str, Any]:
        rng = self.rng
        housed = project.type in data.HOUSING
        destination = (data.HOUSED_EXITS if housed else data.CRISIS_EXITS).pick(rng)
        reason = data.REASONS.pick(rng)
        if single and last and rng.random() < 0.004:
            destination, reason = Destination.DECEASED, ReasonForLeaving.DEATH
        return dict(
            destination=int(destination),
            destination_subsidy_type=int(data.SUBSIDIES.pick(rng))
            if destination == Destination.RENTAL_WITH_SUBSIDY
            else None,
            other_destination=rng.choice(data.OTHER_DESTINATIONS)
            if destination == Destination.OTHER
            else None,
            reason_for_leaving=int(reason),
            reason_for_leaving_other=rng.choice(data.OTHER_REASONS)
            if reason == ReasonForLeaving.OTHER
            else None,
        )

    # --- people -------------------------------------------------------------------------------

    def people(self, family: bool, room: int, episodes: list[Episode]) -> list[Person]:
        rng, first = self.rng, episodes[0].entry
        if family:
            head_age = rng.randint(19, 45)
            head = self.person(SELF, head_age, rng.random() < 0.75, first)
            people = [head]
            if rng.random() < 0.4:
                partner_age = max(18, head_age + rng.randint(-6, 6))
                people.append(self.person(PARTNER, partner_age, not head.woman, first))
            for _ in range(min(data.CHILDREN.pick(rng), room - len(people))):
                child_age = rng.randint(0, min(17, head_age - 16))
                people.append(self.person(CHILD, child_age, rng.random() < 0.5, first))
        else:
            low, high = data.SINGLE_AGES.pick(rng)
            people = [self.person(SELF, rng.randint(low, high), rng.random() < 0.35, first)]
        # Permanent supportive housing requires a disabled head of household.
        if any(e.project.type == ProjectType.PH_PSH for e in episodes) and people[0].disabling != 1:
            people[0].disabling = 1
            people[0].disabilities = [(int(DisabilityType.MENTAL_HEALTH), 1)]
        return people

    def person(self, relationship: int, years: int, woman: bool, first: date) -> Person:
        rng = self.rng
        person = Person(self.coc.uuid(), relationship, data.years_before(first, years, rng), woman)
        r = rng.random()
        chance = 0.38 if years >= 18 else 0.1
        person.disabling = 1 if r < chance else (0 if r < 0.95 else data.MISSING.pick(rng))
        if person.disabling == 1:
            kinds = {data.DISABILITIES.pick(rng) for _ in range(rng.randint(1, 2))}
            for kind in sorted(kinds):
                response = rng.randint(1, 3) if kind == DisabilityType.SUBSTANCE_USE else 1
                person.disabilities.append((int(kind), response))
        return person

    def profile(self, rows: Rows, person: Person, episodes: list[Episode], like) -> dict:
        """The client row (its final values) and its versions; returns the row."""
        rng, creator = self.rng, episodes[0].staff
        adult = age(person.dob, episodes[0].entry) >= 18
        values: dict[str, Any] = {"id": person.id}
        # A victim service provider enters no PPI (HUD), only what is not identifying.
        values |= PPI_MISSING if creator.org.vsp else self.identity(person, adult, like)
        values |= self.race(like if person.relationship == CHILD else None)
        values |= self.gender(person.woman, adult)
        veteran = 0
        if adult and rng.random() < (0.02 if person.woman else 0.1):
            veteran = 1
        values["veteran_status"] = data.MISSING.pick(rng) if rng.random() < 0.04 else veteran
        if not adult:
            values["veteran_status"] = 99  # HUD collects veteran status for adults only
        created_at = self.at(episodes[0].entry, 9, 30)
        later = [e for e in episodes[1:] if e.staff.org is not creator.org and not e.staff.org.vsp]
        change = None
        if later and not creator.org.vsp and rng.random() < PROFILE_UPDATE_RATE:
            change = self.profile_change(person, values, adult)  # may edit the created values
        row = self.add(rows, Client, values, creator, created_at, person.id)
        if change:  # a later organization corrects or completes the shared profile
            editor = rng.choice(later)
            at = self.at(editor.entry, 9, 30)
            values |= change
            values.update(
                date_updated=at,
                updated_by=editor.staff.subject,
                updated_org_id=editor.staff.org.id,
                version=2,
            )
            rows[RecordVersion].append(
                update_version(Client, person.id, person.id, change, editor.staff.writer, at, seq=2)
            )
        return row

    def identity(self, person: Person, adult: bool, like: dict | None) -> dict[str, Any]:
        rng, pools = self.rng, self.pools
        names = pools.female if person.woman else pools.male
        last = rng.choice(pools.last)
        if like and like["last_name"] and rng.random() < (0.8 if not adult else 0.5):
            last = like["last_name"]  # children (and some partners) share the head's name
        values = dict(
            first_name=rng.choice(names),
            middle_name=rng.choice(names) if rng.random() < 0.35 else None,
            last_name=last,
            name_suffix=rng.choice(data.NAME_SUFFIXES)
            if not person.woman and rng.random() < 0.02
            else None,
            name_data_quality=1,
            ssn=data.ssn(rng),
            ssn_data_quality=1,
            dob=person.dob,
            dob_data_quality=1,
        )
        r = rng.random()
        if r > 0.96:  # no name given
            values |= dict.fromkeys(("first_name", "middle_name", "last_name", "name_suffix"))
            values["name_data_quality"] = data.MISSING.pick(rng)
        elif r > 0.92:  # a street name or first name only
            values |= dict(middle_name=None, last_name=None, name_suffix=None)
            values["name_data_quality"] = 2
        r = rng.random()
        if r > (0.78 if adult else 0.55):
            values["ssn"], values["ssn_data_quality"] = None, data.MISSING.pick(rng)
        elif adult and r > 0.72:  # the last four digits only, HUD's "x" placeholders
            values["ssn"], values["ssn_data_quality"] = f"xxxxx{values['ssn'][5:]}", 2
        r = rng.random()
        if r > 0.95:
            values["dob"], values["dob_data_quality"] = None, data.MISSING.pick(rng)
        elif r > 0.9:  # the year only
            values["dob"], values["dob_data_quality"] = date(person.dob.year, 1, 1), 2
        return values

    def profile_change(self, person: Person, values: dict, adult: bool) -> dict[str, Any]:
        """A later edit to the profile: returns the changed fields (may alter `values`)."""
        rng = self.rng
        options = ["dob"]
        if adult and person.woman and values["last_name"]:
            options.append("last_name")
        if values["ssn_data_quality"] != 1:
            options.append("ssn")
        if adult and values["veteran_status"] not in (0, 1):
            options.append("veteran_status")
        chosen = rng.choice(options)
        if chosen == "last_name":  # married or took back a former name
            return {"last_name": rng.choice(self.pools.last)}
        if chosen == "ssn":  # the card was found: the full number, same last four if known
            full = data.ssn(rng)
            if values["ssn"]:
                full = full[:5] + values["ssn"][5:]
            return {"ssn": full, "ssn_data_quality": 1}
        if chosen == "veteran_status":
            return {"veteran_status": int(rng.random() < 0.1)}
        if values["dob_data_quality"] == 1:  # a typo at intake (the year off by one)
            dob = person.dob
            values["dob"] = date(dob.year + rng.choice((-1, 1)), dob.month, min(dob.day, 28))
            return {"dob": dob}
        return {"dob": person.dob, "dob_data_quality": 1}

    def race(self, like: dict | None) -> dict[str, Any]:
        rng = self.rng
        if like and rng.random() < 0.85:
            return {k: like[k] for k in (*RACE_COLUMNS, "race_none", "additional_race_ethnicity")}
        values: dict[str, Any] = dict.fromkeys(RACE_COLUMNS, 0)
        values |= dict(race_none=None, additional_race_ethnicity=None)
        if rng.random() < 0.03:
            values["race_none"] = data.MISSING.pick(rng)  # RaceNone only when none given
            return values
        values[data.RACES.pick(rng)] = 1
        if rng.random() < 0.2:
            values["hispanic_latinaeo"] = 1
        if rng.random() < 0.06:
            values[data.RACES.pick(rng)] = 1
        if rng.random() < 0.03:
            values["additional_race_ethnicity"] = rng.choice(data.ADDITIONAL_RACE)
        return values

    def gender(self, woman: bool, adult: bool) -> dict[str, Any]:
        rng = self.rng
        values: dict[str, Any] = dict.fromkeys(GENDER_COLUMNS, 0)
        values |= dict(gender_none=None, different_identity_text=None)
        r = rng.random()
        if r < 0.01:
            values["gender_none"] = data.MISSING.pick(rng)
        elif adult and r < 0.02:
            values["non_binary"] = 1
        elif adult and r < 0.023:
            values["culturally_specific"] = 1
        elif adult and r < 0.025:
            values["different_identity"] = 1
            values["different_identity_text"] = rng.choice(data.DIFFERENT_IDENTITY)
        else:
            values["woman" if woman else "man"] = 1
            if adult and rng.random() < 0.012:
                values["transgender"] = 1
            if adult and rng.random() < 0.004:
                values["questioning"] = 1
        return values

    # --- per stay -----------------------------------------------------------------------------

    def enrollment(self, rows: Rows, person: Person, episode: Episode, dv: bool) -> None:
        rng, staff, uid, pid = self.rng, episode.staff, self.coc.uuid, person.id
        entry, end = episode.entry, episode.exit or self.last_day
        enrollment = uid()
        values = dict(
            id=enrollment,
            client_id=pid,
            project_id=episode.project.id,
            entry_date=entry,
            household_id=episode.household_id,
            relationship_to_hoh=person.relationship,
        )
        self.add(rows, Enrollment, values, staff, self.at(entry, 10, 59), pid)
        if episode.exit:
            values = dict(id=uid(), enrollment_id=enrollment, client_id=pid, exit_date=end)
            values |= episode.exit_values
            self.add(rows, Exit, values, staff, self.at(end, 15, 120), pid)
        if episode.case_managed:
            values = dict(
                id=uid(),
                client_id=pid,
                staff_user_id=staff.id,
                start_date=entry,
                end_date=episode.exit,
            )
            self.add(rows, CaseManagerAssignment, values, staff, self.at(entry, 11, 59), pid)
        # Assessments at project start, entered soon after the enrollment.
        scoped = dict(
            client_id=pid, enrollment_id=enrollment, information_date=entry,
            data_collection_stage=START,
        )  # fmt: skip
        at = self.at(entry, 12, 120)
        values = dict(id=uid(), **scoped, disabling_condition=person.disabling)
        self.add(rows, HealthRecord, values, staff, at, pid)
        for kind, response in person.disabilities:
            values = dict(
                id=uid(), **scoped, disability_type=kind, disability_response=response,
                indefinite_and_impairs=1 if rng.random() < 0.8 else 0,
            )  # fmt: skip
            self.add(rows, Disability, values, staff, at, pid)
        if age(person.dob, entry) >= 18:
            self.add(rows, IncomeBenefit, dict(id=uid(), **scoped) | self.income(), staff, at, pid)
            values = dict(id=uid(), **scoped) | self.violence(dv)
            self.add(rows, DomesticViolence, values, staff, at, pid)
        if person.relationship == SELF:
            span = (end - entry).days
            for _ in range(data.CASE_NOTE_COUNTS.pick(rng)):
                day = entry + timedelta(days=rng.randint(0, span))
                values = dict(
                    id=uid(), client_id=pid, note_date=day, text=rng.choice(data.CASE_NOTES),
                    compiled_for_legal_proceeding=rng.random() < 0.03,
                )  # fmt: skip
                self.add(rows, CaseNote, values, staff, self.at(day, 16, 90), pid)

    def income(self) -> dict[str, Any]:
        rng = self.rng
        values: dict[str, Any] = dict.fromkeys(
            [*data.INCOME_AMOUNTS, *data.INCOME_AMOUNTS.values()]
        )
        values |= dict(total_monthly_income=None, other_income_source_identify=None)
        r = rng.random()
        if r > 0.94:
            values["income_from_any_source"] = data.MISSING.pick(rng)
            return values
        values |= dict.fromkeys(data.INCOME_AMOUNTS, 0)
        if r > 0.5:
            values["income_from_any_source"] = 0
            return values
        total = 0
        for _ in range(rng.randint(1, 2)):
            flag, low, high = data.INCOME_SOURCES.pick(rng)
            if values[flag]:
                continue
            amount = data.money(rng, low, high)
            values[flag] = 1
            values[data.INCOME_AMOUNTS[flag]] = amount
            total += amount
            if flag == "other_income_source":
                values["other_income_source_identify"] = rng.choice(data.OTHER_INCOME)
        values |= dict(income_from_any_source=1, total_monthly_income=total)
        return values

    def violence(self, dv: bool) -> dict[str, Any]:
        rng = self.rng
        r = rng.random()
        survivor = 1 if dv or r < 0.18 else (0 if r < 0.95 else data.MISSING.pick(rng))
        values: dict[str, Any] = dict(
            domestic_violence_survivor=survivor, when_occurred=None, currently_fleeing=None
        )
        if survivor == 1:
            values["when_occurred"] = rng.randint(1, 2) if dv else rng.randint(1, 4)
            values["currently_fleeing"] = int(rng.random() < (0.7 if dv else 0.25))
        return values

    def contacts(self, rows: Rows, person: Person, episodes: list[Episode], profile) -> None:
        """How each (non-VSP) organization reaches an adult, entered at its first stay."""
        rng, seen = self.rng, set()
        for episode in episodes:
            org = episode.staff.org
            if org.vsp or org.id in seen or age(person.dob, episode.entry) < 18:
                continue
            seen.add(org.id)
            if rng.random() >= 0.6:
                continue
            city, zip_code = rng.choice(self.pools.places)
            first, last = profile["first_name"], profile["last_name"]
            email = None
            if first and last and rng.random() < 0.35:
                email = f"{first}.{last}{rng.randint(1, 99)}@example.com".lower().replace(" ", "")
            values = dict(
                id=self.coc.uuid(),
                client_id=person.id,
                phone=data.fictional_phone(rng) if rng.random() < 0.8 else None,
                email=email,
                address_line1=rng.choice(self.pools.streets) if rng.random() < 0.25 else None,
                city=city,
                state=data.STATE,
                zip=zip_code,
            )
            self.add(
                rows, Contact, values, episode.staff, self.at(episode.entry, 10, 90), person.id
            )

    # --- refusals -----------------------------------------------------------------------------

    def refusal(self, rows: Rows, people: list[Person], episodes: list[Episode]) -> None:
        """About 3% of clients: the head signs between two stays, covering named members."""
        rng = self.rng
        if len(episodes) < 2 or self.covered >= REFUSAL_SHARE * (self.done + len(people)):
            return
        if rng.random() < 0.5:
            return
        j = rng.randrange(len(episodes) - 1)
        before, after = episodes[j], episodes[j + 1]
        day = before.entry + timedelta(days=rng.randint(1, (after.entry - before.entry).days - 1))
        refused_at, staff = self.at(day, 13, 240), before.staff
        refusal = self.coc.uuid()
        rows[SharingRefusal].append(
            dict(
                id=refusal,
                client_id=people[0].id,
                organization_id=staff.org.id,
                recorded_by=staff.subject,
                recorded_at=refused_at,
            )
        )
        for person in people:
            if person.relationship != SELF and rng.random() >= 0.85:
                continue  # not named on the form
            revoked = revoker = None
            if rng.random() < 0.2:  # renewed consent later, at whichever agency serves them
                renewed = day + timedelta(days=rng.randint(14, 400))
                if renewed <= self.last_day:
                    revoked = self.at(renewed, 11, 120)
                    revoker = [e for e in episodes if e.entry <= renewed][-1].staff
            rows[RefusalCoverage].append(
                dict(
                    id=self.coc.uuid(),
                    refusal_id=refusal,
                    client_id=person.id,
                    refused_at=refused_at,
                    revoked_at=revoked,
                    revoked_by=revoker and revoker.subject,
                    revoked_org_id=revoker and revoker.org.id,
                )
            )
            self.covered += 1
