"""Reading and checking HUD CSV files before anything is written.

Every problem is reported as `file:row:column: message` (row 1 is the header). What has one
safe meaning is normalized and reported as a warning (whitespace trimmed, a date where a
timestamp is expected, a blank HUD-list cell read as 99 "data not collected", an unknown user);
what is ambiguous or would change meaning is an error (an unknown code, a broken reference, a
duplicate primary key, an unparseable date). FY2024 files are read too: their gender columns
fill the local gender element, their `HispanicLatinaeo` the renamed race column.

Files are streamed (`source.Source`): the check keeps only what the references between files
need (sets of keys, an enrollment's client, a household's head), never the rows, and the
writer reads each file again (`rows`), so memory does not grow with the rows of an import.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from hmis import hud
from hmis.csv_cells import restored
from hmis.db import models

from . import hud_csv as H
from .columns import Column, columns
from .problems import Problem, Problems, quoted
from .source import Source

# The code list of each coded column (HUD's lists; DisabilityResponse also takes 4.10.2).
CODES: dict[str, type[hud.HudCode] | tuple[type[hud.HudCode], ...]] = {
    "NameDataQuality": hud.NameDataQuality,
    "SSNDataQuality": hud.SsnDataQuality,
    "DOBDataQuality": hud.DobDataQuality,
    "RaceNone": hud.MissingReason,
    "GenderNone": hud.MissingReason,
    "Sex": hud.Sex,
    "VeteranStatus": hud.NoYesMissing,
    "RelationshipToHoH": hud.RelationshipToHoH,
    "ProjectType": hud.ProjectType,
    "Destination": hud.Destination,
    "DestinationSubsidyType": hud.RentalSubsidyType,
    "DisabilityType": hud.DisabilityType,
    "DisabilityResponse": (hud.NoYesMissing, hud.DisabilityResponse),
    "IndefiniteAndImpairs": hud.NoYesMissing,
    "DomesticViolenceSurvivor": hud.NoYesMissing,
    "WhenOccurred": hud.WhenDVOccurred,
    "CurrentlyFleeing": hud.NoYesMissing,
    "IncomeFromAnySource": hud.NoYesMissing,
    "DataCollectionStage": hud.DataCollectionStage,
    "DisablingCondition": hud.NoYesMissing,
    "VictimServiceProvider": hud.NoYes,
    "ContinuumProject": hud.NoYes,
}
for _flag in (
    *hud.RACE_COLUMNS.values(),
    *hud.GENDER_COLUMNS.values(),
    "HispanicLatinaeo",
    *(flag for flag, _amount in hud.INCOME_SOURCE_COLUMNS.values()),
):
    CODES[_flag] = hud.NoYes
NOT_COLLECTED = 99
# What the databases refuse to store (PostgreSQL: NUL) or no HUD value holds: C0 controls
# but tab, line feed and carriage return.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
INTEGER = re.compile("[+-]?[0-9]+")  # int() also reads 1_000 and other scripts' digits
MAX_DIGITS = 20  # more is out of the range of any integer column
DATE = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass
class Row:
    line: int
    values: dict[str, Any]  # HUD column -> parsed value (None when blank)


@dataclass
class Checked:
    """What the check found: the problems (the first `MAX_REPORTED` of each kind, all
    counted), and the keys the writer and the references need (not the rows: `rows` reads a
    file again)."""

    source: Source | None = None
    errors: Problems = field(default_factory=Problems)
    warnings: Problems = field(default_factory=Problems)
    fy2024: bool = False
    export: dict[str, Any] = field(default_factory=dict)  # the Export.csv row
    users: set[str] = field(default_factory=set)
    keys: dict[str, set[str]] = field(default_factory=dict)  # each file's primary keys
    enrollments: dict[str, str] = field(default_factory=dict)  # EnrollmentID -> PersonalID
    projects_used: set[str] = field(default_factory=set)  # the ProjectIDs enrollments name
    unread: set[str] = field(default_factory=set)  # files not read to the end

    def error(self, file: str, line: int, column: str, message: str) -> None:
        self.errors.append(Problem(file, line, column, message))

    def warn(self, file: str, line: int, column: str, message: str) -> None:
        self.warnings.append(Problem(file, line, column, message))

    def unreadable(self, file: str, line: int, column: str, message: str) -> None:
        """What stops the reading of a file (`source.Records`): references to it are not
        checked (its keys are not all known)."""
        self.unread.add(file)
        self.error(file, line, column, message)


class _Quiet:
    """The writer's second reading: the problems were reported by the check."""

    def error(self, *_args) -> None:
        pass

    warn = error

    def unreadable(self, *_args) -> None:
        # Read whole by the check: never stopped now, else the writer would miss rows.
        raise RuntimeError("a checked file could not be read again")


# --- reading one file ----------------------------------------------------------------------


def check(source: Source) -> Checked:
    """Read and check every file, a row at a time; `Checked.errors` empty means it may be
    written."""
    out = Checked(source=source)
    for file, message in source.problems:  # found before reading (a zip member refused)
        out.unreadable(file, 0, "", message)
    out.fy2024 = _is_fy2024(source)
    for spec in H.FILES:
        out.keys[spec.name] = set()
        if spec.name not in source:
            if spec in (H.EXPORT, H.CLIENT):
                out.error(spec.name, 0, "", "file missing")
            continue
        _check_file(out, spec)
    return out


def rows(checked: Checked, spec: H.HudFile) -> Iterator[Row]:
    """A checked file's rows, parsed again one at a time (for the writer)."""
    if checked.source is None or spec.name not in checked.source:
        return
    yield from _rows(_Quiet(), checked.source, spec, checked.fy2024)


def _is_fy2024(source: Source) -> bool:
    if H.CLIENT.name not in source:
        return False
    with source.records(None, H.CLIENT.name) as reader:
        header = [h.strip().lower() for h in next(reader, [])]
    return "hispaniclatinaeo" in header or "woman" in header


def _rows(sink, source: Source, spec: H.HudFile, fy2024: bool) -> Iterator[Row]:
    with source.records(sink, spec.name) as reader:
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            if not reader.failed:  # else reported
                sink.error(spec.name, 1, "", "the file is empty (no header)")
            return
        if spec is H.EXPORT:
            kinds = {"ExportID": Column("id", 32, True), **EXPORT_COLUMNS}
        else:
            kinds = columns(spec, fy2024)
        header = _hud_header(sink, spec, header, kinds)
        for name, kind in kinds.items():
            if kind.required and name not in header:
                sink.error(spec.name, 1, name, "required column missing")
        for line, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                sink.error(spec.name, line, "", f"{len(cells)} cells, the header has {len(header)}")
                continue
            values = {}
            for name, cell in zip(header, cells, strict=True):
                kind = kinds.get(name)
                if kind is not None:  # else a HUD column we do not model
                    values[name] = _cell(sink, spec.name, line, name, cell, kind)
            yield Row(line, values)


def _hud_header(sink, spec: H.HudFile, header: list[str], kinds: dict) -> list[str]:
    """The header in HUD's spelling: a name differing from HUD's by case only (another
    vendor's `WorkPlaceViolenceThreats`) is read as HUD's, with a warning."""
    hud = {name.lower(): name for name in (*spec.columns, *kinds)}
    seen: dict[str, str] = {}  # HUD's name -> as the header first wrote it
    found = []
    for name in header:
        known = hud.get(name.lower(), name)
        if known != name:
            sink.warn(spec.name, 1, name, f"read as {known} (HUD's spelling)")
        if known in seen and name.lower() in hud:
            sink.error(spec.name, 1, name, f"a second {known} column (first: {seen[known]})")
        seen.setdefault(known, name)
        found.append(known)
    return found


# What the import reads of Export.csv: the source's identity and what kind of export it is.
EXPORT_COLUMNS = {
    "SourceID": Column("text", 350),
    "SourceName": Column("text", 50),
    "ExportPeriodType": Column("int"),
    "ExportDirective": Column("int"),
    "ExportStartDate": Column("date"),
    "ExportEndDate": Column("date"),
    "ImplementationID": Column("text", 200),
}


def source_of(checked: Checked) -> str:
    """The export lineage: Export.csv SourceID, else SourceName, after the ImplementationID
    (the source database) when there is one: what makes the same source IDs map to the same
    rows, and what a full refresh may delete from."""
    values = checked.export
    source = str(values.get("SourceID") or values.get("SourceName") or "")
    implementation = values.get("ImplementationID")
    return f"{implementation}:{source}" if implementation else source


# The longest lineage a file may name: `hud_source` holds it, after a service account's
# `org:<organization>:` (hmis.exports.load).
LINEAGE_LENGTH = models.Client.__table__.c.hud_source.type.length - len(f"org:{'0' * 32}:")


def _lineage(out: Checked, row: Row) -> None:
    if len(source_of(out)) > LINEAGE_LENGTH:
        column = "SourceID" if out.export.get("SourceID") else "SourceName"
        out.error(H.EXPORT.name, row.line, column, f"with ImplementationID, longer than "
                  f"{LINEAGE_LENGTH} characters (the longest source the HMIS records)")  # fmt: skip


def _check_file(out: Checked, spec: H.HudFile) -> None:
    seen: dict[str, int] = {}  # key -> first line
    households: dict[str, list] = {}  # HouseholdID -> [first line, a head seen]
    exits: dict[str, int] = {}  # EnrollmentID -> line of its exit
    for row in _rows(out, out.source, spec, out.fy2024):
        key = row.values.get(spec.key)
        if key is not None:
            if key in seen:
                out.error(spec.name, row.line, spec.key,
                          f"duplicate {spec.key} {key!r} (first on row {seen[key]})")  # fmt: skip
                continue
            seen[key] = row.line
        _references(out, spec, row, households, exits)
    out.keys[spec.name] = set(seen)
    for household, (line, head) in households.items():
        if not head:
            out.warn(H.ENROLLMENT.name, line, "HouseholdID",
                     f"household {household!r} has no head (RelationshipToHoH 1)")  # fmt: skip


def _cell(out, file: str, line: int, name: str, cell: str, kind: Column) -> Any:
    cell = restored(cell)  # a value our export (or a spreadsheet) quoted as text
    text = cell.strip()
    if text != cell:
        out.warn(file, line, name, "whitespace trimmed")
    if control := CONTROL.search(text):
        out.error(file, line, name, f"a control character (U+{ord(control.group()):04X})")
        return None
    if text == "":
        codes = CODES.get(name)
        if codes is not None and kind.required:
            lists = codes if isinstance(codes, tuple) else (codes,)
            if any(NOT_COLLECTED in {int(m) for m in lst} for lst in lists):
                out.warn(file, line, name, "blank, read as 99 (data not collected)")
                return NOT_COLLECTED
            if codes is hud.NoYes:
                out.warn(file, line, name, "blank, read as 0 (no)")
                return 0
        if kind.required:
            out.error(file, line, name, "required value missing")
        return None
    if kind.length is not None and len(text) > kind.length:
        out.error(file, line, name, f"longer than {kind.length} characters")
        return None
    try:
        value = _parse(kind.kind, text)
    except ValueError as error:
        out.error(file, line, name, str(error))
        return None
    if kind.kind == "timestamp" and isinstance(value, date) and not isinstance(value, datetime):
        out.warn(file, line, name, "a date where a timestamp is expected, read as midnight")
        value = datetime.combine(value, time())
    if name in CODES and value is not None and not _known(CODES[name], value):
        out.error(file, line, name, f"{text} is not a code of HUD's {name} list")
        return None
    if kind.highest is not None and not kind.lowest <= value <= kind.highest:
        out.error(file, line, name, f"{value} is out of range ({kind.lowest} to {kind.highest})")
        return None
    return value


def _parse(kind: str, text: str) -> Any:
    if kind == "int":
        if not INTEGER.fullmatch(text):
            raise ValueError(f"{quoted(text)} is not a whole number")
        if len(text) > MAX_DIGITS:
            raise ValueError(f"{quoted(text)} is out of range")
        return int(text)
    if kind == "money":
        try:
            amount = Decimal(text).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise ValueError(f"{quoted(text)} is not an amount") from None
        if not amount.is_finite():  # NaN
            raise ValueError(f"{quoted(text)} is not an amount")
        return amount
    if kind == "date":
        try:
            return _date(text)
        except ValueError:
            raise ValueError(f"{quoted(text)} is not a date (YYYY-MM-DD)") from None
    if kind == "timestamp":
        try:
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            try:
                return _date(text)
            except ValueError:
                message = f"{quoted(text)} is not a timestamp (YYYY-MM-DD hh:mm:ss)"
                raise ValueError(message) from None
    return text


def _date(text: str) -> date:
    if not DATE.fullmatch(text):  # fromisoformat also reads 20250102, 2025-W01-1
        raise ValueError(text)
    return date.fromisoformat(text)


def _known(codes, value: int) -> bool:
    lists = codes if isinstance(codes, tuple) else (codes,)
    return any(value in {int(m) for m in lst} for lst in lists)


# --- references between files (each refers only to files read before it) ------------------


def _references(out: Checked, spec: H.HudFile, row: Row, households: dict, exits: dict) -> None:
    v = row.values
    if spec is H.EXPORT and not out.export:
        out.export = v
        _lineage(out, row)
    elif spec is H.USER and v.get("UserID"):
        out.users.add(v["UserID"])
    elif spec is H.PROJECT:
        _refer(out, spec, row, "OrganizationID", out.keys[H.ORGANIZATION.name], "Organization.csv")
    elif spec is H.ENROLLMENT:
        _refer(out, spec, row, "PersonalID", out.keys[H.CLIENT.name], "Client.csv")
        _refer(out, spec, row, "ProjectID", out.keys[H.PROJECT.name], "Project.csv")
        out.projects_used.add(v.get("ProjectID"))
        if v.get("EnrollmentID") is not None:
            out.enrollments[v["EnrollmentID"]] = v.get("PersonalID")
        if v.get("HouseholdID"):
            found = households.setdefault(v["HouseholdID"], [row.line, False])
            found[1] = found[1] or v.get("RelationshipToHoH") == 1
    elif spec is H.EXIT or spec in H.AGENCY_ONLY:
        _refer(out, spec, row, "PersonalID", out.keys[H.CLIENT.name], "Client.csv")
        enrollment = v.get("EnrollmentID")
        if enrollment is not None:
            if enrollment not in out.enrollments and H.ENROLLMENT.name not in out.unread:
                out.error(spec.name, row.line, "EnrollmentID",
                          "no such enrollment in Enrollment.csv")  # fmt: skip
            elif out.enrollments[enrollment] != v.get("PersonalID"):
                out.error(spec.name, row.line, "PersonalID", "not the enrollment's PersonalID")
        if spec is H.EXIT and not v.get("DateDeleted"):
            if enrollment in exits:
                first = exits[enrollment]
                message = f"a second exit of the enrollment (first on row {first})"
                out.error(spec.name, row.line, "EnrollmentID", message)
            exits.setdefault(enrollment, row.line)
    if spec in (H.CLIENT, H.ENROLLMENT, H.EXIT, *H.AGENCY_ONLY):
        user = v.get("UserID")
        if user and user not in out.users:
            out.warn(spec.name, row.line, "UserID", "not in User.csv; recorded as unknown")


def _refer(out: Checked, spec: H.HudFile, row: Row, name: str, known: set, where: str) -> None:
    value = row.values.get(name)
    if value is not None and value not in known and where not in out.unread:
        out.error(spec.name, row.line, name, f"no such {name} in {where}")
