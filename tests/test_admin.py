"""Administration through the API, and publishing the privacy notice from the command line
or the API (one function serves both); the public queries show the result without a token."""

from __future__ import annotations

import asyncio
import datetime
from pathlib import Path

from click.testing import CliRunner

from hmis.cli import main

from .writes import build_world

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "docs" / "sample-privacy-notice.md"
PUBLIC = """{ organizations { name victimServiceProvider }
  privacyNotice { title effectiveDate }
  privacyNoticeHistory { title effectiveDate } }"""


async def test_admin_builds_the_coc_that_staff_then_serve(api, token):
    world = await build_world(api, token)
    payload = await world.ok(world.admin, "createOrganization", {
        "name": "  Safe House ", "victimServiceProvider": True},
        "organization { name victimServiceProvider }")  # fmt: skip
    assert payload["organization"] == {"name": "Safe House", "victimServiceProvider": True}
    payload = await world.ok(world.admin, "createStaffUser", {
        "organizationId": world.orgs["Outreach"], "firstName": "Olly", "lastName": "Out",
        "phone": "630.555.0123", "extension": "12", "email": "olly@outreach.example",
        "subject": "olly-login"},
        "staffUser { id phone extension subject organization { name } }")  # fmt: skip
    olly = payload["staffUser"]
    assert olly["phone"] == "6305550123" and olly["organization"]["name"] == "Outreach Org"
    # Staff of that organization enroll in its project and assign its case manager.
    ada = await world.new_client(org="Outreach")
    outreach = world.staff["Outreach"]
    payload = await world.ok(outreach, "createEnrollment", {
        "clientId": ada, "projectId": world.projects["Outreach"], "entryDate": "2025-02-01"},
        "enrollment { project { name projectType organization { name } } }")  # fmt: skip
    assert payload["enrollment"]["project"] == {
        "name": "Street Outreach",
        "projectType": "STREET_OUTREACH",
        "organization": {"name": "Outreach Org"},
    }
    payload = await world.ok(
        outreach,
        "assignCaseManager",
        {"clientId": ada, "staffUserId": olly["id"]},
        "assignment { firstName phone }",
    )
    assert payload["assignment"] == {"firstName": "Olly", "phone": "6305550123"}
    public = await world.query(None, "{ organizations { name victimServiceProvider } }")
    assert {"name": "Safe House", "victimServiceProvider": True} in public["organizations"]


def _publish_from_the_command_line(database_url: str, *args: str):
    result = CliRunner().invoke(main, ["notice", "publish", *args],
                                env={"HMIS_DATABASE_URL": database_url})  # fmt: skip
    return result.exit_code, result.output


async def test_notice_published_from_the_cli_and_the_api(api, token, database_url):
    admin = token("hmis_admin", sub="admin-1")
    world = await build_world(api, token)
    today = datetime.date.today()
    code, output = await asyncio.to_thread(
        _publish_from_the_command_line, database_url, str(SAMPLE), "--effective", today.isoformat()
    )
    assert code == 0, output
    assert "Sample HMIS Privacy Notice" in output
    # The same rules as the mutation: one version per date, never backdated.
    code, output = await asyncio.to_thread(
        _publish_from_the_command_line, database_url, str(SAMPLE), "--effective", today.isoformat()
    )
    assert code == 1 and f"a notice already takes effect on {today}" in output
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    code, output = await asyncio.to_thread(
        _publish_from_the_command_line, database_url, str(SAMPLE), "--effective", yesterday
    )
    assert code == 1 and "today or later" in output
    later = (today + datetime.timedelta(days=30)).isoformat()
    payload = await world.ok(admin, "publishPrivacyNotice", {
        "text": "# Privacy Notice, revised\n\nShorter.", "effectiveDate": later},
        "notice { title effectiveDate }")  # fmt: skip
    assert payload["notice"] == {"title": "Privacy Notice, revised", "effectiveDate": later}
    public = await world.query(None, PUBLIC)
    # The revision is announced but not yet in force.
    assert public["privacyNotice"] == {
        "title": "Sample HMIS Privacy Notice",
        "effectiveDate": today.isoformat(),
    }
    assert [n["effectiveDate"] for n in public["privacyNoticeHistory"]] == [
        later,
        today.isoformat(),
    ]


async def test_two_simultaneous_organizations_of_one_name_make_one_and_a_duplicate_error(
    api, token
):
    """The name check and the insert are two statements: two requests racing with one name
    both pass the check, and the database's unique index refuses the second insert. That
    request is run once more, sees the first one's row, and answers DUPLICATE_NAME."""
    world = await build_world(api, token)
    payloads = await asyncio.gather(*(
        world.call(world.admin, "createOrganization", {"name": "Twin Org"}, "organization { id }")
        for _ in range(4)
    ))  # fmt: skip
    made = [p for p in payloads if p["errors"] == []]
    refused = [p for p in payloads if p["errors"]]
    assert len(made) == 1 and len(refused) == 3, payloads
    assert {e["code"] for p in refused for e in p["errors"]} == {"DUPLICATE_NAME"}
    names = (await world.query(None, "{ organizations { name } }"))["organizations"]
    assert [n["name"] for n in names].count("Twin Org") == 1
