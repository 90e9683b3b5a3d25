"""Render the README's best-times heatmap: ``python -m herald_devrun.readme_heatmap``.

A made-up but plausible user (posts on weekday mornings and evenings do better) goes
through the same estimate and SVG as ``GET /v1/analytics/best-times.svg``; the SVG and its
PNG rendering (cairosvg) are written under docs/.
"""

from __future__ import annotations

import math
from pathlib import Path

from herald_db.repositories.analytics import Bucket
from herald_post_api.analytics.besttimes import best_times
from herald_post_api.analytics.heatmap import render

ROOT = Path(__file__).resolve().parents[2]


def sample() -> dict[int, Bucket]:
    out: dict[int, Bucket] = {}
    for how in range(168):
        day, hour = divmod(how, 24)
        if hour < 6:
            continue
        weekday = day < 5
        posts = (3 if weekday else 1) + (how * 7919) % 4
        morning = math.exp(-((hour - 9) ** 2) / 4)
        evening = math.exp(-((hour - 19) ** 2) / 6)
        rate = 0.012 + (0.03 if weekday else 0.012) * morning + 0.02 * evening
        rate *= 1 + ((how * 104729) % 17 - 8) / 60
        out[how] = Bucket(posts, 1, rate * posts)
    return out


def main() -> None:
    svg = render(best_times(sample(), {}), platform_label="X", timezone="America/New_York")
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "best-times.svg").write_text(svg)
    import cairosvg

    cairosvg.svg2png(bytestring=svg.encode(), write_to=str(docs / "best-times.png"), scale=1.5)
    print(f"wrote {docs / 'best-times.svg'} and {docs / 'best-times.png'}")


if __name__ == "__main__":
    main()
