"""The people of the synthetic CoC (see hmis.seed.build): one household at a time, with their
stays, profiles, agency data, versions and sharing refusals, as plain rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

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
from hmis.hud import (
    DataCollectionStage,
    Destination,
    DisabilityType,
    ProjectType,
    ReasonForLeaving,
    RelationshipToHoH,
)
from hmis.seed import data
from hmis.seed.values import (
    Person,
    age,
    gender,
    identity,
    income,
    profile_change,
    race,
    violence,
)

if TYPE_CHECKING:
    from hmis.seed.build import CocBuilder, Proj, Rows, Staff

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


class HouseholdBuilder:
    def __init__(self, coc: CocBuilder, *, last_day: date):
        self.coc, self.rng, self.pools = coc, coc.rng, coc.pools
        self.last_day = last_day
        self.by_type: dict[tuple[bool, int], list[Proj]] = {}  # (VSP?, project type)
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
        values |= PPI_MISSING if creator.org.vsp else identity(rng, self.pools, person, adult, like)
        values |= race(rng, like if person.relationship == CHILD else None)
        values |= gender(rng, person.woman, adult)
        values["sex"] = 0 if person.woman else 1  # synthetic people (no random draw: stable)
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
            # (it may edit the created values: an intake typo that the later edit corrects)
            change = profile_change(rng, self.pools, person, values, adult)
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
            self.add(rows, IncomeBenefit, dict(id=uid(), **scoped) | income(rng), staff, at, pid)
            values = dict(id=uid(), **scoped) | violence(rng, dv)
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
