"""In a real browser: a moderator logs in, claims an item, rejects it with a reason, and sees it leave the queue.

Uses Playwright with Debian's chromium (`apt-get install chromium`; pip package `playwright`, no browser
download); skipped where either is missing.
"""
from __future__ import annotations

import os
import shutil

import pytest
from django.db import connections

from moderation.models import CaseStatus
from moderation.tests.factories import CaseFactory, ModeratorFactory

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or shutil.which("chromium-browser") or "")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed"),
    # A live server needs committed data; serialized_rollback puts the default rules back afterwards.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser():
    # Django refuses ORM calls from a thread with a running event loop; Playwright's sync API runs one.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()
        # Inside Playwright the test body runs in a greenlet with its own context, so Django opened
        # connections there that pytest-django does not know about: close them, or the test database
        # cannot be dropped.
        connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_a_moderator_claims_and_rejects_an_item(live_server, browser) -> None:
    moderator = ModeratorFactory(username="mia")
    case = CaseFactory(title="Cheap watches for everyone")
    keep = CaseFactory(title="Composting in small flats")
    page = browser.new_page()
    page.set_default_timeout(15_000)

    page.goto(f"{live_server.url}/queue/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", moderator.username)
    page.fill("#id_password", "correct-horse-42")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/queue/")

    item = page.locator(f"article[data-case='{case.pk}']")
    sync_api.expect(item).to_contain_text("Cheap watches for everyone")
    item.get_by_role("button", name="Claim").click()
    sync_api.expect(page.locator(".messages")).to_contain_text("Claimed.")
    sync_api.expect(item).to_contain_text("claimed by mia")

    item.locator("select[name=reasons]").select_option("spam")
    item.get_by_label("rejection note").fill("Advertising is not an article.")
    item.get_by_role("button", name="Reject").click()

    sync_api.expect(page.locator(".messages")).to_contain_text("Rejected.")
    sync_api.expect(page.locator(f"article[data-case='{case.pk}']")).to_have_count(0)
    sync_api.expect(page.locator(f"article[data-case='{keep.pk}']")).to_have_count(1)
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED
