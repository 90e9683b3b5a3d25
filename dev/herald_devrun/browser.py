"""Headless Chromium (Debian's ``chromium`` package, driven by Playwright) that reaches
loopback only.

Used by the docs test and by ``python -m herald_devrun.docs_screenshot``. Every request the
page makes to another host is refused and written down, so a page that reached for a CDN is
seen, not just left blank; names other than 127.0.0.1 do not even resolve.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.async_api import Page, Route, async_playwright

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)


def find_chromium() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return (parts.hostname or "") in LOOPBACK


@dataclass
class OfflinePage:
    page: Page
    # Every URL the page asked for outside loopback (each refused).
    blocked: list[str] = field(default_factory=list)


@contextlib.asynccontextmanager
async def offline_page(width: int = 1280, height: int = 1700) -> AsyncIterator[OfflinePage]:
    """A fresh page in the system's Chromium; raises FileNotFoundError without one."""
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError("chromium is not installed (Debian: apt-get install chromium)")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=list(ARGS))
        try:
            context = await browser.new_context(viewport={"width": width, "height": height})
            result = OfflinePage(await context.new_page())

            async def guard(route: Route) -> None:
                url = route.request.url
                if is_loopback(url):
                    await route.continue_()
                else:
                    result.blocked.append(url)
                    await route.abort("blockedbyclient")

            await context.route("**/*", guard)
            yield result
        finally:
            await browser.close()
