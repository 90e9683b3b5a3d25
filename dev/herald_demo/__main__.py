"""``make demo``: a user's first week with Herald, against a running ``make run``.

Registers a user, connects simulated accounts on X, Instagram, LinkedIn and Facebook,
schedules a handful of posts due within the minute, shows a live line while they publish,
then moves the simulator's clock and the analytics service's clock forward together, one
checkpoint at a time (1 hour, 6 hours, 24 hours, 7 days after publication), so the metrics
come in, and prints the week's summary and the best times to post.

Where things are: ``HERALD_URL`` (the post API, default http://127.0.0.1:8000),
``HERALD_SIM_URL`` (the simulator, default http://127.0.0.1:8100) and
``HERALD_ANALYTICS_URL`` (the analytics service, default http://127.0.0.1:8003); ``make run``
prints them when they are not the defaults. The simulator's clock stays a week or more ahead
until ``make run`` is restarted; the analytics service's is set back to real time by the next
demo.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

PLATFORMS = {
    "twitter": "X",
    "instagram": "Instagram",
    "linkedin": "LinkedIn",
    "facebook": "Facebook",
}
NAMES = {slug.upper(): name for slug, name in PLATFORMS.items()}
CHECKPOINTS = [("1h", 3600), ("6h", 6 * 3600), ("24h", 24 * 3600), ("7d", 7 * 86400)]
TOPICS = [
    "Doors open at nine: come early for coffee",
    "Five things we learned shipping on Fridays",
    "Our autumn poster, fresh from the press",
    "Behind the scenes: the workshop at dawn",
    "Thank you for ten thousand readers",
    "The recipe everyone asked for",
    "A short walk through the new gallery",
    "Questions from last week, answered",
]
PASSWORD = "demo passphrase, long enough"


class DemoError(Exception):
    """Something the user can act on; printed without a traceback."""


def say(msg: str = "") -> None:
    print(f"[demo] {msg}" if msg else "", flush=True)


class Line:
    """One live progress line: rewritten in place on a terminal; elsewhere a new line when
    what it counts changes."""

    def __init__(self) -> None:
        self.tty = sys.stdout.isatty()
        self.key: object = None
        self.width = 0

    def show(self, text: str, key: object) -> None:
        if self.tty:
            pad = max(0, self.width - len(text))
            sys.stdout.write(f"\r[demo] {text}{' ' * pad}")
            sys.stdout.flush()
            self.width = len(text)
        elif key != self.key:
            say(text)
        self.key = key

    def done(self) -> None:
        if self.tty and self.width:
            sys.stdout.write("\n")
            sys.stdout.flush()
        self.width = 0
        self.key = None


class Demo:
    def __init__(self, api: str, sim: str, analytics: str, timeout: float = 30.0) -> None:
        self.api = api.rstrip("/")
        self.sim = sim.rstrip("/")
        self.analytics = analytics.rstrip("/")
        self.http = httpx.Client(timeout=timeout)
        self.auth: dict[str, str] = {}

    # -- HTTP ---------------------------------------------------------------------------

    def call(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            r = self.http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise DemoError(f"{method} {url} failed: {exc}") from exc
        if r.status_code >= 400:
            raise DemoError(f"{method} {url} answered {r.status_code}: {r.text[:500]}")
        return r.json() if r.content else None

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", self.api + path, headers=self.auth, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.call("POST", self.api + path, headers=self.auth, **kwargs)

    # -- steps --------------------------------------------------------------------------

    def check_up(self) -> None:
        for name, url, hint in (
            ("the post API", f"{self.api}/readyz", "HERALD_URL"),
            ("the platform simulator", f"{self.sim}/healthz", "HERALD_SIM_URL"),
            ("the analytics service", f"{self.analytics}/healthz", "HERALD_ANALYTICS_URL"),
        ):
            try:
                ok = self.http.get(url, timeout=5).status_code == 200
            except httpx.HTTPError:
                ok = False
            if not ok:
                raise DemoError(
                    f"{name} does not answer at {url}: start `make run` first, or set {hint}."
                )

    def register(self, timezone: str) -> str:
        tag = secrets.token_hex(3)
        email = f"demo-{tag}@example.com"
        self.post(
            "/v1/auth/register",
            json={"email": email, "password": PASSWORD, "timezone": timezone},
        )
        token = self.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
        self.auth = {"authorization": f"Bearer {token['access_token']}"}
        say(f"registered {email} (time zone {timezone}) and logged in")
        return tag

    def connect(self, tag: str) -> None:
        shown = []
        for slug, name in PLATFORMS.items():
            start = self.get(f"/v1/accounts/{slug}/connect")
            # The browser's part: the simulator approves at once (as the account named by
            # login_hint) and sends the browser back with a code and the state.
            url = f"{start['authorize_url']}&login_hint=demo-{tag}"
            try:
                back = self.http.get(url, follow_redirects=False)
            except httpx.HTTPError as exc:
                raise DemoError(f"the simulator's authorize page failed: {exc}") from exc
            query = dict(parse_qsl(urlsplit(back.headers.get("location", "")).query))
            if "code" not in query:
                raise DemoError(f"{name} did not send a code back: {back.status_code} {query}")
            # The frontend's part: post code and state with the user's own token.
            account = self.post(
                f"/v1/accounts/{slug}/callback",
                json={"code": query["code"], "state": query["state"]},
            )
            shown.append(f"{name} ({account['display_name']})")
        say("connected " + ", ".join(shown))

    def schedule(self, count: int, first_in: float, every: float) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        stamp = now.strftime("%H:%M:%S")
        posts = []
        for i in range(count):
            at = (now + timedelta(seconds=first_in + i * every)).replace(microsecond=0)
            body = {
                "content": f"{TOPICS[i % len(TOPICS)]} (demo {stamp}, {i + 1} of {count})",
                "platforms": [p.upper() for p in PLATFORMS],
                "media_urls": [f"{self.sim}/media/demo-{i + 1}-1080x1080.jpg"],
                "scheduled_at": at.isoformat(),
            }
            key = {"Idempotency-Key": secrets.token_hex(16)}
            posts.append(
                self.call("POST", f"{self.api}/v1/posts", headers=self.auth | key, json=body)
            )
        first, last = posts[0]["scheduled_at"], posts[-1]["scheduled_at"]
        say(
            f"scheduled {count} posts on all four platforms, due from {_hms(first)} to "
            f"{_hms(last)} UTC (the first in {first_in:.0f} s), now {now:%H:%M:%S} UTC:"
        )
        for p in posts:
            say(f"  {_hms(p['scheduled_at'])}  {p['content']}")
        return posts

    def watch_publishing(self, posts: list[dict[str, Any]], limit: float) -> list[dict[str, Any]]:
        ids = [p["id"] for p in posts]
        line = Line()
        deadline = time.monotonic() + limit
        while True:
            current = [self.get(f"/v1/posts/{i}") for i in ids]
            counts = {s: sum(p["status"] == s for p in current) for s in _STATUSES}
            done = counts["PUBLISHED"] + counts["FAILED"]
            waiting = [_parse(p["scheduled_at"]) for p in current if p["status"] == "SCHEDULED"]
            nxt = ""
            if waiting:
                secs = max(0, int((min(waiting) - datetime.now(UTC)).total_seconds()))
                nxt = f"; next due in {secs} s"
            text = (
                f"publishing: {done}/{len(ids)} done ({counts['PUBLISHED']} published, "
                f"{counts['FAILED']} failed), {counts['PUBLISHING']} publishing, "
                f"{counts['SCHEDULED']} scheduled{nxt}"
            )
            line.show(text, tuple(counts.values()))
            if done == len(ids):
                line.done()
                break
            if time.monotonic() > deadline:
                line.done()
                raise DemoError(f"not every post was done within {limit:.0f} s: {counts}")
            time.sleep(0.5)
        results = [r for p in current for r in p["results"]]
        failed = [r for r in results if r["status"] != "SUCCEEDED"]
        say(f"published: {len(results) - len(failed)} of {len(results)} platform results succeeded")
        for p in current:
            for r in p["results"]:
                if r["status"] != "SUCCEEDED":
                    say(f"  {NAMES[r['platform']]}: {r['status']} {r['error_message']}")
        return current

    def advance(self, seconds: float) -> None:
        self.call("POST", f"{self.sim}/_sim/clock", json={"advance": seconds})
        self.call("POST", f"{self.analytics}/_dev/clock", json={"advance": seconds})

    def collect_metrics(self, posts: list[dict[str, Any]], limit: float) -> None:
        published = [
            _parse(r["published_at"]) for p in posts for r in p["results"] if r["published_at"]
        ]
        if not published:
            raise DemoError("nothing was published, so there are no metrics to read")
        last = max(published)
        # The analytics service starts from real time (an earlier demo left it ahead) and
        # from here both clocks move together, so a post's age on the simulator at each
        # reading is the checkpoint's.
        try:
            r = self.http.post(f"{self.analytics}/_dev/clock", json={"offset": 0})
        except httpx.HTTPError as exc:
            raise DemoError(f"the analytics service failed: {exc}") from exc
        if r.status_code == 404:
            raise DemoError(
                "the analytics service's clock cannot be moved: it runs outside development "
                "(make run sets HERALD_ENVIRONMENT=dev)."
            )
        offset = 0.0
        say("moving the simulator's and the analytics service's clocks to bring in metrics:")
        for checkpoint, seconds in CHECKPOINTS:
            target = last + timedelta(seconds=seconds + 60)
            need = (target - (datetime.now(UTC) + timedelta(seconds=offset))).total_seconds()
            if need > 0:
                self.advance(need)
                offset += need
            self._wait_readings(posts, checkpoint, limit)

    def _wait_readings(self, posts: list[dict[str, Any]], checkpoint: str, limit: float) -> None:
        line = Line()
        deadline = time.monotonic() + limit
        label = f"+{checkpoint[:-1]} {'h' if checkpoint.endswith('h') else 'd'}"
        while True:
            states = []
            for p in posts:
                report = self.get(f"/v1/posts/{p['id']}/analytics")
                for platform in report["platforms"]:
                    states += [
                        f["status"] for f in platform["fetches"] if f["checkpoint"] == checkpoint
                    ]
            done = sum(s in ("DONE", "GONE", "FAILED") for s in states)
            failed = sum(s == "FAILED" for s in states)
            extra = f", {failed} failed" if failed else ""
            line.show(f"  {label:>5}: {done}/{len(states)} readings{extra}", (done, failed))
            if states and done == len(states):
                line.done()
                return
            if time.monotonic() > deadline:
                line.done()
                raise DemoError(f"the {checkpoint} readings did not all come in within {limit} s")
            time.sleep(0.5)

    def report(self) -> None:
        s = self.get("/v1/analytics/summary")
        say()
        say(
            f"week {s['week']} ({s['timezone']}): reach {s['reach']:,} impressions, "
            f"{s['engagements']:,} engagements, engagement rate {_pct(s['engagement_rate'])}"
        )
        say(f"  {'platform':<10} {'posts':>5} {'impressions':>12} {'likes':>7} {'rate':>7}")
        for p in s["platforms"]:
            say(
                f"  {NAMES[p['platform']]:<10} {p['posts']:>5} {p['impressions']:>12,} "
                f"{p['likes']:>7,} {_pct(p['engagement_rate']):>7}"
            )
        if s["best_platform"]:
            say(f"  best platform this week: {NAMES[s['best_platform']]}")
        change = s["change"]
        pct = change["reach_pct"]
        since = f"{pct:+.0f}%" if pct is not None else "no posts the week before"
        say(f"  reach against the week before: {change['reach']:+,} ({since})")
        say()
        say("best times to post (local weekday and hour; expected engagement rate):")
        for slug, name in PLATFORMS.items():
            b = self.get("/v1/analytics/best-times", params={"platform": slug.upper()})
            # Hours without posts yet are estimated at the user's mean; show the ones with data.
            ranked = [t for t in b["top"] if t["posts"]] or sorted(
                (t for t in b["slots"] if t["posts"]), key=lambda t: -t["rate"]
            )[:3]
            tops = "; ".join(
                f"{t['day'][:3]} {t['hour']:02d}:00 {_pct(t['rate'])} "
                f"({t['posts']} posts, confidence {t['confidence']:.0%})"
                for t in ranked
            )
            say(f"  {name:<10} {tops or 'no posts with figures yet'}")
            say(f"  {'':<10} hours without posts yet: {_pct(b['user_rate'])}, the mean so far")
        say(
            f"  as a heatmap: GET {self.api}/v1/analytics/best-times.svg?platform=TWITTER "
            "with the user's token"
        )


_STATUSES = ("SCHEDULED", "PUBLISHING", "PUBLISHED", "FAILED")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _hms(value: str) -> str:
    return f"{_parse(value):%H:%M:%S}"


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1%}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="herald_demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=6, help="how many posts (default 6)")
    parser.add_argument(
        "--in",
        dest="first_in",
        type=float,
        default=30.0,
        help="seconds until the first post is due (default 30)",
    )
    parser.add_argument(
        "--every", type=float, default=5.0, help="seconds between posts (default 5)"
    )
    parser.add_argument("--timezone", default="UTC", help="the user's time zone (default UTC)")
    parser.add_argument(
        "--wait", type=float, default=180.0, help="longest wait for any one step, in seconds"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.posts <= 50:
        parser.error("--posts: from 1 to 50")
    demo = Demo(
        os.environ.get("HERALD_URL", "http://127.0.0.1:8000"),
        os.environ.get("HERALD_SIM_URL", "http://127.0.0.1:8100"),
        os.environ.get("HERALD_ANALYTICS_URL", "http://127.0.0.1:8003"),
    )
    try:
        demo.check_up()
        say(f"Herald at {demo.api} (simulator {demo.sim}, analytics {demo.analytics})")
        tag = demo.register(args.timezone)
        demo.connect(tag)
        posts = demo.schedule(args.posts, args.first_in, args.every)
        limit = args.first_in + args.every * args.posts + args.wait
        posts = demo.watch_publishing(posts, limit)
        demo.collect_metrics(posts, args.wait)
        demo.report()
    except DemoError as exc:
        say(f"stopped: {exc}")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    say()
    say("done. The same, step by step with curl: the quick start in README.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
