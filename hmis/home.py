"""`GET /`: where to go from here (GraphQL, the docs), as HTML for a browser and JSON for a
program; and `GET /docs/NAME.md`, the integrator docs of the source tree when it is present
(a clone, the container image). Nothing here reads the database or the caller's token."""

from __future__ import annotations

import html
from importlib import metadata
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

DOCS_DIR = Path(__file__).resolve().parent.parent / "docs"
# The docs a newcomer starts from, in reading order; any other page of docs/ is served too.
START_HERE = (
    ("quick-start.md", "Quick start for frontend teams"),
    ("privacy-rules.md", "What each role sees"),
    ("errors.md", "Every error code"),
    ("pagination-and-limits.md", "Pagination and limits"),
    ("identity-providers.md", "Keycloak, Entra ID and Okta"),
    ("deployment.md", "Production deployment"),
)


def version() -> str:
    """The installed package's version (pyproject.toml), as `hmis --version` prints it."""
    try:
        return metadata.version("hmis")
    except metadata.PackageNotFoundError:  # running from a tree that was never installed
        return "unknown"


def _docs() -> dict[str, Path]:
    """The served pages by name: read once, so a request can only name one of these."""
    if not DOCS_DIR.is_dir():
        return {}
    return {p.name: p for p in sorted(DOCS_DIR.glob("*.md"))}


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split(",")[0]


def routes(*, graphiql: bool) -> list[Route]:
    pages = _docs()
    links = [(f"/docs/{name}", title) for name, title in START_HERE if name in pages]

    async def home(request: Request) -> Response:
        body = {
            "name": "HMIS privacy-enforcing GraphQL API",
            "version": version(),
            "graphql": "/graphql",
            "graphiql": graphiql,
            "docs": {title: href for href, title in links},
            "health": {"live": "/healthz", "ready": "/readyz"},
        }
        if not _wants_html(request):
            return JSONResponse(body)
        ide = (
            "open it in this browser to use GraphiQL (paste a bearer token in the headers pane)"
            if graphiql
            else "POST GraphQL documents to it with a bearer token (GraphiQL is off here)"
        )
        items = "".join(f'<li><a href="{html.escape(h)}">{html.escape(t)}</a></li>'
                        for h, t in links)  # fmt: skip
        docs = f"<h2>Documentation</h2><ul>{items}</ul>" if items else ""
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>HMIS GraphQL API</title>"
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            '<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto">'
            f"<h1>HMIS GraphQL API</h1><p>Version {html.escape(body['version'])}.</p>"
            f'<p>The API is at <a href="/graphql"><code>/graphql</code></a>: {ide}.</p>'
            f"{docs}</body></html>"
        )
        return HTMLResponse(page)

    async def doc(request: Request) -> Response:
        path = pages.get(request.path_params["name"])
        if path is None:
            body = {"errors": [{"message": "No such document.",
                                "extensions": {"code": "NOT_FOUND"}}]}  # fmt: skip
            return JSONResponse(body, 404)
        return PlainTextResponse(path.read_text(encoding="utf-8"),
                                 media_type="text/markdown; charset=utf-8")  # fmt: skip

    return [
        Route("/", home, methods=["GET"]),
        Route("/docs/{name}", doc, methods=["GET"]),
    ]
