"""/docs and /redoc render in headless Chromium with every non-loopback request blocked:
their scripts and styles come from the API itself, never from a CDN."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import httpx
import pytest

from herald_devrun.browser import OfflinePage, find_chromium, offline_page
from tests.post_api.live import LiveApi

pytestmark = pytest.mark.slow

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
async def browser() -> AsyncIterator[OfflinePage]:
    if find_chromium() is None:
        message = "Debian's chromium package is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    async with offline_page() as page:
        yield page


async def _operations(api: LiveApi) -> set[tuple[str, str]]:
    async with httpx.AsyncClient() as http:
        spec = (await http.get(api.base_url + "/openapi.json")).json()
    return {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in METHODS
    }


async def test_the_guard_catches_a_page_that_reaches_for_a_cdn(browser: OfflinePage):
    await browser.page.set_content(
        '<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js">'
        "</script><p>hello</p>"
    )
    assert browser.blocked == [
        "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
    ]


async def test_swagger_ui_lists_every_operation_offline(live_api: LiveApi, browser: OfflinePage):
    expected = await _operations(live_api)
    assert len(expected) > 30
    page = browser.page
    await page.goto(live_api.base_url + "/docs")
    await page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    rendered = await page.eval_on_selector_all(
        ".opblock",
        """els => els.map(e => [
            e.querySelector('.opblock-summary-method').textContent.trim(),
            e.querySelector('.opblock-summary-path').getAttribute('data-path'),
        ])""",
    )
    assert {tuple(r) for r in rendered} == expected
    assert len(rendered) == len(expected)
    # Grouped by tag, each group with its description.
    tags = await page.eval_on_selector_all(
        ".opblock-tag", "els => els.map(e => e.getAttribute('data-tag'))"
    )
    assert {"auth", "posts", "accounts", "analytics", "webhooks", "calendar"} <= set(tags)
    assert browser.blocked == []


async def test_redoc_lists_every_operation_offline(live_api: LiveApi, browser: OfflinePage):
    expected = await _operations(live_api)
    page = browser.page
    await page.goto(live_api.base_url + "/redoc")
    await page.wait_for_selector('[data-section-id^="tag/"][data-section-id*="/operation/"]')
    ids = await page.eval_on_selector_all(
        '[data-section-id^="operation/"]', "els => els.map(e => e.getAttribute('data-section-id'))"
    )
    assert len(set(ids)) == len(expected)
    assert browser.blocked == []


async def test_docs_assets_are_served_by_the_api_under_a_self_only_policy(live_api: LiveApi):
    async with httpx.AsyncClient(base_url=live_api.base_url) as http:
        for page in ("/docs", "/redoc"):
            r = await http.get(page)
            assert r.status_code == 200
            assert "http://" not in r.text.replace("http://www.w3.org", "")
            assert "https://" not in r.text
            csp = r.headers["content-security-policy"]
            assert "https:" not in csp
            assert "http:" not in csp
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
            r = await http.get(f"/docs/assets/{asset}")
            assert r.status_code == 200
            assert len(r.content) > 100_000


async def test_every_operation_has_a_summary_and_a_described_tag(app):
    spec = app.openapi()
    described = {t["name"]: t["description"] for t in spec["tags"]}
    count = 0
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method not in METHODS:
                continue
            count += 1
            where = f"{method.upper()} {path}"
            # Written for the reader: not FastAPI's fallback, the function's name in title
            # case (the operation id starts with that name).
            fallback = op["summary"].lower().replace(" ", "_")
            assert not op["operationId"].startswith(fallback), where
            assert len(op["tags"]) == 1, where
            assert described.get(op["tags"][0]), where
    assert count > 30
