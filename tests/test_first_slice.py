"""The first slice across processes: an author submits through publishing's API; moderation records it.

Publishing's web server and relay and moderation's consumer run as separate OS processes on the
real broker and databases; nothing is shared but RabbitMQ.
"""
from __future__ import annotations

import json
import urllib.request

from tests.conftest import wait_for


def _call(url: str, *, data: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(data or {}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_a_submitted_article_reaches_moderation_over_the_bus(platform) -> None:
    publishing, moderation = platform["publishing"], platform["moderation"]
    publishing.manage("create_author", "ada", "--email", "ada@example.com", env={"AUTHOR_PASSWORD": "correct-horse-42"})
    site = publishing.web()
    publishing.start("relay")
    moderation.start("consume")

    _, token = _call(f"{site}/api/auth/token/", data={"username": "ada", "password": "correct-horse-42"})
    status, article = _call(f"{site}/api/articles/", token=token["token"],
                            data={"title": "On choreography", "body": "No *orchestrator*.", "tags": ["design"]})
    assert status == 201 and article["status"] == "draft"
    status, submitted = _call(f"{site}/api/articles/{article['id']}/submit/", token=token["token"])
    assert status == 200 and submitted["status"] == "submitted" and submitted["revision"] == 1

    [case] = wait_for(lambda: moderation.query(
        "SELECT title, revision, body, correlation_id::text FROM moderation_case WHERE article_id = %s",
        (article["id"],)), what="moderation's case")
    assert case[:3] == ("On choreography", 1, "No *orchestrator*.")
    [(event_id, correlation)] = publishing.query(
        "SELECT event_id::text, correlation_id::text FROM eventbus_outboxmessage "
        "WHERE event_type = 'article.submitted' AND subject = %s", (f"article/{article['id']}",))
    assert case[3] == correlation
    assert moderation.query("SELECT event_type FROM eventbus_inboxmessage WHERE event_id = %s", (event_id,)) == [
        ("article.submitted",)]
