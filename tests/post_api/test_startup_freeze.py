"""What start-up made is kept out of the collector's full passes while the API runs, and
given back to it when the API stops."""

from __future__ import annotations

import gc

from herald_post_api.app import create_app
from herald_post_api.settings import PostApiSettings
from tests.dns import public_dns


async def test_start_up_objects_are_frozen_while_the_api_runs(settings: PostApiSettings):
    gc.unfreeze()
    application = create_app(settings, resolver=public_dns)
    async with application.router.lifespan_context(application):
        assert gc.get_freeze_count() > 10_000
        # The app itself is among them: no collection walks it.
        assert not any(o is application for o in gc.get_objects())
    assert gc.get_freeze_count() == 0
    assert any(o is application for o in gc.get_objects())
