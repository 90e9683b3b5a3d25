"""Analytics reports, in the user's time zone. Aggregates come from SQL
(``herald_db.repositories.analytics``); this module shapes them. Never commits."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from herald_common.errors import Unprocessable
from herald_common.timeutil import NonexistentLocalTime, local_to_utc, utc_to_local
from herald_db.enums import FetchStatus, Platform
from herald_db.models import AnalyticsSnapshot, User
from herald_db.repositories import analytics as repo
from herald_db.repositories import posts as posts_repo
from herald_post_api.analytics import besttimes
from herald_post_api.analytics.schemas import (
    BestTimesRead,
    FetchRead,
    Figures,
    PlatformAnalytics,
    PlatformWeek,
    PostAnalytics,
    SlotRead,
    TopSlot,
    WeekChange,
    WeekFigures,
    WeeklySummary,
)
from herald_post_api.posts.service import PostNotFound

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class InvalidWeek(Unprocessable):
    slug = "invalid-week"
    title = "Invalid week"


# -- one post ---------------------------------------------------------------------------


def _rate(engagements: int, impressions: int) -> float | None:
    return engagements / impressions if impressions > 0 else None


def _figures(s: AnalyticsSnapshot, zone: str, checkpoint: str | None) -> Figures:
    engagements = s.likes + s.shares + s.comments
    return Figures(
        likes=s.likes,
        shares=s.shares,
        comments=s.comments,
        impressions=s.impressions,
        engagements=engagements,
        engagement_rate=_rate(engagements, s.impressions),
        fetched_at=s.fetched_at,
        fetched_at_local=utc_to_local(s.fetched_at, zone),
        checkpoint=checkpoint,
    )


async def post_analytics(session: AsyncSession, user: User, post_id: uuid.UUID) -> PostAnalytics:
    post = await posts_repo.get_for_user(session, user.id, post_id)
    if post is None:
        raise PostNotFound(f"No post {post_id}.", field="post_id")
    zone = user.timezone
    results = (await posts_repo.results_for(session, [post.id]))[post.id]
    fetches = await repo.fetches_of_results(session, [r.id for r in results])
    snapshots = await repo.snapshots_of_post(session, post.id)
    checkpoint_of = {f.id: f.checkpoint for f in fetches}
    platforms: list[PlatformAnalytics] = []
    for r in results:
        history = [
            _figures(s, zone, checkpoint_of.get(s.fetch_id or -1))
            for s in snapshots
            if s.platform == r.platform
        ]
        mine = [f for f in fetches if f.result_id == r.id]
        platforms.append(
            PlatformAnalytics(
                platform=r.platform,
                status=r.status,
                external_post_id=r.external_post_id,
                published_at=r.published_at,
                published_at_local=utc_to_local(r.published_at, zone) if r.published_at else None,
                latest=history[-1] if history else None,
                history=history,
                fetches=[
                    FetchRead(
                        checkpoint=f.checkpoint,
                        due_at=f.due_at,
                        status=f.status,
                        finished_at=f.finished_at,
                        error=f.last_error if f.status is not FetchStatus.DONE else None,
                    )
                    for f in mine
                ],
                deleted_on_platform=any(f.status is FetchStatus.GONE for f in mine),
            )
        )
    rated = [p for p in platforms if p.latest is not None]
    best = max(
        rated,
        key=lambda p: (
            p.latest.engagements if p.latest else 0,
            (p.latest.engagement_rate or 0.0) if p.latest else 0.0,
        ),
        default=None,
    )
    return PostAnalytics(
        post_id=post.id,
        timezone=zone,
        platforms=platforms,
        best_platform=best.platform if best and best.latest and best.latest.engagements else None,
    )


# -- the week -----------------------------------------------------------------------------


def parse_week(week: str) -> tuple[int, int]:
    m = WEEK.match(week)
    if not m:
        raise InvalidWeek(f"week must look like 2026-W09, not '{week[:20]}'.", field="week")
    year, number = int(m.group(1)), int(m.group(2))
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise InvalidWeek(f"{week} is not a week of {year}.", field="week") from exc
    return year, number


def _local_midnight(day: date, zone: str) -> datetime:
    naive = datetime(day.year, day.month, day.day)
    while True:
        try:
            return local_to_utc(naive, zone)
        except NonexistentLocalTime:  # a zone whose clocks skip midnight: the first hour after
            naive += timedelta(hours=1)


def week_bounds(year: int, number: int, zone: str) -> tuple[datetime, datetime]:
    monday = date.fromisocalendar(year, number, 1)
    return _local_midnight(monday, zone), _local_midnight(monday + timedelta(days=7), zone)


def week_label(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


async def weekly_summary(
    session: AsyncSession, user: User, week: str | None, now: datetime
) -> WeeklySummary:
    zone = user.timezone
    if week is None:
        week = week_label(utc_to_local(now, zone).date())
    year, number = parse_week(week)
    start, end = week_bounds(year, number, zone)
    monday = date.fromisocalendar(year, number, 1)
    previous_start, _ = week_bounds(*_iso(monday - timedelta(days=7)), zone)
    totals = await repo.week_totals(session, user.id, previous=previous_start, start=start, end=end)
    platforms: list[PlatformWeek] = []
    for platform in Platform:
        t = totals.get((platform, True))
        if t is None:
            continue
        engagements = t.likes + t.shares + t.comments
        platforms.append(
            PlatformWeek(
                platform=platform,
                posts=t.posts,
                impressions=t.impressions,
                likes=t.likes,
                shares=t.shares,
                comments=t.comments,
                engagements=engagements,
                engagement_rate=_rate(engagements, t.impressions),
            )
        )
    this = _week_figures(week, [t for (_, now_), t in totals.items() if now_])
    before = _week_figures(
        week_label(monday - timedelta(days=7)), [t for (_, now_), t in totals.items() if not now_]
    )
    rated = [p for p in platforms if p.engagement_rate is not None]
    best = max(rated, key=lambda p: (p.engagement_rate or 0.0, p.impressions), default=None)
    return WeeklySummary(
        week=week,
        timezone=zone,
        starts_at=start,
        ends_at=end,
        starts_at_local=utc_to_local(start, zone),
        ends_at_local=utc_to_local(end, zone),
        posts=this.posts,
        reach=this.reach,
        engagements=this.engagements,
        engagement_rate=this.engagement_rate,
        platforms=platforms,
        best_platform=best.platform if best else None,
        previous_week=before,
        change=WeekChange(
            reach=this.reach - before.reach,
            reach_pct=(this.reach - before.reach) / before.reach * 100 if before.reach else None,
            engagements=this.engagements - before.engagements,
            engagement_rate_points=(this.engagement_rate - before.engagement_rate) * 100
            if this.engagement_rate is not None and before.engagement_rate is not None
            else None,
        ),
    )


def _iso(day: date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso.year, iso.week


def _week_figures(week: str, totals: list[repo.Totals]) -> WeekFigures:
    reach = sum(t.impressions for t in totals)
    engagements = sum(t.likes + t.shares + t.comments for t in totals)
    return WeekFigures(
        week=week,
        posts=sum(t.posts for t in totals),
        reach=reach,
        engagements=engagements,
        engagement_rate=_rate(engagements, reach),
    )


# -- best times ---------------------------------------------------------------------------


async def compute_best_times(
    session: AsyncSession, user: User, platform: Platform
) -> besttimes.BestTimes:
    mine = await repo.user_buckets(session, user.id, platform, user.timezone)
    pattern = await repo.pattern(session, platform)
    return besttimes.best_times(mine, pattern)


def _slot(s: besttimes.Slot) -> SlotRead:
    return SlotRead(
        weekday=s.weekday,
        day=besttimes.DAYS[s.weekday],
        hour=s.hour,
        hour_of_week=s.hour_of_week,
        posts=s.posts,
        mean_rate=s.mean_rate,
        rate=s.rate,
        confidence=s.confidence,
    )


def best_times_read(result: besttimes.BestTimes, platform: Platform, zone: str) -> BestTimesRead:
    return BestTimesRead(
        platform=platform,
        timezone=zone,
        posts=result.posts,
        user_rate=result.user_rate,
        user_weight=result.user_weight,
        uses_platform_pattern=result.uses_platform_pattern,
        slots=[_slot(s) for s in result.slots],
        top=[TopSlot(rank=i + 1, **_slot(s).model_dump()) for i, s in enumerate(result.top)],
    )
