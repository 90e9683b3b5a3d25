"""Run the post API: ``python -m herald_post_api``."""

from __future__ import annotations

import uvicorn

from herald_common.logging import configure_logging
from herald_common.service import refuse_insecure_start
from herald_post_api.app import create_app
from herald_post_api.settings import PostApiSettings


def main() -> None:
    settings = PostApiSettings()
    configure_logging(settings.log_level, settings.log_format, "post-api")
    refuse_insecure_start(settings, "post-api")
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        access_log=False,
        log_config=None,
    )


if __name__ == "__main__":
    main()
