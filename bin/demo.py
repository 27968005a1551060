"""`make demo`: four stories told through the platform's real HTTP APIs, each step printed as it happens.

With `make run` going (or any four running services):

1. a new author's first article goes to a moderator, who approves it through moderation's API;
2. her next article is approved by the rules at once, goes live, and search finds it;
3. one is rejected with reasons (a banned term), revised, and approved;
4. a live article is taken down by a moderator.

After each story it prints the article's timeline as its author sees it. It creates an author and a
moderator with fresh names (`manage.py create_author` / `create_moderator` / `create_api_token`, in the
environment it was started in: `make demo` gives it var/run.env as `make run` does), so it can run again.

Environment: DEMO_PUBLISHING_URL, DEMO_MODERATION_URL, DEMO_NOTIFICATIONS_URL, DEMO_SEARCH_URL (default
http://127.0.0.1:8001 … 8004), DEMO_TIMEOUT (seconds to wait for each step, default 90). Exits 1 when a
step does not happen in time, saying which.
"""
from __future__ import annotations

import json
import os
import random
import secrets
import string
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PUBLISHING = os.environ.get("DEMO_PUBLISHING_URL", "http://127.0.0.1:8001").rstrip("/")
MODERATION = os.environ.get("DEMO_MODERATION_URL", "http://127.0.0.1:8002").rstrip("/")
NOTIFICATIONS = os.environ.get("DEMO_NOTIFICATIONS_URL", "http://127.0.0.1:8003").rstrip("/")
SEARCH = os.environ.get("DEMO_SEARCH_URL", "http://127.0.0.1:8004").rstrip("/")
TIMEOUT = float(os.environ.get("DEMO_TIMEOUT", "90"))
POLL_SECONDS = 0.5


class StepMissing(Exception):
    """A step of a story did not happen in time."""


# --- HTTP -----------------------------------------------------------------------------------------


def call(method: str, url: str, *, token: str | None = None, body: dict | None = None) -> tuple[int, Any]:
    """One JSON request; answers (status, parsed body), also for 4xx (the stories look at them)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Accept": "application/json"})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return exc.code, raw.decode(errors="replace")


def ok(method: str, url: str, **kwargs: Any) -> Any:
    status, body = call(method, url, **kwargs)
    if status >= 400:
        raise StepMissing(f"{method} {url} answered {status}: {body}")
    return body


def wait_for(check: Callable[[], Any], *, what: str, every: float = POLL_SECONDS) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise StepMissing(f"waited {TIMEOUT:.0f} s for {what}")


# --- people ---------------------------------------------------------------------------------------


def manage(service: str, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": f"{service}.settings", **(env or {})},
                            timeout=120)
    if result.returncode:
        raise StepMissing(f"manage.py {args[0]} ({service}) failed: {result.stderr.strip()[-500:]}")
    return result.stdout


def people(run: str) -> tuple[str, str]:
    """A new author and a new moderator; returns their API tokens."""
    password = secrets.token_urlsafe(18)
    author, moderator = f"demo-author-{run}", f"demo-moderator-{run}"
    manage("publishing", "create_author", author, "--email", f"{author}@example.com",
           "--display-name", f"Dana Demo {run}", env={"AUTHOR_PASSWORD": password})
    manage("moderation", "create_moderator", moderator, "--email", f"{moderator}@example.com",
           env={"MODERATOR_PASSWORD": password})
    moderator_token = manage("moderation", "create_api_token", moderator).split()[1]
    author_token = ok("POST", f"{PUBLISHING}/api/auth/token/", body={"username": author, "password": password})["token"]
    say(f"author {author} and moderator {moderator} created (manage.py), both logged in to the APIs")
    return author_token, moderator_token


# --- watching an article --------------------------------------------------------------------------


def say(line: str) -> None:
    print(f"   {line}", flush=True)


class Article:
    """One article as its author sees it through publishing's API, with what its timeline has shown so far."""

    def __init__(self, token: str, data: dict) -> None:
        self.token, self.data = token, data
        self.id, self.started = data["id"], time.monotonic()
        self.seen: list[dict] = []
        self.status = data["status"]

    def get(self) -> dict:
        self._fetch()
        self._status_told()
        return self.data

    def _fetch(self) -> None:
        self.data = ok("GET", f"{PUBLISHING}/api/articles/{self.id}/", token=self.token)

    def _status_told(self) -> None:
        if self.data["status"] != self.status:
            self.status = self.data["status"]
            say(f"{self._clock()}  the article: {self.data['stands']}")

    def timeline(self) -> list[dict]:
        entries, url = [], f"{PUBLISHING}/api/articles/{self.id}/timeline/"
        while url:
            page = ok("GET", url, token=self.token)
            entries += page["results"]
            url = page["next"]
        return entries

    def _clock(self) -> str:
        return f"[{time.monotonic() - self.started:6.1f} s]"

    def poll(self) -> list[dict]:
        """The timeline, printing each entry not printed before (entries arrive from four services)."""
        # The article before its timeline: every event behind the state read is then on the timeline read,
        # and is printed before the state it led to.
        self._fetch()
        entries = self.timeline()
        for entry in entries:
            if entry not in self.seen:
                self.seen.append(entry)
                say(f"{self._clock()}  {entry['service']:<15} {entry['type']:<28} {entry['summary']}")
        self._status_told()
        return entries

    def wait(self, what: str, done: Callable[[list[dict]], bool]) -> list[dict]:
        try:
            entries = wait_for(lambda: (lambda entries: entries if done(entries) else None)(self.poll()), what=what)
        except StepMissing as exc:
            seen = ", ".join(entry["type"] for entry in self.seen) or "nothing"
            raise StepMissing(f"{exc} (the timeline has: {seen}; the article is {self.status})") from None
        # poll() reads the article before its timeline: the events that ended the wait may be newer than it.
        self.get()
        return entries

    def print_timeline(self) -> None:
        print(f"   timeline of “{self.data['title']}” (GET /api/articles/{self.id}/timeline/):", flush=True)
        for entry in self.timeline():
            print(f"     {entry['time'][11:23]}  {entry['service']:<15} {entry['type']:<28} {entry['summary']}")
        print(f"   drawn: {PUBLISHING}/api/articles/{self.id}/timeline.svg (as the author), "
              f"{PUBLISHING}/admin/publishing/article/{self.id}/change/ (editors)", flush=True)


def types_after(entries: list[dict], first: str) -> list[str]:
    """The event types that follow the last `first` on the timeline."""
    types = [e["type"] for e in entries]
    if first not in types:
        return []
    return types[len(types) - types[::-1].index(first):]


def live_and_told(entries: list[dict]) -> bool:
    """Published, in search, and the author told (a notification after the publication)."""
    after = types_after(entries, "article.published")
    return "search.indexed" in after and any(t.startswith("notification.") for t in after)


def write(token: str, title: str, body: str, tags: list[str]) -> Article:
    data = ok("POST", f"{PUBLISHING}/api/articles/", token=token,
              body={"title": title, "summary": body.split(". ")[0] + ".", "body": body, "tags": tags})
    say(f"POST /api/articles/ → “{title}” ({data['status']})")
    return Article(token, data)


def submit(article: Article) -> None:
    data = ok("POST", f"{PUBLISHING}/api/articles/{article.id}/submit/", token=article.token)
    say(f"POST /api/articles/{article.id[:8]}…/submit/ → revision {data['revision']} sent to moderation")
    article.get()


def search_hits(word: str, article: Article) -> list[dict] | None:
    """The search results for `word` that are `article`; None while the public search throttles us."""
    status, body = call("GET", f"{SEARCH}/api/search/?{urllib.parse.urlencode({'q': word})}")
    if status == 429:
        return None
    if status >= 400:
        raise StepMissing(f"search answered {status}: {body}")
    return [hit for hit in body["results"] if hit["article_id"] == article.id]


def searchable(word: str, article: Article) -> dict:
    hit = wait_for(lambda: (search_hits(word, article) or [None])[0], what=f"search to find {word!r}", every=2.0)
    say(f"GET {SEARCH}/api/search/?q={word} → found “{hit['title']}” at {hit['url']}")
    return hit


def not_searchable(word: str, article: Article) -> None:
    wait_for(lambda: search_hits(word, article) == [], what=f"search to stop finding “{article.data['title']}”",
             every=2.0)
    say(f"GET {SEARCH}/api/search/?q={word} → “{article.data['title']}” is not found any more")


# --- the stories ----------------------------------------------------------------------------------


def story(number: int, title: str) -> None:
    print(f"\n== Story {number}: {title}", flush=True)


def ending(number: int, text: str, article: Article) -> None:
    article.print_timeline()
    print(f"== Story {number} ends: {text}", flush=True)


def human_review(author: str, moderator: str, word: str) -> None:
    story(1, "a new author's first article goes to a moderator, who approves it")
    article = write(author, f"Composting in a small flat ({word})",
                    "Kitchen scraps make up almost a third of household waste. A bokashi bucket under the sink "
                    "ferments them in two weeks, and a worm bin on the balcony turns the result into soil. "
                    f"Neither smells when it is looked after. Notes from a year of trying ({word}).", ["gardening"])
    submit(article)
    article.wait("moderation to ask for a human", lambda entries: "moderation.review_requested" in
                 [e["type"] for e in entries])
    item = wait_for(lambda: next(iter(ok("GET", f"{MODERATION}/api/queue/?{urllib.parse.urlencode({'q': article.id})}",
                                          token=moderator)["results"]), None), what="the item in the review queue")
    reasons = "; ".join(r.get("message") or r.get("code", "") for r in item["reasons"])
    say(f"GET {MODERATION}/api/queue/ → the item waits (score {item['score']}): {reasons}")
    ok("POST", f"{MODERATION}/api/queue/{item['id']}/claim/", token=moderator)
    say("POST /api/queue/<item>/claim/ → claimed by the moderator")
    ok("POST", f"{MODERATION}/api/queue/{item['id']}/approve/", token=moderator, body={"note": "Welcome aboard."})
    say("POST /api/queue/<item>/approve/ → approved")
    article.wait("the article live, indexed and its author told", live_and_told)
    searchable(word, article)
    ending(1, f"approved by a moderator, live at {article.data['url']} and searchable.", article)


def approved_at_once(author: str, word: str) -> Article:
    story(2, "a known author's article is approved by the rules, goes live and is found by search")
    article = write(author, f"Keeping basil alive on a windowsill ({word})",
                    "Supermarket basil is a dozen seedlings crammed into one pot. Split the clump into four, "
                    "give each a pot of its own, water from below and pinch the tops every week: the plants "
                    f"last all summer instead of a fortnight ({word}).", ["gardening", "kitchen"])
    submit(article)
    article.wait("the article live, indexed and its author told", live_and_told)
    searchable(word, article)
    ending(2, f"approved by the rules, live at {article.data['url']} and searchable.", article)
    return article


def rejected_then_revised(author: str, word: str) -> None:
    story(3, "an article is rejected with reasons, revised and approved")
    article = write(author, f"Saving on groceries ({word})",
                    "Claim your casino bonus and free spins today, then spend the winnings on groceries. "
                    "Sign up through the link in my profile, it only takes a minute.", ["money"])
    submit(article)
    article.wait("the rejection", lambda entries: "moderation.rejected" in [e["type"] for e in entries])
    article.wait("the article back with its author", lambda entries: article.status == "rejected")
    reasons = "; ".join(f"{r.get('code')}: {r.get('message')}" for r in article.data["reasons"])
    say(f"rejected with reasons: {reasons}")
    revised = ("Plan the week's meals on Sunday and shop once, with a list. Buy staples such as rice, oats and "
               "lentils in large bags, cook a double batch and freeze half, and keep a note of what gets thrown "
               f"away: it shows what not to buy next time ({word}).")
    article.data = ok("PATCH", f"{PUBLISHING}/api/articles/{article.id}/", token=article.token, body={
        "title": f"Saving on groceries without coupons ({word})", "summary": "Plan, batch-cook, buy staples in bulk.",
        "body": revised, "updated_at": article.data["updated_at"]})
    say(f"PATCH /api/articles/{article.id[:8]}…/ → revised: the promotion is gone")
    submit(article)
    article.wait("the revision live, indexed and its author told",
                 lambda entries: article.data["live_revision"] == article.data["revision"] and live_and_told(entries))
    ending(3, f"rejected with reasons ({reasons}), revised, approved and live at {article.data['url']}.", article)


def taken_down(author: str, moderator: str, word: str) -> None:
    story(4, "a live article is taken down by a moderator")
    article = write(author, f"A weekend walk through the Jura ({word})",
                    "From Saint-Cergue the path climbs through beech woods to the ridge, then follows it for "
                    "twenty kilometres of pasture, with the lake and the Alps on one side and France on the "
                    f"other. Two days, one night in a mountain hut ({word}).", ["travel"])
    submit(article)
    article.wait("the article live, indexed and its author told", live_and_told)

    def request() -> dict | None:
        status, body = call("POST", f"{MODERATION}/api/takedowns/", token=moderator, body={
            "article_id": article.id, "reason": "copyright", "note": "The photographs are someone else's."})
        if status == 404:  # moderation has not heard article.published yet
            return None
        if status >= 400:
            raise StepMissing(f"POST /api/takedowns/ answered {status}: {body}")
        return body

    wait_for(request, what="moderation to know the article is live")
    say(f"POST {MODERATION}/api/takedowns/ → takedown requested (copyright)")
    article.wait("the article offline, out of search and its author told",
                 lambda entries: "search.removed" in types_after(entries, "article.unpublished")
                 and any(t.startswith("notification.") for t in types_after(entries, "moderation.takedown")))
    not_searchable(word, article)
    ending(4, f"taken down by a moderator: the article is {article.status} and out of search.", article)


def services_up() -> None:
    for name, url in (("publishing", PUBLISHING), ("moderation", MODERATION), ("notifications", NOTIFICATIONS),
                      ("search_indexer", SEARCH)):
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                response.read()
        except (urllib.error.URLError, OSError) as exc:
            raise StepMissing(f"{name} does not answer at {url} ({exc}): is `make run` going?") from None


def main() -> int:
    # A made-up word per run: search finds this run's articles, not the last run's.
    run = "".join(random.choices(string.ascii_lowercase, k=8))
    print(f"make demo: run {run}, publishing {PUBLISHING}, moderation {MODERATION}, search {SEARCH}", flush=True)
    try:
        services_up()
        author, moderator = people(run)
        human_review(author, moderator, run)
        approved_at_once(author, run)
        rejected_then_revised(author, run)
        taken_down(author, moderator, run)
    except StepMissing as exc:
        print(f"\nmake demo stopped: {exc}", file=sys.stderr, flush=True)
        return 1
    print("\nAll four stories told.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
