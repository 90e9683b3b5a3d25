"""The simulator application: one Starlette app serving every platform host under a prefix."""

from __future__ import annotations

from starlette.applications import Starlette

from herald_platform_sim import admin, linkedin, meta, x, x_openapi
from herald_platform_sim.settings import SimSettings


def create_app(settings: SimSettings | None = None) -> Starlette:
    settings = settings or SimSettings()
    app = Starlette(routes=[*admin.routes, *x.routes, *meta.routes, *linkedin.routes])
    app.state.settings = settings
    app.state.sim = admin.new_state(settings)
    x_openapi.validator("CreatePostsRequest")  # compile the X schema once, at start-up
    return app
