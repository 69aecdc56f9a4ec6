"""`GET /exports/aggregate.csv`: the `aggregateCounts` table as CSV for spreadsheets.

No second implementation: the route asks the GraphQL view in process, as the caller (the
view's authentication, guards, suppression and audit apply), and writes its answer as CSV.
Parameters: `measure`, `unit`, `start`, and `by` (repeated or comma-separated, at most 2).
"""

from __future__ import annotations

import io

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hmis.csv_cells import Writer
from hmis.record_copy import PRIVATE, ask_view

QUERY = """
query AggregateCsv($input: AggregateInput!) {
  aggregateCounts(input: $input) {
    dimensions rows { key cell { count suppressed } } total { count suppressed }
    suppressionRule notes
  }
}"""
PARAMETERS = ("measure", "unit", "start", "by")


def _bad(message: str, parameter: str) -> JSONResponse:
    error = {"message": message, "extensions": {"code": "BAD_USER_INPUT", "field": [parameter]}}
    return JSONResponse({"errors": [error]}, 400, headers=PRIVATE)


def routes(view) -> list[Route]:
    async def aggregate_csv(request: Request) -> Response:
        params = request.query_params
        for name in params:
            if name not in PARAMETERS:
                return _bad(f"unknown parameter `{name}`; use {', '.join(PARAMETERS)}", name)
        for name in ("measure", "unit", "start"):
            if not params.get(name):
                return _bad(f"`{name}` is required", name)
        by = [d.strip() for value in params.getlist("by") for d in value.split(",") if d.strip()]
        variables = {
            "input": {
                "measure": params["measure"],
                "period": {"unit": params["unit"], "start": params["start"]},
                "by": by,
            }
        }
        status, headers, body = await ask_view(view, request, QUERY, variables)
        errors = body.get("errors")
        if status != 200 or errors or not body.get("data"):
            kept = {k: v for k, v in headers.items() if k.lower() == "www-authenticate"}
            codes = {(e.get("extensions") or {}).get("code") for e in errors or []}
            if status == 200:  # GraphQL answers 200 for errors of input
                status = 400 if codes & {"BAD_USER_INPUT", None} else 403
            return JSONResponse({"errors": errors or []}, status, headers={**kept, **PRIVATE})
        table = body["data"]["aggregateCounts"]
        out = io.StringIO()
        writer = Writer(out)  # organization names are text a spreadsheet could run
        keys = table["dimensions"] or ["table"]  # the total alone: one key column all the same
        writer.writerow([*keys, "count", "suppressed"])
        for row in table["rows"]:
            writer.writerow([*row["key"], *_cell(row["cell"])])
        writer.writerow(["TOTAL"] * len(keys) + _cell(table["total"]))
        for note in [table["suppressionRule"], *table["notes"]]:
            writer.writerow([f"# {note}"])
        disposition = 'attachment; filename="aggregate.csv"'
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={**PRIVATE, "Content-Disposition": disposition})  # fmt: skip

    return [Route("/exports/aggregate.csv", aggregate_csv)]


def _cell(cell: dict) -> list[str]:
    return [
        "" if cell["suppressed"] else str(cell["count"]),
        "true" if cell["suppressed"] else "false",
    ]
