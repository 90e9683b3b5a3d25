"""The interactive API docs, served with their scripts and styles from this process.

``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) load nothing from a CDN: the assets come from
the ``fastapi-offline`` package and are served under ``/docs/assets``, so the docs work on a
machine without internet access and under a ``'self'``-only content security policy.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs/assets"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"

# One line per group in the docs, in this order.
TAGS = [
    {"name": "auth", "description": "Register and log in; the token goes in `Authorization`."},
    {"name": "users", "description": "The caller's own settings (time zone, ...)."},
    {
        "name": "posts",
        "description": "Drafts and scheduled posts, one at a time or in batches (JSON or "
        "CSV), their per-platform results and every publishing attempt.",
    },
    {
        "name": "accounts",
        "description": "Connecting X, Instagram, LinkedIn and Facebook Pages accounts "
        "through each platform's OAuth flow.",
    },
    {"name": "analytics", "description": "How posts did, and the best times to post."},
    {"name": "notifications", "description": "What Herald tells the caller (failures, ...)."},
    {
        "name": "webhooks",
        "description": "Endpoints Herald calls on publishing events, signed per the "
        "Standard Webhooks spec, and their delivery log.",
    },
    {
        "name": "calendar",
        "description": "A secret iCalendar feed of scheduled and published posts.",
    },
    {"name": "health", "description": "Liveness, readiness and Prometheus metrics."},
]


def install(app: FastAPI) -> None:
    """Serve ``/docs``, ``/redoc`` and their assets; create ``app`` with ``docs_url=None``."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            # No badge fetched from the public validator.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
