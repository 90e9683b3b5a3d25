"""The best-times heatmap as a standalone SVG: 7 local days x 24 local hours, a legend,
the top three slots marked. Plain SVG 1.1 (no script, no external resource), so a
frontend can show it as it is."""

from __future__ import annotations

from xml.sax.saxutils import escape

from herald_post_api.analytics.besttimes import DAYS, BestTimes, Slot

CELL_W = 30
CELL_H = 24
LEFT = 52
TOP = 64
LOW = (241, 245, 249)  # no engagement
HIGH = (29, 78, 216)  # the best slot
FONT = "font-family='Helvetica, Arial, sans-serif'"


def _color(value: float, low: float, top: float) -> str:
    t = 0.0 if top <= low else max(0.0, min(1.0, (value - low) / (top - low)))
    r, g, b = (round(lo + (hi - lo) * t) for lo, hi in zip(LOW, HIGH, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def _pct(rate: float) -> str:
    return f"{rate * 100:.2f}%"


def render(result: BestTimes, *, platform_label: str, timezone: str) -> str:
    width = LEFT + 24 * CELL_W + 16
    grid_bottom = TOP + 7 * CELL_H
    height = grid_bottom + 76
    top_rate = max((s.rate for s in result.slots), default=0.0)
    low_rate = min((s.rate for s in result.slots), default=0.0)
    ranks = {s.hour_of_week: i + 1 for i, s in enumerate(result.top)}
    out: list[str] = [
        f"<svg xmlns='http://www.w3.org/2000/svg' version='1.1' width='{width}' "
        f"height='{height}' viewBox='0 0 {width} {height}' role='img' "
        f"aria-label='Best times to post on {escape(platform_label)}'>",
        f"<rect width='{width}' height='{height}' fill='#ffffff'/>",
        f"<text x='{LEFT}' y='22' {FONT} font-size='15' font-weight='bold' fill='#0f172a'>"
        f"Best times to post on {escape(platform_label)}</text>",
        f"<text x='{LEFT}' y='40' {FONT} font-size='11' fill='#475569'>Engagement rate by "
        f"local day and hour of publication ({escape(timezone)}); "
        f"{result.posts} posts with figures</text>",
    ]
    for hour in range(24):
        x = LEFT + hour * CELL_W + CELL_W / 2
        out.append(
            f"<text x='{x:.0f}' y='{TOP - 6}' {FONT} font-size='10' fill='#334155' "
            f"text-anchor='middle'>{hour:02d}</text>"
        )
    for day, name in enumerate(DAYS):
        y = TOP + day * CELL_H + CELL_H / 2 + 4
        out.append(
            f"<text x='{LEFT - 8}' y='{y:.0f}' {FONT} font-size='11' fill='#334155' "
            f"text-anchor='end'>{name}</text>"
        )
    for slot in result.slots:
        out.append(_cell(slot, low_rate, top_rate, ranks.get(slot.hour_of_week)))
    out += _legend(low_rate, top_rate, grid_bottom, result)
    out.append("</svg>")
    return "\n".join(out)


def _cell(slot: Slot, low_rate: float, top_rate: float, rank: int | None) -> str:
    x = LEFT + slot.hour * CELL_W
    y = TOP + slot.weekday * CELL_H
    label = (
        f"{DAYS[slot.weekday]} {slot.hour:02d}:00: {_pct(slot.rate)} expected, "
        f"{slot.posts} posts, confidence {slot.confidence:.2f}"
    )
    if rank:
        label = f"#{rank} " + label
    stroke = "stroke='#f59e0b' stroke-width='3'" if rank else "stroke='#ffffff' stroke-width='1'"
    parts = [
        f"<rect class='cell' x='{x}' y='{y}' width='{CELL_W}' height='{CELL_H}' "
        f"fill='{_color(slot.rate, low_rate, top_rate)}' {stroke} "
        f"data-hour-of-week='{slot.hour_of_week}'>"
        f"<title>{escape(label)}</title></rect>"
    ]
    if rank:
        parts.append(
            f"<text class='rank' x='{x + CELL_W / 2:.0f}' y='{y + CELL_H / 2 + 4:.0f}' {FONT} "
            f"font-size='12' font-weight='bold' fill='#ffffff' text-anchor='middle'>{rank}</text>"
        )
    return "".join(parts)


def _legend(low_rate: float, top_rate: float, grid_bottom: int, result: BestTimes) -> list[str]:
    y = grid_bottom + 22
    steps = 10
    width = 24
    out = [
        f"<text x='{LEFT}' y='{y - 6}' {FONT} font-size='10' fill='#334155'>"
        "Expected engagement rate</text>"
    ]
    for i in range(steps + 1):
        value = low_rate + (top_rate - low_rate) * i / steps
        out.append(
            f"<rect class='legend' x='{LEFT + i * width}' y='{y}' width='{width}' height='12' "
            f"fill='{_color(value, low_rate, top_rate)}'/>"
        )
    out.append(
        f"<text x='{LEFT}' y='{y + 26}' {FONT} font-size='10' fill='#334155'>"
        f"{_pct(low_rate)}</text>"
        f"<text x='{LEFT + (steps + 1) * width}' y='{y + 26}' {FONT} font-size='10' "
        f"fill='#334155' text-anchor='end'>{_pct(top_rate)}</text>"
    )
    x = LEFT + (steps + 1) * width + 30
    out.append(
        f"<rect x='{x}' y='{y}' width='14' height='12' fill='#ffffff' stroke='#f59e0b' "
        f"stroke-width='3'/><text x='{x + 22}' y='{y + 10}' {FONT} font-size='10' "
        f"fill='#334155'>top 3 slots, numbered</text>"
    )
    tops = ", ".join(
        f"{i + 1}. {DAYS[s.weekday]} {s.hour:02d}:00 ({_pct(s.rate)})"
        for i, s in enumerate(result.top)
    )
    if tops:
        out.append(
            f"<text x='{x}' y='{y + 26}' {FONT} font-size='10' fill='#334155'>{escape(tops)}</text>"
        )
    return out
