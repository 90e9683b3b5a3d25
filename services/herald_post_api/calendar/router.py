"""The calendar feed: managed at ``/v1/calendar/feed`` (bearer), read at its secret address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from herald_post_api.calendar import service
from herald_post_api.calendar.schemas import CalendarFeedRead, CalendarFeedSecret
from herald_post_api.deps import CurrentUser, Now, SessionDep, SettingsDep
from herald_post_api.openapi import problems

router = APIRouter(prefix="/v1/calendar", tags=["calendar"])

_SHOWN_ONCE = (
    "The answer holds the feed's secret address; it is not stored (only a hash of its "
    "token is) and is never shown again. Anyone with the address can read the calendar "
    "without logging in, so give it only to a calendar app."
)

ICS_EXAMPLE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Herald//Scheduled posts//EN\r\n"
    "CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nNAME:Herald posts\r\nX-WR-CALNAME:Herald posts\r\n"
    "REFRESH-INTERVAL;VALUE=DURATION:PT15M\r\nBEGIN:VEVENT\r\n"
    "SUMMARY:Scheduled on X\\, LinkedIn: Doors open at 9 tomorrow.\r\n"
    "DTSTART:20270301T080000Z\r\nDTSTAMP:20261126T100000Z\r\n"
    "UID:0b6f3f4e-8e0a-4c43-9a57-2f0f6b1f4d10@herald\r\nCATEGORIES:X,LinkedIn\r\n"
    "DESCRIPTION:Doors open at 9 tomorrow.\\n\\nScheduled on X\\, LinkedIn.\r\n"
    "STATUS:TENTATIVE\r\nX-HERALD-STATUS:SCHEDULED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@router.get(
    "/feed",
    response_model=CalendarFeedRead,
    responses=problems(401, 404),
    summary="Whether the caller has a calendar feed, and since when (not its address)",
)
async def get_feed(user: CurrentUser, session: SessionDep) -> CalendarFeedRead:
    return await service.read(session, user)


@router.post(
    "/feed",
    status_code=status.HTTP_201_CREATED,
    response_model=CalendarFeedSecret,
    responses=problems(401, 409),
    summary="Create the caller's secret iCalendar feed of scheduled and published posts",
    description=_SHOWN_ONCE + " 409 when the caller already has one (rotate it instead).",
)
async def create_feed(
    user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> CalendarFeedSecret:
    return await service.create(session, user, settings.oauth_redirect_base)


@router.post(
    "/feed/rotate",
    response_model=CalendarFeedSecret,
    responses=problems(401, 404),
    summary="Give the feed a new secret address; the old one stops working at once",
    description=_SHOWN_ONCE,
)
async def rotate_feed(
    user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> CalendarFeedSecret:
    return await service.rotate(session, user, settings.oauth_redirect_base)


@router.delete(
    "/feed",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(401, 404),
    summary="Revoke the feed: its address answers 404 from now on",
)
async def revoke_feed(user: CurrentUser, session: SessionDep) -> Response:
    await service.revoke(session, user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{token}.ics",
    response_class=Response,
    responses={
        200: {
            "description": "The caller's posts as iCalendar (RFC 5545): one event per post "
            "scheduled, publishing, published or failed, from 90 days back onwards (at most "
            f"{service.MAX_EVENTS}), at its UTC time.",
            "content": {"text/calendar": {"schema": {"type": "string"}, "example": ICS_EXAMPLE}},
        },
        **problems(404),
    },
    summary="The iCalendar feed, read with its secret address alone (no bearer token)",
    description="For calendar apps: subscribe to the `url` (or `webcal_url`) that creating "
    "or rotating the feed answered. A wrong, rotated or revoked address answers 404.",
)
async def read_feed(
    token: Annotated[str, Path(description="The feed's secret token, from its address.")],
    session: SessionDep,
    now: Now,
) -> Response:
    body = await service.render(session, token, now)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": 'inline; filename="herald.ics"',
            "Referrer-Policy": "no-referrer",
        },
    )
