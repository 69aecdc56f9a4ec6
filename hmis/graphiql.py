"""GraphiQL served from the package itself (hmis/static/graphiql, see its ASSETS.md): the page
works on a machine without internet, under a Content-Security-Policy that allows nothing from
another origin. Only when GraphiQL is enabled (development, or HMIS_ENABLE_GRAPHIQL=1)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

ASSETS = Path(__file__).parent / "static" / "graphiql"
PREFIX = "/graphiql-assets"
# Nothing from elsewhere and no inline script. Styles may be inline: GraphiQL's editors
# (CodeMirror) and menus (Radix UI) insert <style> elements and style="" attributes at run time;
# a style cannot run code or send data out (images, fonts and connections stay 'self').
# Its stylesheet embeds its icons and fonts as data: URLs.
POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
])  # fmt: skip
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<title>HMIS GraphQL API: GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{assets}/graphiql.min.css">
<link rel="stylesheet" href="{assets}/plugin-explorer.css">
<link rel="stylesheet" href="{assets}/page.css">
</head>
<body>
<div id="graphiql">Loading GraphiQL&hellip; (it needs JavaScript)</div>
<script src="{assets}/react.production.min.js"></script>
<script src="{assets}/react-dom.production.min.js"></script>
<script src="{assets}/graphiql.min.js"></script>
<script src="{assets}/plugin-explorer.umd.js"></script>
<script src="{assets}/start.js"></script>
</body>
</html>
"""


def page(request: Request) -> HTMLResponse:
    """The GraphiQL page, its assets under PREFIX (behind a proxy's root path too)."""
    assets = request.scope.get("root_path", "") + PREFIX
    return HTMLResponse(PAGE.format(assets=assets), headers=HEADERS)


def routes(enabled: bool) -> list[Mount]:
    return [Mount(PREFIX, StaticFiles(directory=ASSETS))] if enabled else []
