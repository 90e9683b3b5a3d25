"""The adapter for each platform."""

from __future__ import annotations

from herald_common.settings import PlatformSettings
from herald_db.enums import Platform
from herald_platforms.base import PlatformAdapter
from herald_platforms.facebook.client import FacebookAdapter
from herald_platforms.instagram.client import InstagramAdapter
from herald_platforms.linkedin.client import LinkedInAdapter
from herald_platforms.media import MediaGuard
from herald_platforms.x.client import XAdapter


def get_adapter(platform: Platform, settings: PlatformSettings) -> PlatformAdapter:
    guard = MediaGuard.from_settings(settings)
    adapters: dict[Platform, type] = {
        Platform.TWITTER: XAdapter,
        Platform.INSTAGRAM: InstagramAdapter,
        Platform.LINKEDIN: LinkedInAdapter,
        Platform.FACEBOOK: FacebookAdapter,
    }
    adapter: PlatformAdapter = adapters[Platform(platform)](settings, guard)
    return adapter
