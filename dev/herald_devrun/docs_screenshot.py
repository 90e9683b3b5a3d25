"""Take the README's screenshot of ``/docs``: ``python -m herald_devrun.docs_screenshot``.

Starts the post API in this process on a free loopback port (the docs need neither Postgres
nor Redis to render) and photographs ``/docs`` in headless Chromium with every non-loopback
request blocked, so the picture shows what an offline machine shows.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from herald_common.service import serve_http, stop_http
from herald_devrun.browser import offline_page
from herald_devrun.infra import free_port
from herald_post_api.app import create_app
from herald_post_api.settings import PostApiSettings

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "images" / "api-docs.png"


async def screenshot(out: Path, width: int, height: int) -> list[str]:
    """Write the PNG; returns what the page tried to fetch from other hosts (nothing)."""
    port = free_port()
    server = await serve_http(create_app(PostApiSettings(environment="dev")), "127.0.0.1", port)
    try:
        async with offline_page(width, height) as browser:
            await browser.page.goto(f"http://127.0.0.1:{port}/docs")
            await browser.page.wait_for_selector(".opblock-summary-path", timeout=30_000)
            out.parent.mkdir(parents=True, exist_ok=True)
            await browser.page.screenshot(path=str(out))
            return browser.blocked
    finally:
        await stop_http(server)


def main() -> None:
    parser = argparse.ArgumentParser(description="Take the README's screenshot of /docs.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1700)
    args = parser.parse_args()
    print(f"photographing /docs into {args.out} ...", flush=True)
    blocked = asyncio.run(screenshot(args.out, args.width, args.height))
    for url in blocked:
        print(f"blocked: {url}")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
