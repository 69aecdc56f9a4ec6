"""The client's copy of their record (`GET /my-record.html`) as a document a person reads and
prints: HUD's labels instead of code names, dates as dates, each group under a plain title
with a sentence on what it holds and who sees it, the access history as "who, when, what",
repeated rows once, and a layout that fits the window and an A4 or Letter page.

Only the data the copy's query returned is shown (`hmis.record_copy`); this module formats it.
Code names are labelled from the schema's own enum descriptions ("HUD 312: Staying or living
with family, ..."), so HUD's wording lives in one place (`hmis.hud`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import escape
from typing import Any

from graphql import GraphQLEnumType, GraphQLSchema

from hmis import hud
from hmis.record_text import (
    ACTIONS,
    FIELDS,
    GROUPS,
    INTRO,
    PURPOSES,
    ROLES,
    STYLE,
    Section,
)

HUD_DESCRIPTION = re.compile(r"HUD (\d+): (.+)", re.S)


class Labels:
    """HUD's label of each enum value of the schema; a plain phrase for our own enums."""

    def __init__(self, schema: GraphQLSchema):
        self.by_type: dict[str, dict[str, str]] = {}  # enum type -> value name -> label
        for name, kind in schema.type_map.items():
            if isinstance(kind, GraphQLEnumType) and not name.startswith("__"):
                self._read(name, kind)

    def _read(self, type_name: str, kind: GraphQLEnumType) -> None:
        by_code: dict[str, str] = {}
        labels = self.by_type.setdefault(type_name, {})
        for name, value in kind.values.items():
            found = HUD_DESCRIPTION.fullmatch(value.description or "")
            if found:
                by_code[found.group(1)] = labels[name] = found.group(2)
        for name, value in kind.values.items():  # deprecated names: "HUD 3" only
            code = (value.description or "").removeprefix("HUD ")
            labels.setdefault(name, by_code.get(code) or phrase(name))

    def __call__(self, kind: str, value: Any) -> str:
        """The label of a value name of enum `kind`."""
        if value is None:
            return ""
        return self.by_type.get(kind, {}).get(str(value)) or phrase(str(value))

    @staticmethod
    def code(kind: type[hud.HudCode], code: Any) -> str:
        """HUD's label of a code in list `kind` (for fields that carry the code itself)."""
        return "" if code is None else hud.label(kind, code, default=str(code))


def phrase(name: str) -> str:
    """A code name as words: `CORONER_OR_MEDICAL_EXAMINER` -> `Coroner or medical examiner`."""
    words = name.replace("_", " ").strip().lower()
    return words[:1].upper() + words[1:]


def day(value: str | None) -> str:
    """`2024-01-05` -> `5 January 2024`."""
    if not value:
        return ""
    parsed = date.fromisoformat(value[:10])
    return f"{parsed.day} {parsed:%B %Y}"


def moment(value: str | None) -> str:
    """An instant as a date and a time to the minute, in UTC (said in the page's intro)."""
    if not value:
        return ""
    parsed = datetime.fromisoformat(value).astimezone(UTC)
    return f"{parsed.day} {parsed:%B %Y}, {parsed:%H:%M} UTC"


def money(value: Any) -> str:
    return "" if value is None else f"${float(value):,.2f}"


def ssn(value: str | None) -> str:
    if value and len(value) == 9 and value.isdigit():
        return f"{value[:3]}-{value[3:5]}-{value[5:]}"
    return value or ""


def names(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


def unique(rows: list[tuple]) -> list[tuple]:
    """The rows in order, each once."""
    return list(dict.fromkeys(rows))


# --- building blocks ---------------------------------------------------------------------------

NONE = '<p class="none">Nothing recorded.</p>'


def facts(pairs: list[tuple[str, str]]) -> str:
    """A list of label / value pairs; pairs without a value are left out."""
    shown = [(k, v) for k, v in pairs if v]
    if not shown:
        return NONE
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in shown)
    return f"<dl>{rows}</dl>"


def table(headings: list[str], rows: list[tuple], *, widths: list[int] | None = None) -> str:
    rows = unique(rows)
    if not rows:
        return NONE
    cols = "".join(f'<col style="width:{w}%">' for w in widths) if widths else ""
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    colgroup = f"<colgroup>{cols}</colgroup>" if cols else ""
    return f"<table>{colgroup}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def section(part: Section, body: str) -> str:
    who = f'<p class="who"><strong>Who sees it:</strong> {escape(part.who)}</p>' if part.who else ""
    return (
        f'<section id="{part.anchor}"><h2>{escape(part.title)}</h2>'
        f'<p class="about">{escape(part.about)}</p>{who}{body}</section>'
    )


def group_list(groups: list[str]) -> str:
    return ", ".join(GROUPS[g].title if g in GROUPS else phrase(g) for g in groups)


# --- the sections ------------------------------------------------------------------------------


class Page:
    """One rendering of the copy's data."""

    def __init__(self, data: dict[str, Any], labels: Labels):
        self.data = data
        self.label = labels
        record = data.get("myRecord") or {}
        self.client = record.get("client") or {}
        self.record = record

    def identity(self) -> str:
        i = self.client.get("identity") or {}
        return facts([
            ("Name", names(i.get("firstName"), i.get("middleName"), i.get("lastName"),
                           i.get("nameSuffix"))),
            ("About the name", self.label("NameDataQuality", i.get("nameDataQuality"))),
            ("Social Security number", ssn(i.get("ssn"))),
            ("About the number", self.label("SsnDataQuality", i.get("ssnDataQuality"))),
            ("Date of birth", day(i.get("dob"))),
            ("About the date of birth", self.label("DobDataQuality", i.get("dobDataQuality"))),
        ])  # fmt: skip

    def demographics(self) -> str:
        d = self.client.get("demographics") or {}
        return facts([
            ("Race and ethnicity", "; ".join(self.label("Race", r) for r in d.get("race") or [])),
            ("Race and ethnicity, in your words", d.get("additionalRaceEthnicity") or ""),
            ("Sex", self.label("Sex", d.get("sex"))),
            ("Gender", "; ".join(self.label("Gender", g) for g in d.get("gender") or [])),
            ("Gender, in your words", d.get("differentIdentityText") or ""),
            ("Veteran", self.label("NoYesMissing", d.get("veteranStatus"))),
        ])  # fmt: skip

    def enrollments(self) -> str:
        edges = (self.client.get("enrollments") or {}).get("edges") or []
        rows = []
        for edge in edges:
            e = edge["node"]
            project = e.get("project") or {}
            household = e.get("household") or {}
            rows.append((
                project.get("name") or "",
                (project.get("organization") or {}).get("name") or "",
                day(e.get("entryDate")),
                day(e.get("exitDate")) or "still enrolled",
                self.label("Destination", e.get("destination")),
                self.label("ReasonForLeaving", e.get("reasonForLeaving")),
                self.label("RelationshipToHoH", household.get("relationshipToHoH")),
            ))  # fmt: skip
        headings = ["Program", "Organization", "Entered", "Left", "Where you went",
                    "Why you left", "In the household"]  # fmt: skip
        return table(headings, rows, widths=[16, 15, 12, 12, 17, 14, 14])

    def case_manager(self) -> str:
        m = self.client.get("caseManager") or {}
        phone = names(m.get("phone"), f"ext. {m['extension']}" if m.get("extension") else None)
        return facts([
            ("Name", names(m.get("firstName"), m.get("lastName"))),
            ("Organization", (m.get("organization") or {}).get("name") or ""),
            ("Phone", phone),
            ("Email", m.get("email") or ""),
            ("Since", day(m.get("startDate"))),
        ])  # fmt: skip

    def contact(self) -> str:
        c = self.client.get("contact") or {}
        place = ", ".join(p for p in (c.get("city"), names(c.get("state"), c.get("zip"))) if p)
        return facts([
            ("Phone", c.get("phone") or ""),
            ("Email", c.get("email") or ""),
            ("Address", "; ".join(p for p in (c.get("addressLine1"), place) if p)),
        ])  # fmt: skip

    def health(self) -> str:
        h = self.client.get("health") or {}
        summary = facts([
            ("Disabling condition", self.label("NoYesMissing", h.get("disablingCondition"))),
            ("As of", day(h.get("informationDate"))),
        ])  # fmt: skip
        found: dict[tuple, list[str]] = {}
        for d in h.get("disabilities") or []:
            kind = d.get("disabilityType")
            # The answer is HUD's code; its list depends on the condition (HUD 4.10.2).
            answers = hud.DisabilityResponse if kind == "SUBSTANCE_USE" else hud.NoYesMissing
            key = (
                self.label("DisabilityType", kind),
                self.label.code(answers, d.get("disabilityResponse")),
                self.label("NoYesMissing", d.get("indefiniteAndImpairs")),
            )
            found.setdefault(key, []).append(day(d.get("informationDate")))
        rows = sorted((*key, ", ".join(dict.fromkeys(dates))) for key, dates in found.items())
        headings = ["Condition", "Answer", "Long-lasting and limits daily life", "Recorded on"]
        return summary + (table(headings, rows, widths=[26, 26, 22, 26]) if rows else "")

    def income(self) -> str:
        i = self.client.get("income") or {}
        summary = facts([
            ("Income from any source", self.label("NoYesMissing", i.get("incomeFromAnySource"))),
            ("Total monthly income", money(i.get("totalMonthlyIncome"))),
            ("As of", day(i.get("informationDate"))),
        ])  # fmt: skip
        rows = [
            (self.label("IncomeSourceType", s.get("source")), money(s.get("amount")))
            for s in i.get("sources") or []
        ]
        return summary + (table(["Source", "Monthly amount"], rows) if rows else "")

    def domestic_violence(self) -> str:
        v = self.client.get("domesticViolence") or {}
        return facts([
            ("Survivor of domestic violence", self.label("NoYesMissing", v.get("survivor"))),
            ("When it happened", self.label("WhenDVOccurred", v.get("whenOccurred"))),
            ("Fleeing now", self.label("NoYesMissing", v.get("currentlyFleeing"))),
            ("As of", day(v.get("informationDate"))),
        ])  # fmt: skip

    def case_notes(self) -> str:
        notes = self.client.get("caseNotes") or []
        rows = [(day(n.get("noteDate")), n.get("text") or "") for n in notes]
        return table(["Date", "Note"], rows, widths=[18, 82])

    def access_history(self) -> str:
        rows = []
        for a in self.record.get("accessHistory") or []:
            organization = (a.get("organization") or {}).get("name")
            role = a.get("actingRole")
            who = organization or ROLES.get(role or "", "The HMIS (no organization recorded)")
            if organization and role in ROLES and role != "AGENCY_STAFF":
                who = f"{organization} ({ROLES[role]})"
            rows.append((
                day(a.get("at")), who, ACTIONS.get(a.get("action"), phrase(a.get("action") or "")),
                group_list(a.get("groups") or []) or "none of your information",
                PURPOSES.get(a.get("purpose") or "", phrase(a.get("purpose") or "")),
            ))  # fmt: skip
        headings = ["Date", "Who", "What they did", "What was seen or written", "Why"]
        return table(headings, rows, widths=[14, 22, 20, 28, 16])

    def disclosures(self) -> str:
        rows = [
            (
                day(d.get("recordedAt")), d.get("recipient") or "",
                self.label("RecipientType", d.get("recipientType")),
                names(d.get("legalBasis"), f"({d['reference']})" if d.get("reference") else None),
                group_list(d.get("groups") or []),
            )
            for d in self.record.get("disclosures") or []
        ]  # fmt: skip
        headings = ["Date", "Given to", "Kind of recipient", "Legal basis", "What was given"]
        return table(headings, rows, widths=[14, 20, 20, 22, 24])

    def corrections(self) -> str:
        rows = [
            (
                day(c.get("requestedAt")), FIELDS.get(c.get("field"), phrase(c.get("field") or "")),
                _value(c.get("field"), c.get("requestedValue")),
                self.label("CorrectionStatus", c.get("status")),
                day(c.get("resolvedAt")), c.get("reason") or "",
            )
            for c in self.data.get("correctionRequests") or []
        ]  # fmt: skip
        headings = ["Asked on", "What", "Your correction", "Status", "Decided on", "Reason"]
        return table(headings, rows, widths=[13, 15, 22, 13, 13, 24])

    def complaints(self) -> str:
        rows = []
        for c in self.data.get("complaints") or []:
            steps = "; ".join(
                f"{day(h.get('at'))}: "
                + names(self.label("ComplaintStatus", h.get("status")).lower(),
                        f"({h['note']})" if h.get("note") else None)
                for h in c.get("history") or []
            )  # fmt: skip
            status = self.label("ComplaintStatus", c.get("status"))
            rows.append((day(c.get("filedAt")), c.get("text") or "", status, steps))
        return table(["Filed on", "Your complaint", "Status", "What happened"], rows,
                     widths=[14, 40, 14, 32])  # fmt: skip

    def render(self) -> str:
        parts = [
            ("IDENTITY", self.identity), ("DEMOGRAPHICS", self.demographics),
            ("ENROLLMENTS", self.enrollments), ("CASE_MANAGER", self.case_manager),
            ("CONTACT", self.contact), ("HEALTH", self.health), ("INCOME", self.income),
            ("DOMESTIC_VIOLENCE", self.domestic_violence), ("CASE_NOTES", self.case_notes),
            ("ACCESS_HISTORY", self.access_history), ("DISCLOSURES", self.disclosures),
            ("CORRECTIONS", self.corrections), ("COMPLAINTS", self.complaints),
        ]  # fmt: skip
        body = "".join(section(GROUPS[key], render()) for key, render in parts)
        made = moment(datetime.now(UTC).isoformat())
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="robots" content="noindex"><title>Your HMIS record</title>'
            f"<style>{STYLE}</style></head><body><main><h1>Your HMIS record</h1>"
            f'<p class="made">Made {escape(made)}.</p>{INTRO}{body}</main></body></html>\n'
        )


def _value(field: str | None, value: str | None) -> str:
    """A requested value as the page shows that field (a date of birth as a date)."""
    if field == "dob" and value and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return day(value)
    return ssn(value) if field == "ssn" else value or ""


def render_html(data: dict[str, Any], labels: Labels) -> str:
    """The printable page of the copy; every value is HTML-escaped."""
    return Page(data, labels).render()
