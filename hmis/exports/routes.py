"""`GET /exports/hmis-csv.zip`: the caller's HUD CSV export, with their bearer token.

Authentication and the request context are the GraphQL view's (the same authenticator,
settings and sessions); the export itself decides nothing (`hmis.exports.export`). The whole
export is written and audited before the first byte of the zip leaves, so a failure is an
error reply, never a partial or unaudited file.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import uuid
import zipfile
from datetime import date

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hmis import request_limits
from hmis.access_log import BadPurpose, parse_purpose
from hmis.auth.errors import InvalidToken, KeysUnavailable, error_body
from hmis.auth.policy import acting_role
from hmis.auth.principal import Role
from hmis.context import RequestContext
from hmis.errors import Forbidden

from .command import Rejected, dry_run, write
from .export import Export, Scope
from .files import CsvFiles
from .problems import Problem, Problems
from .source import Limits, Unreadable, read_zip
from .upload import BadUpload, save_file_part
from .validate import check

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


async def _import(request: Request, context: RequestContext, upload) -> Response:
    """Receive the upload into `upload` (a temporary file), check it and write it."""
    settings, headers = context.settings, {**PRIVATE, "X-Request-ID": context.request_id}
    try:
        receive = request_limits.guard_body(
            request.scope, request.receive, timeout=settings.import_body_timeout_seconds,
            limit=settings.import_max_upload_bytes, kind="a multipart/form-data upload",
        )  # fmt: skip
        chunks = Request(request.scope, receive).stream()
        name = await save_file_part(chunks, request.headers.get("content-type", ""), upload)
        source = await asyncio.to_thread(read_zip, upload, Limits.of(settings), name)
    except request_limits.Rejected as error:
        # The rest of the body may still be coming: the connection is not reused.
        close = {"Connection": "close"} if error.status in (408, 413) else {}
        refused = {**headers, **error.headers, **close}
        if error.status == 413:
            return _error(413, str(error), "TOO_LARGE", refused)
        return _error(error.status, str(error), request_limits.CODES[error.status], refused)
    except BadUpload as error:
        return _error(400, str(error), "BAD_REQUEST", headers)
    except NOT_A_ZIP:
        return _error(400, "the file is not a zip", "BAD_REQUEST", headers)
    except Unreadable as error:  # a zip no HUD export would be
        refused = Problems([Problem(name, 0, "", str(error))])
        return _problems(refused, Problems(), headers)
    try:
        # Parsing and checking is CPU work: in a worker thread, the event loop serves on.
        checked = await asyncio.to_thread(check, source)
        warnings = Problems(checked.warnings)
        if checked.errors:
            return _problems(checked.errors, warnings, headers)
        if request.query_params.get("dryRun") in ("1", "true"):
            found = await dry_run(context, checked)
            if found.errors:
                return _problems(found.errors, warnings, headers)
            return JSONResponse({"valid": True, **_listed(warnings)}, headers=headers)
        try:
            outcome = await write(context, checked)
        except Rejected as rejected:
            return _problems(rejected.outcome.errors, warnings, headers)
    finally:
        source.close()
    warnings += outcome.warnings
    counts = {k: getattr(outcome, k) for k in ("created", "updated", "deleted", "unchanged")}
    return JSONResponse({**counts, **_listed(warnings)}, headers=headers)


# What zipfile raises on bytes that are no zip (or one damaged past reading its directory).
NOT_A_ZIP = (zipfile.BadZipFile, EOFError, OSError, ValueError)


def _listed(problems: Problems, kind: str = "warnings") -> dict:
    """The first problems of a kind, and how many there are in all."""
    return {kind: [p.as_json() for p in problems], f"{kind[:-1]}Count": problems.total}


def _problems(errors: Problems, warnings: Problems, headers: dict) -> Response:
    body = {**_listed(errors, "errors"), **_listed(warnings)}
    return JSONResponse(body, 422, headers=headers)


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
        context = RequestContext(
            request=request,
            response=None,
            settings=view.settings,
            sessions=view.sessions,
            principal=principal,
        )
        request.state.hmis_context = context  # its request ID, should anything fail
        try:
            with tempfile.TemporaryFile() as upload:
                return await _import(request, context, upload)
        finally:
            await context.close()

    return [
        Route("/exports/hmis-csv.zip", export, methods=["GET"]),
        Route("/imports/hmis-csv", import_, methods=["POST"]),
    ]
