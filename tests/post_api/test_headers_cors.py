"""Security headers on every answer, and CORS only for the configured origins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from herald_post_api.app import create_app
from tests.conftest import API_BASE
from tests.dns import public_dns
from tests.factories import register

APP_ORIGIN = "https://app.example.com"


@asynccontextmanager
async def api(settings, **changes) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings.model_copy(update=changes), resolver=public_dns)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=API_BASE) as c:
            yield c


def _assert_secured(r: httpx.Response) -> None:
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["strict-transport-security"].startswith("max-age=")


async def test_every_kind_of_answer_carries_the_security_headers(client):
    caller = await register(client)
    h = caller.headers
    nobody = "/v1/posts/00000000-0000-0000-0000-000000000000"
    answers = [
        await client.get("/v1/me", headers=h),
        await client.post("/v1/webhooks", json={"url": "https://h.example.com/x"}, headers=h),
        await client.get("/v1/me"),
        await client.get(nobody, headers=h),
        await client.patch("/v1/me", json={"timezone": "Nowhere/City"}, headers=h),
        await client.post("/v1/posts", content=b"x" * (2 * 1024 * 1024), headers=h),
        await client.get("/healthz"),
        await client.get("/openapi.json"),
    ]
    assert [r.status_code for r in answers] == [200, 201, 401, 404, 422, 413, 200, 200]
    for r in answers:
        _assert_secured(r)
    for r in answers[:6]:
        assert r.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert r.headers["cache-control"] == "no-store"


async def test_the_docs_page_gets_a_policy_that_lets_it_load(client):
    r = await client.get("/docs")
    assert r.status_code == 200
    _assert_secured(r)
    csp = r.headers["content-security-policy"]
    # Its scripts are the API's own: nothing from another origin is allowed.
    assert "script-src 'self' 'unsafe-inline'" in csp
    assert "https:" not in csp
    assert "cdn" not in csp


async def test_hsts_only_outside_dev(settings):
    async with api(settings, environment="dev") as dev:
        r = await dev.get("/healthz")
    assert "strict-transport-security" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_no_cross_origin_access_unless_configured(client):
    preflight = await client.options(
        "/v1/posts",
        headers={"origin": APP_ORIGIN, "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    r = await client.get("/v1/me", headers={"origin": APP_ORIGIN})
    assert "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize("origin", ["https://evil.example.com", "http://app.example.com", "null"])
async def test_only_the_configured_origins_are_allowed(settings, origin):
    async with api(settings, cors_origins=f"{APP_ORIGIN}, https://admin.example.com") as c:
        ok = await c.options(
            "/v1/posts",
            headers={
                "origin": APP_ORIGIN,
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization, content-type, idempotency-key",
            },
        )
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == APP_ORIGIN
        assert "access-control-allow-credentials" not in ok.headers
        simple = await c.get("/healthz", headers={"origin": APP_ORIGIN})
        assert simple.headers["access-control-allow-origin"] == APP_ORIGIN
        assert "retry-after" in simple.headers["access-control-expose-headers"].lower()

        refused = await c.options(
            "/v1/posts", headers={"origin": origin, "access-control-request-method": "POST"}
        )
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        plain = await c.get("/healthz", headers={"origin": origin})
        assert "access-control-allow-origin" not in plain.headers


async def test_an_unexpected_error_is_secured_too(settings, monkeypatch):
    """A 500 is made by Starlette's last-resort handler, outside every middleware: it still
    carries the security headers, as a problem."""
    from herald_post_api.accounts import service as accounts_service

    async def boom(*args, **kwargs):
        raise RuntimeError("a fault of ours")

    application = create_app(settings.model_copy(update={"environment": "production"}))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=API_BASE) as c:
            caller = await register(c)
            monkeypatch.setattr(accounts_service, "list_accounts", boom)
            r = await c.get("/v1/accounts", headers=caller.headers)
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/problem+json")
    _assert_secured(r)
    assert r.headers["cache-control"] == "no-store"
