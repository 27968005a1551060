"""publishing serves its API docs itself: Swagger UI and Redoc from its own static files, no CDN, and they
work under the services' Content-Security-Policy (the settings every service shares)."""
from __future__ import annotations

import os
import shutil

import pytest
from django.db import connections

from config.testing import assert_api_docs_self_hosted

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or shutil.which("chromium-browser") or "")


@pytest.mark.django_db
def test_swagger_ui_and_redoc_load_only_the_services_own_files(client) -> None:
    assert_api_docs_self_hosted(client)


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM:
        pytest.skip("Debian's chromium is not installed")
    # Django refuses ORM calls from a thread with a running event loop; Playwright's sync API runs one.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()
        connections.close_all()  # opened in Playwright's greenlet, unknown to pytest-django
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("path", "rendered"), [("/api/docs/", ".opblock"), ("/api/redoc/", "li[data-item-id]")])
def test_the_docs_render_in_a_browser_under_the_csp(live_server, browser, path, rendered) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda message: "Content Security Policy" in message.text and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{live_server.url}{path}")
    expect(page.locator(rendered).first).to_be_visible(timeout=15_000)
    assert page.locator(rendered).count() > 3, "the operations of the schema are listed"
    # Redoc's footer shows a logo from cdn.redoc.ly: the CSP blocks it, and Redoc then leaves it out.
    assert [p for p in problems if "https://cdn.redoc.ly/redoc/logo-mini.svg" not in p] == []
