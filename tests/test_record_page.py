"""The client's printable copy (/my-record.html) reads as a document: HUD's labels, dates as
dates, the access history as who/when/what, rows once, nothing wider than the page; a browser
that is not signed in gets a page a person understands, an API client JSON."""

from __future__ import annotations

import asyncio
import re
from html.parser import HTMLParser

from graphql import GraphQLEnumType

from hmis import hud
from hmis.schema import build_schema

from .browser import Browser, chromium_path
from .live_server import listening
from .record_world import busiest_client
from .test_graphiql import SHOTS

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def enum_names() -> set[str]:
    """The code names of our enums, but words HUD's own labels use ("Full DOB reported")."""
    schema = build_schema()._schema
    lists = [k for k in vars(hud).values() if isinstance(k, type) and issubclass(k, hud.HudCode)]
    hud_words = {word for kind in lists for member in kind for word in member.label.split()}
    return {
        name
        for kind in schema.type_map.values()
        if isinstance(kind, GraphQLEnumType) and not kind.name.startswith("__")
        for name in kind.values
    } - hud_words


class Text(HTMLParser):
    """The visible text, and each table's rows."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.rows: list[list[tuple]] = []
        self.row: list[str] | None = None
        self.skip = False

    def handle_starttag(self, tag, attrs):
        if tag == "style":
            self.skip = True
        elif tag == "table":
            self.rows.append([])
        elif tag == "tr":
            self.row = []

    def handle_endtag(self, tag):
        if tag == "style":
            self.skip = False
        elif tag == "tr" and self.row is not None:
            self.rows[-1].append(tuple(self.row))
            self.row = None

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)
            if self.row is not None:
                self.row.append(data)


async def test_the_copy_reads_as_a_document(engine, sessions, api, token):
    subject = await busiest_client(engine, sessions, api, token)
    response = await api.get("/my-record.html", headers={
        "Authorization": f"Bearer {token('client', sub=subject)}"})  # fmt: skip
    assert response.status_code == 200, response.text
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "my-record.html").write_text(response.text)
    page = Text()
    page.feed(response.text)
    text = " ".join(page.parts)
    codes = set(re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\b[A-Z]{3,}\b", text))
    assert not codes & enum_names(), codes & enum_names()
    assert not re.search(r"\d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT", text), "times to the second"
    assert "none recorded" not in text and "Ssn" not in text and "ho h" not in text
    for phrase in ("HMIS lead (administrator)", "Auditor of the HMIS", "Social Security number",
                   "Who looked at or changed your record", "DuPage County Coroner",
                   "Coroner or medical examiner", "Who sees it:"):  # fmt: skip
        assert phrase in text, phrase
    assert re.search(r"\b\d{1,2} (January|February|March|April|May|June|July|August|"
                     r"September|October|November|December) \d{4}\b", text)  # fmt: skip
    for rows in page.rows:
        assert len(rows) == len(set(rows)), rows  # each row once
    assert sum(len(rows) for rows in page.rows) > 15  # a record with many rows


def measure(browser: Browser, width: int) -> dict:
    """The widest element's right edge against the viewport's width."""
    browser.resize(width, 900)
    return browser.evaluate(
        "(() => { let widest = 0, tag = '';"
        " for (const e of document.querySelectorAll('body *')) {"
        "   const r = e.getBoundingClientRect().right;"
        "   if (r > widest) { widest = r; tag = e.tagName + ' ' + e.textContent.slice(0, 40); } }"
        " return {widest, tag, viewport: window.innerWidth,"
        "         scroll: document.documentElement.scrollWidth}; })()"
    )


def print_scenario(url: str, bearer: str) -> dict:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with Browser(1200, 900) as browser:
        browser.open(url, headers={"Authorization": f"Bearer {bearer}"})
        screen = measure(browser, 1200)
        shot = browser.screenshot(SHOTS / "my-record-1200.png")
        # A4 less the page's 14 mm side margins, at 96 px per inch: 182 mm = 688 px.
        browser.page("Emulation.setEmulatedMedia", media="print")
        paper = measure(browser, 688)
        browser.screenshot(SHOTS / "my-record-print-a4.png")
        browser.page("Emulation.setEmulatedMedia", media="")
        pdfs = [browser.print_pdf(SHOTS / f"my-record-{p}.pdf", paper=p) for p in ("A4", "Letter")]
        text = browser.evaluate("document.body.innerText")
        return {"screen": screen, "paper": paper, "shot": shot, "pdfs": pdfs, "text": text,
                "errors": browser.console_errors()}  # fmt: skip


async def test_the_copy_fits_the_window_and_the_page_in_chromium(app, engine, sessions, api,
                                                                 token):  # fmt: skip
    chromium_path()
    subject = await busiest_client(engine, sessions, api, token)
    async with listening(app) as base:
        seen = await asyncio.to_thread(print_scenario, f"{base}/my-record.html",
                                       token("client", sub=subject))  # fmt: skip
    for view in (seen["screen"], seen["paper"]):
        assert view["scroll"] <= view["viewport"], view
        assert view["widest"] <= view["viewport"] + 0.5, view
    assert "Your HMIS record" in seen["text"] and "HMIS lead (administrator)" in seen["text"]
    assert not set(re.findall(r"\b[A-Z][A-Z0-9_]{2,}\b", seen["text"])) & enum_names()
    for pdf in seen["pdfs"]:
        content = pdf.read_bytes()
        assert content.startswith(b"%PDF-") and content.count(b"/Type /Page\n") + content.count(
            b"/Type/Page") >= 1 and len(content) > 20_000, pdf  # fmt: skip
    assert seen["shot"].stat().st_size > 30_000
    assert not seen["errors"], seen["errors"]


async def test_signed_out_browser_gets_a_page_and_api_clients_json(api, token):
    page = await api.get("/my-record.html", headers=BROWSER)
    assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
    assert "www-authenticate" in page.headers and "Please sign in" in page.text
    assert "locations" not in page.text and "UNAUTHENTICATED" not in page.text
    api_client = await api.get("/my-record.html", headers={"Accept": "application/json"})
    assert api_client.status_code == 401 and "www-authenticate" in api_client.headers
    errors = api_client.json()["errors"]
    assert errors and all(set(e) == {"message", "extensions"} for e in errors), errors
    staff = await api.get("/my-record.json", headers={
        **BROWSER, "Authorization": f"Bearer {token('hmis_admin')}"})  # fmt: skip
    assert staff.status_code == 403 and "This page is for clients" in staff.text
    unlinked = await api.get("/my-record.html", headers={
        **BROWSER, "Authorization": f"Bearer {token('client', sub='nobody')}"})  # fmt: skip
    assert unlinked.status_code == 404 and "No record is linked" in unlinked.text


def error_scenario(url: str) -> dict:
    with Browser(1200, 700) as browser:
        browser.open(url)
        shot = browser.screenshot(SHOTS / "my-record-signed-out.png")
        return {"text": browser.evaluate("document.body.innerText"), "shot": shot}


async def test_the_signed_out_page_in_chromium(app):
    chromium_path()
    async with listening(app) as base:
        seen = await asyncio.to_thread(error_scenario, f"{base}/my-record.html")
    assert seen["text"].startswith("Please sign in first"), seen["text"]
    assert "{" not in seen["text"]
