"""`GET /exports/hmis-csv.zip`: the caller's HUD CSV export, with their bearer token.

Authentication and the request context are the GraphQL view's (the same authenticator,
settings and sessions); the export itself decides nothing (`hmis.exports.export`). The whole
export is written and audited before the first byte of the zip leaves, so a failure is an
error reply, never a partial or unaudited file.
"""

from __future__ import annotations

import email.parser
import email.policy
import logging
import uuid
import zipfile
from datetime import date

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hmis.access_log import BadPurpose, parse_purpose
from hmis.auth.errors import InvalidToken, KeysUnavailable, error_body
from hmis.auth.policy import acting_role
from hmis.auth.principal import Role
from hmis.context import RequestContext
from hmis.errors import Forbidden

from .command import Rejected, write
from .export import Export, Scope
from .files import CsvFiles
from .source import read_zip
from .validate import check

log = logging.getLogger("hmis")
PRIVATE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
MAX_UPLOAD = 256 * 1024 * 1024


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


async def _caller(view, request: Request):
    """The verified principal, or the reply refusing the request (401/403)."""
    try:
        auth = await view.authenticator.authenticate(request.headers.get("authorization"))
    except (InvalidToken, KeysUnavailable) as error:
        return None, JSONResponse(error_body(error), error.status, headers=error.headers)
    if auth.principal is None:
        if auth.denied is not None:
            return None, _error(403, auth.denied, "FORBIDDEN")
        missing = InvalidToken("missing_token")
        return None, JSONResponse(error_body(missing), 401, headers=missing.headers)
    return auth.principal, None


def _upload(content_type: str, body: bytes) -> bytes:
    """The zip of a multipart/form-data body (its `file` part, or its only file)."""
    if not content_type.startswith("multipart/form-data"):
        raise BadParameter("send the zip as multipart/form-data (a `file` part)")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    parts = [
        p
        for p in message.iter_parts()
        if p.get_filename() or p.get_param("name", header="content-disposition") == "file"
    ]
    if len(parts) != 1:
        raise BadParameter("send exactly one file (a zip of HUD CSV files) as the `file` part")
    return parts[0].get_payload(decode=True) or b""


def routes(view) -> list[Route]:
    async def export(request: Request) -> Response:
        principal, refused = await _caller(view, request)
        if refused is not None:
            return refused
        try:
            scope = scope_of(request.query_params)
            purpose = parse_purpose(request.headers.get("hmis-purpose"))
        except (BadParameter, BadPurpose) as error:
            return _error(400, str(error), "BAD_REQUEST")
        context = RequestContext(
            request=request,
            response=None,
            settings=view.settings,
            sessions=view.sessions,
            principal=principal,
            purpose=purpose,
        )
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

        headers = {
            **PRIVATE,
            "X-Request-ID": context.request_id,
            "Content-Disposition": 'attachment; filename="hmis-csv.zip"',
        }
        return StreamingResponse(chunks(), media_type="application/zip", headers=headers)

    async def import_(request: Request) -> Response:
        """An agency's service account imports its own organization's projects' data."""
        principal, refused = await _caller(view, request)
        if refused is not None:
            return refused
        if acting_role(principal) is not Role.AGENCY_STAFF or not principal.is_service_account:
            return _error(
                403,
                "HUD CSV imports over HTTP are for an agency's service account "
                "(administrators use `hmis import-csv`)",
                "FORBIDDEN",
            )
        body = await request.body()
        if len(body) > MAX_UPLOAD:
            return _error(413, f"the upload is over {MAX_UPLOAD} bytes", "TOO_LARGE")
        try:
            sources = read_zip(_upload(request.headers.get("content-type", ""), body))
        except (BadParameter, zipfile.BadZipFile) as error:
            message = str(error) if isinstance(error, BadParameter) else "the file is not a zip"
            return _error(400, message, "BAD_REQUEST")
        checked = check(sources)
        warnings = [w.as_json() for w in checked.warnings]
        if checked.errors:
            return JSONResponse(
                {"errors": [e.as_json() for e in checked.errors], "warnings": warnings},
                422,
                headers=PRIVATE,
            )
        if request.query_params.get("dryRun") in ("1", "true"):
            return JSONResponse({"valid": True, "warnings": warnings}, headers=PRIVATE)
        context = RequestContext(
            request=request,
            response=None,
            settings=view.settings,
            sessions=view.sessions,
            principal=principal,
        )
        try:
            outcome = await write(context, checked)
        except Rejected as rejected:
            return JSONResponse(
                {"errors": [e.as_json() for e in rejected.outcome.errors], "warnings": warnings},
                422,
                headers=PRIVATE,
            )
        finally:
            await context.close()
        warnings += [w.as_json() for w in outcome.warnings]
        counts = {k: getattr(outcome, k) for k in ("created", "updated", "deleted", "unchanged")}
        return JSONResponse({**counts, "warnings": warnings}, headers=PRIVATE)

    return [
        Route("/exports/hmis-csv.zip", export, methods=["GET"]),
        Route("/imports/hmis-csv", import_, methods=["POST"]),
    ]
