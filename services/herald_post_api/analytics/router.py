"""The analytics endpoints: ``/v1/posts/{id}/analytics`` and ``/v1/analytics/...``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from herald_db.enums import Platform
from herald_post_api.analytics import examples, heatmap, service
from herald_post_api.analytics.schemas import BestTimesRead, PostAnalytics, WeeklySummary
from herald_post_api.deps import CurrentUser, Now, SessionDep
from herald_post_api.openapi import problems

posts_router = APIRouter(prefix="/v1/posts", tags=["analytics"])
router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

PlatformQuery = Annotated[
    Platform, Query(description="The platform whose best times to show, e.g. TWITTER")
]


def _example(body: Any) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"example": body}}}}


@posts_router.get(
    "/{post_id}/analytics",
    response_model=PostAnalytics,
    responses={**_example(examples.POST_ANALYTICS), **problems(401, 404, 422)},
    summary="How a post did on each platform: latest figures, their history, the best platform",
    description=(
        "Figures are read 1 h, 6 h, 24 h and 7 d after each platform published the post. "
        "`history` is every reading (the curve), `fetches` the planned readings and their "
        "state; `deleted_on_platform` says the post was removed there and is no longer read."
    ),
)
async def post_analytics(
    post_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> PostAnalytics:
    return await service.post_analytics(session, user, post_id)


@router.get(
    "/summary",
    response_model=WeeklySummary,
    responses={**_example(examples.SUMMARY), **problems(401, 422)},
    summary="A week of the caller's posts: reach, totals per platform, the best platform",
    description=(
        "Posts published in the ISO week `week` of the caller's time zone (Monday 00:00 to "
        "Monday 00:00 local, so a week with a daylight-saving change lasts 167 or 169 hours), "
        "each counted with its latest reading, and the change from the week before."
    ),
)
async def weekly_summary(
    user: CurrentUser,
    session: SessionDep,
    now: Now,
    week: Annotated[
        str | None,
        Query(
            description="ISO week, YYYY-Www (e.g. 2026-W44); default: the current local week",
            pattern=r"^\d{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$",
            examples=["2026-W44"],
        ),
    ] = None,
) -> WeeklySummary:
    return await service.weekly_summary(session, user, week, now)


@router.get(
    "/best-times",
    response_model=BestTimesRead,
    responses={**_example(examples.BEST_TIMES), **problems(401, 422)},
    summary="When to post: 168 local hour-of-week slots with expected engagement, the top 3",
    description=(
        "Each slot is a local weekday and hour of publication in the caller's zone. Its "
        "mean engagement rate ((likes + shares + comments) / impressions, each post's latest "
        "reading) is pulled towards a prior in proportion to how little data it has: "
        "rate = (posts x mean + 5 x prior) / (posts + 5). The prior is the caller's own rate "
        "on the platform, blended, while the caller has few posts, with the platform's "
        "pattern across all users (only slots with posts of at least 5 users count)."
    ),
)
async def best_times(
    platform: PlatformQuery, user: CurrentUser, session: SessionDep
) -> BestTimesRead:
    result = await service.compute_best_times(session, user, platform)
    return service.best_times_read(result, platform, user.timezone)


@router.get(
    "/best-times.svg",
    response_class=Response,
    responses={
        200: {
            "description": "An SVG heatmap: 7 local days x 24 local hours, legend, top 3",
            "content": {"image/svg+xml": {"schema": {"type": "string"}, "example": examples.SVG}},
        },
        **problems(401, 422),
    },
    summary="The best times as a heatmap a frontend can show as it is",
)
async def best_times_svg(
    platform: PlatformQuery, user: CurrentUser, session: SessionDep
) -> Response:
    result = await service.compute_best_times(session, user, platform)
    svg = heatmap.render(result, platform_label=platform.label, timezone=user.timezone)
    return Response(svg, media_type="image/svg+xml")
