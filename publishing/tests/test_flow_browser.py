"""In a real browser: the article's admin page draws its flow (an inline SVG, under the CSP, with no script).

docs/flow-view.png is this page: `FLOW_VIEW_SCREENSHOT=docs/flow-view.png` when running this test writes it.
Uses Playwright with Debian's chromium, as moderation's browser test does; skipped where either is missing.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from django.db import connections

from publishing.models import Article
from publishing.services.flows import STUCK
from publishing.tests.factories import UserFactory, article_in, timeline_entry

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or shutil.which("chromium-browser") or "")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),  # the live server needs committed data
]


@pytest.fixture
def browser():
    # Django refuses ORM calls from a thread with a running event loop; Playwright's sync API runs one.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()
        connections.close_all()  # the ones Django opened in Playwright's greenlet
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def story() -> Article:
    """A new author's first article: reviewed by a human, live, indexed late (by a replay, after the flow was
    flagged stuck), the author told, the webhook failed and resent."""
    article = article_in("published", title="Composting in a small flat")
    article.correlation_id = str(uuid.uuid4())
    article.save()
    mia = {"kind": "moderator", "id": str(uuid.uuid4()), "name": "Mia Moderator"}
    submitted = timeline_entry(article, "article.submitted", title=article.title)
    review = timeline_entry(article, "moderation.review_requested", cause=submitted, at=0.31,
                            summary="A moderator reviews the first articles of every new author. (score 0)")
    timeline_entry(article, "notification.sent", cause=review, at=1.2, summary="email to m***@example.com",
                   notification_id=str(uuid.uuid4()), channel="email", revision=None)
    approved = timeline_entry(article, "moderation.approved", cause=submitted, at=184.6,
                              summary="by Mia Moderator: Welcome aboard. (score 0)", decided_by=mia)
    published = timeline_entry(article, "article.published", cause=approved, at=185.1,
                               summary=f"/articles/{article.slug}/", url=f"/articles/{article.slug}/")
    timeline_entry(article, "search.indexed", cause=published, at=185.4, arrived_after=642)
    # Beat flagged the missing search.indexed before the replay brought it in.
    timeline_entry(article, STUCK, cause=published, at=251.0, step="indexed",
                   summary="stuck: indexed overdue since 00:04:05, waiting for search.indexed")
    timeline_entry(article, "notification.sent", cause=published, at=186.0, summary="email to d***@example.com",
                   notification_id=str(uuid.uuid4()), channel="email", revision=None)
    webhook = str(uuid.uuid4())
    timeline_entry(article, "notification.failed", cause=published, at=1210,
                   summary="webhook to h***.example.org ConnectTimeout: timed out after 10 s",
                   notification_id=webhook, channel="webhook", revision=None)
    timeline_entry(article, "notification.sent", cause=published, at=4830, summary="webhook to h***.example.org",
                   notification_id=webhook, channel="webhook", revision=None)
    return article


def test_the_admin_page_draws_the_flow_in_a_browser(live_server, browser, story) -> None:
    editor = UserFactory(username="eddie", is_staff=True, is_superuser=True)
    page = browser.new_page(viewport={"width": 1700, "height": 1100})
    page.set_default_timeout(15_000)
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)

    page.goto(f"{live_server.url}/admin/login/?next=/admin/publishing/article/{story.pk}/change/")
    page.fill("#id_username", editor.username)
    page.fill("#id_password", "correct-horse-42")
    page.click("input[type=submit]")
    page.wait_for_url(f"**/admin/publishing/article/{story.pk}/change/")

    flow = page.locator("#flow-view svg")
    sync_api.expect(flow).to_be_visible()
    sync_api.expect(flow).to_contain_text("moderation.approved")
    sync_api.expect(flow).to_contain_text("repeat 2")
    box = flow.bounding_box()
    assert box and box["width"] > 1000 and box["height"] > 500  # drawn at its size, not squeezed
    assert [text for text in refused if "Content Security Policy" in text] == []

    shot = os.environ.get("FLOW_VIEW_SCREENSHOT")
    if shot:
        page.locator("#flow-view").screenshot(path=str(Path(shot).resolve()))
