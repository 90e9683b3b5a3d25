"""Where each real platform host lives on the simulator, and the settings that point there."""

from __future__ import annotations

from urllib.parse import urlsplit

# Real host -> path prefix on the simulator.
PREFIXES = {
    "x_api_base": "/x",  # https://api.x.com
    "x_web_base": "/x-web",  # https://x.com
    "facebook_graph_base": "/facebook",  # https://graph.facebook.com
    "facebook_web_base": "/facebook-web",  # https://www.facebook.com
    "instagram_graph_base": "/instagram",  # https://graph.instagram.com
    "instagram_web_base": "/instagram-web",  # https://www.instagram.com
    "instagram_api_base": "/instagram-api",  # https://api.instagram.com
    "linkedin_api_base": "/linkedin",  # https://api.linkedin.com
    "linkedin_web_base": "/linkedin-web",  # https://www.linkedin.com
}


def platform_settings_kwargs(base_url: str) -> dict[str, str]:
    base = base_url.rstrip("/")
    out = {name: base + prefix for name, prefix in PREFIXES.items()}
    out["media_allowed_hosts"] = urlsplit(base).netloc
    return out


def platform_env(base_url: str) -> dict[str, str]:
    return {f"HERALD_{k.upper()}": v for k, v in platform_settings_kwargs(base_url).items()}
