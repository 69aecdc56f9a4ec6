"""`GET /exports/hmis-csv.zip`: the caller's HUD CSV export, with their bearer token.

Authentication and the request context are the GraphQL view's (the same authenticator,
settings and sessions); the export itself decides nothing (`hmis.exports.export`). The whole
export is written and audited before the first byte of the zip leaves, so a failure is an
error reply, never a partial or unaudited file.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hmis.auth.errors import InvalidToken, KeysUnavailable, error_body
from hmis.context import RequestContext
from hmis.errors import Forbidden
from hmis.resolvers.audit import BadPurpose, parse_purpose

from .export import Export, Scope
from .files import CsvFiles

log = logging.getLogger("hmis")
PRIVATE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class BadParameter(ValueError):
    pass


def _error(status: int, message: str, code: str, headers: dict | None = None) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status, headers={**PRIVATE, **(headers or {})})


def scope_of(params) -> Scope:
    """The query parameters `from`, `to` (dates), `projectId`, `organizationId` (IDs)."""
    known = {"from", "to", "projectId", "organizationId"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise BadParameter(f"unknown parameter `{unknown[0]}` (known: {', '.join(sorted(known))})")
    values = {}
    for name, field in (("from", "start"), ("to", "end")):
        if params.get(name):
            try:
                values[field] = date.fromisoformat(params[name])
            except ValueError:
                raise BadParameter(f"`{name}` must be a date (YYYY-MM-DD)") from None
    for name, field in (("projectId", "project_id"), ("organizationId", "organization_id")):
        if params.get(name):
            try:
                values[field] = uuid.UUID(params[name])
            except ValueError:
                raise BadParameter(f"`{name}` is not a valid ID") from None
    scope = Scope(**values)
    if scope.start and scope.end and scope.start > scope.end:
        raise BadParameter("`from` is after `to`")
    return scope


def routes(view) -> list[Route]:
    async def export(request: Request) -> Response:
        try:
            auth = await view.authenticator.authenticate(request.headers.get("authorization"))
        except (InvalidToken, KeysUnavailable) as error:
            return JSONResponse(error_body(error), error.status, headers=error.headers)
        if auth.principal is None:
            if auth.denied is not None:
                return _error(403, auth.denied, "FORBIDDEN")
            missing = InvalidToken("missing_token")
            return JSONResponse(error_body(missing), 401, headers=missing.headers)
        try:
            scope = scope_of(request.query_params)
            purpose = parse_purpose(request.headers.get("hmis-purpose"))
        except (BadParameter, BadPurpose) as error:
            return _error(400, str(error), "BAD_REQUEST")
        context = RequestContext(request=request, response=None, settings=view.settings,
                                 sessions=view.sessions, principal=auth.principal,
                                 purpose=purpose)  # fmt: skip
        files = CsvFiles()
        try:
            await Export(context, scope).run(files)
        except Forbidden as error:
            files.close()
            return _error(403, str(error), "FORBIDDEN")
        except Exception as error:
            files.close()
            log.error("export failed: %s (request %s)", type(error).__name__, context.request_id)
            return _error(500, "The export failed; nothing was sent.", "INTERNAL")
        finally:
            await context.close()

        def chunks():
            try:
                yield from files.zip_chunks()
            finally:
                files.close()

        headers = {**PRIVATE, "X-Request-ID": context.request_id,
                   "Content-Disposition": 'attachment; filename="hmis-csv.zip"'}  # fmt: skip
        return StreamingResponse(chunks(), media_type="application/zip", headers=headers)

    return [Route("/exports/hmis-csv.zip", export, methods=["GET"])]
