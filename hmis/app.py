"""The application factory: settings, engine, schema and routes, built once per app."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging

import orjson
from cross_web import HTTPException
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError

from hmis import graphiql, graphql_http, home, logs, record_copy, request_limits
from hmis.access_log import BadPurpose, parse_purpose
from hmis.aggregates import csv_export
from hmis.auth.authenticator import ANONYMOUS, Authenticator, build_authenticator
from hmis.auth.dev_issuer import DevIssuer
from hmis.auth.errors import InvalidToken, KeysUnavailable, error_body
from hmis.auth.guards import http_status_of
from hmis.config import Settings
from hmis.context import RequestContext
from hmis.cors import Cors
from hmis.db.audit_chain import seal_before_exit
from hmis.db.session import make_engine, make_sessionmaker
from hmis.exports import routes as exports
from hmis.internal_errors import CatchAll
from hmis.resolvers.audit import record_reads
from hmis.schema import build_schema

log = logging.getLogger("hmis")
AUDIT_UNAVAILABLE = {
    "message": "The access could not be audited, so no data is returned.",
    "extensions": {"code": "AUDIT_UNAVAILABLE"},
}


class _Encoded(dict):
    """A reply (`process_result`) with its JSON already made."""

    def __init__(self, data: dict, encoded: str | bytes):
        super().__init__(data)
        self.encoded = encoded


class HmisGraphQL(GraphQL):
    """Strawberry's ASGI view with our request context, closed when the request ends.

    A request carrying a token is authenticated before anything executes: an invalid token is
    answered 401 for the whole request. Without a token the operation runs, and any field that
    needs a caller fails through `require_principal`, whose status (401/403) the reply takes.
    The client data a request received is logged before the reply leaves (`process_result`).
    """

    def __init__(self, schema, *, settings: Settings, sessions,
                 authenticator: Authenticator, **kwargs):  # fmt: skip
        super().__init__(schema, graphql_ide="graphiql" if settings.enable_graphiql else None,
                         **kwargs)  # fmt: skip
        self.settings = settings
        self.sessions = sessions
        self.authenticator = authenticator

    async def get_context(self, request: Request, response) -> RequestContext:
        auth = getattr(request.state, "hmis_auth", ANONYMOUS)
        context = RequestContext(
            request=request,
            response=response,
            settings=self.settings,
            sessions=self.sessions,
            principal=auth.principal,
            auth_denied=auth.denied,
            purpose=getattr(request.state, "hmis_purpose", None),
        )
        response.headers["X-Request-ID"] = context.request_id  # to find its audit events
        response.hmis_media_type = request.state.hmis_media_type  # for `create_response`
        # The client's downloadable copy (hmis.record_copy) asks this view in process.
        context.access_log.exporting = bool(getattr(request.state, "hmis_export", False))
        request.state.hmis_context = context
        return context

    async def process_result(self, request: Request, result):
        context = request.state.hmis_context
        status = http_status_of(result.errors or ())
        modern = request.state.hmis_media_type == graphql_http.GRAPHQL_RESPONSE
        request_error = modern and graphql_http.is_request_error(result.data, result.errors or ())
        if status is not None:
            # Strawberry copies the sub-response's status and headers into the reply.
            context.response.status_code = status[0]
            context.response.headers.update(status[1])
        elif request_error:  # it never executed: 400, and no `data` entry (the draft's rule)
            context.response.status_code = 400
        data = await super().process_result(request, result)
        if request_error:
            data.pop("data", None)
        # The audit events are appended while the reply is encoded: once the append has sent
        # its statement the database works on it, and the encoding is done meanwhile (1-2 ms of
        # a page). Nothing leaves before the events are committed.
        appended = asyncio.ensure_future(record_reads(context))
        await asyncio.sleep(0)  # the append runs up to its first wait on the database
        reply = data if result.errors else _Encoded(data, self.encode_json(data))
        # Still waiting on the database: the page's rows and decisions are freed meanwhile
        # (`close` would, after; the append took its events when it started).
        context.cache.clear()
        try:
            await appended
        except Exception as error:  # fail closed: no data leaves unaudited
            # The kind only: driver messages quote parameters.
            log.error("audit log write failed: %s (request %s)", type(error).__name__,
                      context.request_id)  # fmt: skip
            context.response.status_code = 500
            return {"data": None, "errors": [AUDIT_UNAVAILABLE]}
        return reply

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql.page(request)  # served from the package, not a CDN

    def create_response(self, response_data, sub_response) -> Response:
        response = super().create_response(response_data, sub_response)
        media_type = getattr(sub_response, "hmis_media_type", graphql_http.JSON)
        response.headers["content-type"] = f"{media_type}; charset=utf-8"
        return response

    def encode_json(self, data):
        if isinstance(data, _Encoded):
            return data.encoded
        try:
            # A tenth of the standard library's time on a page (bench/README.md); the same
            # JSON, compact and in UTF-8.
            return orjson.dumps(data)
        except TypeError:  # what orjson does not take (an integer past 64 bits)
            return super().encode_json(data)

    def decode_json(self, data: str | bytes) -> object:
        return request_limits.decode_json(data)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self._respond(scope, receive)
        except ClientDisconnect:
            response = None  # nobody to answer
        finally:
            context = scope.get("state", {}).get("hmis_context")
            if context is not None:
                await context.close()
        if response is not None:
            await response(scope, receive, send)

    async def _respond(self, scope, receive) -> Response:
        """The reply to one HTTP request; request-level errors are JSON like GraphQL's, in the
        media type negotiated for the request (`hmis.graphql_http`)."""
        media_type = graphql_http.JSON
        try:
            timeout = self.settings.body_timeout_seconds
            receive = request_limits.guard_body(scope, receive, timeout=timeout)
            request = Request(scope, receive)
            if not self._asks_for_ide(request):
                media_type = graphql_http.negotiate(request.headers.get("accept"))
            request.state.hmis_media_type = media_type
            try:
                auth = await self.authenticator.authenticate(request.headers.get("authorization"))
            except (InvalidToken, KeysUnavailable) as error:
                return JSONResponse(error_body(error), error.status, headers=error.headers,
                                    media_type=media_type)  # fmt: skip
            request.state.hmis_auth = auth
            request.state.hmis_purpose = parse_purpose(request.headers.get("hmis-purpose"))
            return await self.run(request)
        except graphql_http.NotAcceptable as error:
            return request_limits.error_response(406, str(error))
        except BadPurpose as error:
            return request_limits.error_response(400, str(error), media_type=media_type)
        except request_limits.Rejected as error:
            return request_limits.error_response(error.status, str(error), headers=error.headers,
                                                 media_type=media_type)  # fmt: skip
        except HTTPException as error:
            status, reason, headers = error.status_code, error.reason, {}
            if isinstance(error.__cause__, InvalidOperationTypeError) and scope["method"] == "GET":
                status, headers = 405, {"Allow": "POST"}  # a mutation must be POSTed
            elif status == 405:
                headers = {"Allow": "GET, POST"}
            return request_limits.error_response(status, reason, headers=headers,
                                                 media_type=media_type)  # fmt: skip
        except ClientDisconnect:
            raise
        except Exception as error:  # the kind only: messages can quote the request
            log.error("request failed: %s", type(error).__name__)
            return request_limits.error_response(500, "Internal error.", media_type=media_type)

    def _asks_for_ide(self, request: Request) -> bool:
        """A browser opening /graphql: Strawberry answers it with the IDE page (or 404)."""
        return self.should_render_graphql_ide(self.request_adapter_class(request))


async def _http_error(_request: Request, error: StarletteHTTPException) -> Response:
    """Starlette's own refusals (unknown path, method) as JSON errors too."""
    response = request_limits.error_response(error.status_code, error.detail)
    response.headers.update(error.headers or {})
    return response


async def _internal_error(_request: Request, error: Exception) -> Response:
    """What fails outside `CatchAll` (the CORS middleware)."""
    log.error("request failed: %s", type(error).__name__)  # the kind only, never the message
    return request_limits.error_response(500, "Internal error.")


# The cyclic collector's first generation runs after this many net allocations of container
# objects (700 by default). A page of 100 clients allocates a few hundred thousand, nearly all
# freed by reference counting when its request ends, but a worker serves several pages at once:
# at 700 the collector took 14 ms of each request's 75 at 8 concurrent requests, at 50,000 it
# still ran mid-page over the pages' live objects (3.5 ms), at 200,000 it did not run in 240
# requests (bench/README.md). Garbage cycles are still collected, when their count gets there.
GC_FIRST_GENERATION = 200_000


def tune_gc() -> None:
    """The collector settings of a serving process: what is loaded by now (modules, schema,
    settings) lives as long as the process: frozen, it is left out of the collector's full
    passes, which would otherwise walk it again every few requests; young objects are
    collected after `GC_FIRST_GENERATION` allocations."""
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(GC_FIRST_GENERATION, second, third)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    logs.keep_query_strings_out()
    if settings.unsafe_disable_audit:
        log.warning("HMIS_UNSAFE_DISABLE_AUDIT is set: no access is audited (benchmarks only)")
    dev_issuer = DevIssuer.from_settings(settings) if settings.development else None
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    authenticator = build_authenticator(settings, sessions, dev_issuer)  # ConfigError if unsafe
    settings.check_production()
    schema = build_schema(introspection=settings.enable_graphiql)
    graphql = HmisGraphQL(schema, settings=settings, sessions=sessions,
                          authenticator=authenticator)  # fmt: skip

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> JSONResponse:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # the kind goes to the log, not to the caller
            log.error("readiness check failed: %s", type(error).__name__)
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        tune_gc()
        yield
        await seal_before_exit(engine)  # what this worker appended last
        await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql),  # the view answers other methods 405, as JSON
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *graphiql.routes(settings.enable_graphiql),
            *record_copy.routes(graphql),
            *csv_export.routes(graphql),
            *exports.routes(graphql),
            *(dev_issuer.routes() if dev_issuer else []),
            *home.routes(graphiql=settings.enable_graphiql),
        ],
        # Every route answers the listed browser origins alike (none listed: no CORS at all),
        # its unexpected errors too (CatchAll).
        middleware=[
            *([Middleware(Cors, origins=settings.cors_origins)] if settings.cors_origins else []),
            Middleware(CatchAll),
        ],
        lifespan=lifespan,
        exception_handlers={StarletteHTTPException: _http_error, Exception: _internal_error},
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    return app
