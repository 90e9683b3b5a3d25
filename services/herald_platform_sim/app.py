"""The simulator application: one Starlette app serving every platform host under a prefix."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette

from herald_platform_sim import admin, linkedin, meta, x, x_openapi
from herald_platform_sim.settings import SimSettings


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # The platforms fetch media from URLs (Instagram's image_url): one client for that.
    async with httpx.AsyncClient(timeout=10.0, follow_redirects=True) as http:
        app.state.http = http
        yield


def create_app(settings: SimSettings | None = None) -> Starlette:
    settings = settings or SimSettings()
    app = Starlette(
        routes=[*admin.routes, *x.routes, *meta.routes, *linkedin.routes], lifespan=lifespan
    )
    app.state.settings = settings
    app.state.sim = admin.new_state(settings)
    x_openapi.validator("CreatePostsRequest")  # compile the X schema once, at start-up
    return app
