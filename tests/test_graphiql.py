"""GraphiQL works offline: its assets come from the package, under a CSP that allows nothing
from elsewhere, and it opens on a default document that is valid against the schema."""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from pathlib import Path

from graphql import parse, validate

from hmis.app import create_app
from hmis.auth.principal import Role
from hmis.graphiql import ASSETS
from hmis.schema import build_schema

from .browser import Browser, chromium_path
from .live_server import listening
from .support import api_settings

SHOTS = Path(os.environ.get("HMIS_SCREENSHOTS", tempfile.gettempdir())) / "hmis-screenshots"


def default_document() -> str:
    script = (ASSETS / "start.js").read_text()
    text = re.search(r"const DEFAULT_DOCUMENT = `(.*?)`;", script, re.S).group(1)
    return text.replace("\\`", "`")


def test_default_document_is_valid_and_speaks_to_every_role():
    document = default_document()
    errors = validate(build_schema()._schema, parse(document))
    assert not errors, errors
    for role in Role:
        assert f"# {role.value}" in document, role
    assert '{"Authorization": "Bearer <token>"}' in document and "make run" in document


def test_every_vendored_asset_is_recorded_with_its_version_and_license():
    record = (ASSETS / "ASSETS.md").read_text()
    vendored = {p.name for p in ASSETS.iterdir() if p.suffix in (".js", ".css")}
    for name in vendored - {"start.js", "page.css"}:
        assert f"| {name} |" in record, name
    for license_file in re.findall(r"licenses/[\w.-]+\.txt", record):
        assert (ASSETS / license_file).read_text().strip(), license_file


async def test_graphiql_is_off_in_production_unless_enabled(api):
    page = await api.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert (await api.get("/graphiql-assets/start.js")).status_code == 404


async def test_graphiql_page_loads_nothing_from_elsewhere(engine, database_url, issuer):
    app = create_app(api_settings(database_url, issuer, enable_graphiql=True))
    try:
        async with listening(app) as base:
            import httpx

            async with httpx.AsyncClient(base_url=base) as http:
                page = await http.get("/graphql", headers={"Accept": "text/html"})
                assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
                fetched = [await http.get(a) for a in assets if a.startswith("/")]
    finally:
        await app.state.engine.dispose()
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy
    assert "http" not in policy and "unsafe-eval" not in policy
    assert all(a.startswith("/graphiql-assets/") or a == "data:," for a in assets), assets
    assert len(fetched) == 8 and all(r.status_code == 200 for r in fetched)
    assert "<script>" not in page.text  # no inline script: the CSP would refuse it


def graphiql_scenario(base: str, bearer: str) -> dict:
    """Open GraphiQL, read the default document, run a query with a token; screenshot."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    editor = "document.querySelector('.graphiql-query-editor .CodeMirror')"
    shown = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
    headers = f"document.querySelector('{shown}')"
    response = "document.querySelector('.result-window .CodeMirror')"
    with Browser(1280, 800) as browser:
        browser.open(f"{base}/graphql")
        document = browser.until(f"{editor} && {editor}.CodeMirror.getValue()")
        hint = browser.until(f"{headers} && {headers}.CodeMirror.getValue()")
        shot = browser.screenshot(SHOTS / "graphiql-offline.png")
        browser.evaluate(f"{headers}.CodeMirror.setValue({json.dumps(bearer)})")
        # As a person would: the cursor into the first example operation, then Ctrl-Enter.
        line = document.splitlines().index("query WhoAmI {")
        browser.evaluate(f"{editor}.CodeMirror.focus(); {editor}.CodeMirror.setCursor({line}, 8)")
        browser.press("Enter", ctrl=True)
        answer = browser.until(f"{response} && {response}.CodeMirror.getValue()")
        browser.screenshot(SHOTS / "graphiql-offline-answer.png")
        # The docs, the explorer plugin and a dialog: what GraphiQL draws on demand.
        browser.click("[aria-label='Show Documentation Explorer']")
        docs = browser.until("document.querySelector('.graphiql-doc-explorer')?.innerText")
        browser.click("[aria-label='Show GraphiQL Explorer']")
        browser.until("!!document.querySelector('.graphiql-explorer-root')")
        browser.click("[aria-label='Open settings dialog']")
        browser.until("!!document.querySelector('.graphiql-dialog')")
        browser.screenshot(SHOTS / "graphiql-offline-dialog.png")
        return {
            "document": document, "hint": hint, "answer": answer, "shot": shot, "docs": docs,
            "urls": browser.requested_urls(), "errors": browser.console_errors(),
        }  # fmt: skip


async def test_graphiql_works_offline_in_headless_chromium(engine, database_url, issuer, token):
    chromium_path()  # skips with the reason when Chromium cannot be had
    app = create_app(api_settings(database_url, issuer, enable_graphiql=True))
    bearer = json.dumps({"Authorization": f"Bearer {token('hmis_admin', sub='graphiql-admin')}"})
    try:
        async with listening(app) as base:
            seen = await asyncio.to_thread(graphiql_scenario, base, bearer)
    finally:
        await app.state.engine.dispose()
    assert "query ShelterCaseload" in seen["document"] and "# client" in seen["document"]
    assert json.loads(seen["hint"]) == {"Authorization": "Bearer <token>"}
    answer = json.loads(seen["answer"])
    me = answer["data"]["me"]
    assert me["subject"] == "graphiql-admin" and me["roles"] == ["HMIS_ADMIN"], answer
    assert seen["urls"] and all(u.startswith(base) or u.startswith("data:") for u in seen["urls"])
    assert "Query" in seen["docs"]
    # graphiql-explorer 0.9 logs this while it walks a document with arguments (harmless).
    errors = [e for e in seen["errors"] if not e.startswith("arg mismatch between arg and")]
    assert not errors, errors  # CSP violations are logged as errors too
    assert seen["shot"].stat().st_size > 30_000  # a blank 1280x800 PNG is a few KiB
