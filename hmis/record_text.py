"""The words of the client's printable copy (`hmis.record_page`) and of its error page: section
titles, what each group holds and who sees it (POLICY.md in plain language), actions, purposes
and roles as a person says them, and the page's style."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    about: str
    who: str = ""


SHARED = (
    "staff of the organization that entered it and of the HMIS's partner organizations (this "
    "is the information the privacy notice shares; if you refused sharing, partners see only "
    "what was recorded before), the HMIS lead's administrators and auditors."
)
RESEARCH = " Researchers under a research agreement may see it without your name."
NOT_SHARED = (
    "only staff of the organization that entered it, the HMIS lead's administrators and "
    "auditors. Partner organizations do not see it."
)
GROUPS: dict[str, Section] = {
    "IDENTITY": Section(
        "identity",
        "About you",
        "Your name, Social Security number and date of birth, and how complete each one is.",
        SHARED,
    ),
    "DEMOGRAPHICS": Section(
        "demographics",
        "How you describe yourself",
        "Race and ethnicity, sex, gender and veteran status, as you told them.",
        SHARED + RESEARCH,
    ),
    "ENROLLMENTS": Section(
        "enrollments",
        "Programs you were enrolled in",
        "Each program, when "
        "you entered and left it, where you went, and your place in the "
        "household you were enrolled with.",
        SHARED + " Your place in the "
        "household is not shared with partner organizations." + RESEARCH,
    ),
    "CASE_MANAGER": Section(
        "case-manager",
        "Your case manager",
        "The person assigned to help you and how to reach them.",
        SHARED + RESEARCH,
    ),
    "CONTACT": Section("contact", "How to reach you", "Your phone, email and address.", NOT_SHARED),
    "HOUSEHOLD": Section("household", "Your household", "Who you were enrolled with.", NOT_SHARED),
    "HEALTH": Section(
        "health",
        "Health and disabilities",
        "Whether you have a disabling "
        "condition, and each condition asked about, with the dates it was "
        "recorded.",
        NOT_SHARED + RESEARCH,
    ),
    "INCOME": Section(
        "income",
        "Income and benefits",
        "Whether you have income, how much each month, and from which sources.",
        NOT_SHARED + RESEARCH,
    ),
    "DOMESTIC_VIOLENCE": Section(
        "safety",
        "Safety",
        "Whether you have experienced domestic violence, when, and whether you are fleeing now.",
        NOT_SHARED + RESEARCH,
    ),
    "CASE_NOTES": Section(
        "case-notes",
        "Case notes",
        "Notes staff wrote about their work with "
        "you. Notes compiled for a legal proceeding are not included in this "
        "copy.",
        NOT_SHARED,
    ),
    "ACCESS_HISTORY": Section(
        "access-history",
        "Who looked at or changed your record",
        "Each "
        "line is one organization (or the HMIS lead's administrators or "
        "auditors) on one day: what they did and which parts of your "
        "record they saw or wrote. The HMIS records the organization, "
        "not the person.",
    ),
    "DISCLOSURES": Section(
        "disclosures",
        "Information given outside the HMIS",
        "When the law "
        "allowed or required giving your information to someone outside "
        "the HMIS (for example a court or a coroner), it is listed here.",
    ),
    "CORRECTIONS": Section(
        "corrections",
        "Corrections you asked for",
        "You may ask for wrong "
        "or incomplete information to be corrected; each request and its "
        "outcome.",
    ),
    "COMPLAINTS": Section(
        "complaints",
        "Your complaints",
        "Complaints you filed about how your information was handled, and what happened to them.",
    ),
}
ROLES = {
    "HMIS_ADMIN": "HMIS lead (administrator)",
    "AUDITOR": "Auditor of the HMIS",
    "RESEARCHER": "Researcher under a research agreement",
    "AGGREGATE_READER": "Statistics (counts without names)",
    "CLIENT": "You",
    "AGENCY_STAFF": "Staff of an organization",
}
ACTIONS = {
    "view": "Viewed",
    "search": "Found you in a search",
    "export": "Made a copy (export)",
    "create": "Added information",
    "update": "Changed information",
    "correct": "Corrected information",
    "delete": "Deleted information",
    "disclose": "Recorded a disclosure outside the HMIS",
    "refuse": "Recorded your refusal to share",
    "revoke": "Recorded that you withdrew your refusal",
    "request_correction": "Asked for a correction",
    "deny_correction": "Declined a correction",
    "complain": "Filed a complaint",
    "handle_complaint": "Worked on your complaint",
    "view_log": "Read this list of accesses",
    "link_login": "Linked your login to your record",
    "consent_research": "Recorded your consent to research",
}
FIELDS = {  # the fields a client may ask to correct
    "firstName": "First name",
    "middleName": "Middle name",
    "lastName": "Last name",
    "nameSuffix": "Name suffix",
    "ssn": "Social Security number",
    "dob": "Date of birth",
}
PURPOSES = {
    "SERVICE_COORDINATION": "To coordinate your services",
    "BILLING": "Billing or funding",
    "ADMINISTRATION": "Running the HMIS",
    "DATA_QUALITY": "Checking data quality",
    "AUDIT": "Audit",
    "RESEARCH": "Research",
    "AGGREGATE_REPORTING": "Statistics without names",
    "REQUIRED_BY_LAW": "Required by law",
    "SELF_ACCESS": "You looked at your own record",
}
INTRO = (
    '<p class="intro">This is a copy of the information the Homeless Management Information '
    "System (HMIS) holds about you, as the privacy notice gives you the right to see it. "
    "Each part says what it holds and who can see it. Times are in UTC (Coordinated Universal "
    "Time). If something is wrong or missing, you may ask the organization that serves you "
    "to correct it.</p>"
)
STYLE = """
*, *::before, *::after { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111;
       margin: 0; background: #fff; }
main { max-width: 60rem; margin: 2rem auto; padding: 0 1.25rem; }
h1 { font-size: 1.7rem; margin: 0 0 .2rem; }
h2 { font-size: 1.2rem; border-bottom: 2px solid #333; padding-bottom: .15rem;
     margin: 2rem 0 .4rem; }
p { margin: .3rem 0; }
.made { color: #444; margin-bottom: .8rem; }
.about { color: #222; }
.who { color: #444; font-size: .92em; }
.none { color: #555; font-style: italic; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; margin: .6rem 0; }
th, td { border: 1px solid #999; padding: .3rem .45rem; text-align: left; vertical-align: top;
         overflow-wrap: break-word; hyphens: auto; }
th { background: #eee; font-weight: 600; }
dl { display: grid; grid-template-columns: minmax(9rem, 16rem) minmax(0, 1fr);
     gap: .2rem 1rem; margin: .6rem 0; }
dt { font-weight: 600; }
dd { margin: 0; white-space: pre-wrap; overflow-wrap: break-word; }
@media print {
  @page { margin: 15mm 14mm; }
  body { font-size: 10pt; }
  main { max-width: none; margin: 0; padding: 0; }
  h2 { break-after: avoid; margin-top: 1.2rem; }
  tr, dl, .about, .who { break-inside: avoid; }
  th { background: #eee; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
# The page a browser gets when the copy cannot be shown (API clients get JSON).
ERROR_PAGES = {
    401: (
        "Please sign in first",
        "This page shows your own HMIS record, so it needs to know who you are. Open it "
        "from the app or website you use to see your record, which signs you in. If you did, "
        "your sign-in may have expired: sign in again.",
    ),
    403: (
        "This page is for clients",
        "It shows a client their own HMIS record. The account you are signed in with is not "
        "a client's account. Staff see client records in their own HMIS application.",
    ),
    404: (
        "No record is linked to your login",
        "You are signed in, but no HMIS record is linked to your login yet. Ask the "
        "organization that serves you to link it.",
    ),
}
SERVER_ERROR = (
    "Your record cannot be shown right now",
    "Something went wrong on our side; nothing about you was changed. Please try "
    "again later, or ask the organization that serves you for a printed copy.",
)
