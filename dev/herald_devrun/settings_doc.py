"""Print every setting of every service as a Markdown table (used for the README)."""

from __future__ import annotations

import importlib
from typing import Any

from pydantic.fields import FieldInfo

SERVICES = [
    ("post-api", "herald_post_api.settings", "PostApiSettings"),
    ("scheduler", "herald_scheduler.settings", "SchedulerSettings"),
    ("publisher", "herald_publisher.settings", "PublisherSettings"),
    ("analytics", "herald_analytics.settings", "AnalyticsSettings"),
]
SECRET_WORDS = ("secret", "keys", "password")


def env_name(name: str, field: FieldInfo) -> str:
    alias = field.validation_alias
    choices = getattr(alias, "choices", None)
    if choices:
        return str(choices[0])
    return "HERALD_" + name.upper()


def rows() -> list[tuple[str, str, list[str]]]:
    seen: dict[str, tuple[str, str, list[str]]] = {}
    for service, module, cls in SERVICES:
        try:
            settings_cls: Any = getattr(importlib.import_module(module), cls)
        except (ImportError, AttributeError):
            continue
        for name, field in settings_cls.model_fields.items():
            env = env_name(name, field)
            default = field.default
            if any(w in name for w in SECRET_WORDS):
                shown = "(development value; set your own)"
            else:
                shown = f"`{default}`"
            if env in seen:
                seen[env][2].append(service)
            else:
                seen[env] = (env, shown, [service])
    return sorted(seen.values())


def table() -> list[str]:
    """The README's settings table, line by line."""
    out = ["| variable | default | used by |", "|---|---|---|"]
    for env, default, services in rows():
        out.append(f"| `{env}` | {default} | {', '.join(services)} |")
    return out


def main() -> None:
    print("\n".join(table()))


if __name__ == "__main__":
    main()
