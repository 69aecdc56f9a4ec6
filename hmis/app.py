"""The application factory: settings, engine, schema and routes, built once per app."""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from hmis.config import Settings
from hmis.context import RequestContext
from hmis.db.session import make_engine, make_sessionmaker
from hmis.schema import build_schema

log = logging.getLogger("hmis")


class HmisGraphQL(GraphQL):
    """Strawberry's ASGI view with our request context, closed when the request ends."""

    def __init__(self, schema, *, settings: Settings, sessions, **kwargs):
        super().__init__(schema, graphql_ide="graphiql" if settings.enable_graphiql else None,
                         **kwargs)  # fmt: skip
        self.settings = settings
        self.sessions = sessions

    async def get_context(self, request: Request, response) -> RequestContext:
        context = RequestContext(
            request=request,
            response=response,
            settings=self.settings,
            sessions=self.sessions,
            principal=None,
            purpose=request.headers.get("hmis-purpose"),
        )
        request.state.hmis_context = context
        return context

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            context = scope.get("state", {}).get("hmis_context")
            if context is not None:
                await context.close()


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    graphql = HmisGraphQL(build_schema(), settings=settings, sessions=sessions)

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> JSONResponse:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:  # the reason goes to the log, not to the caller
            log.exception("readiness check failed")
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    return app
