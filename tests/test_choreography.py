"""One article through the whole choreography, every service as real OS processes, nothing shared
but RabbitMQ: submit (publishing) → review requested (moderation) → a moderator approves →
published (publishing) → indexed (search_indexer) and the author told (notifications) → the
article's timeline in publishing shows all of it, from all four exchanges, under one correlation id.
"""
from __future__ import annotations

import urllib.parse
import urllib.request

from tests.conftest import moderator_approves, wait_for
from tests.conftest import request_json as _request


def test_an_article_goes_through_every_service_and_its_timeline_shows_it(platform) -> None:
    publishing, moderation = platform["publishing"], platform["moderation"]
    notifications, search = platform["notifications"], platform["search_indexer"]
    site = publishing.run_all()
    queue = moderation.run_all()
    notifications.run_all()
    search_site = search.run_all()

    publishing.manage("create_author", "grace", "--email", "grace@example.com", env={"AUTHOR_PASSWORD": "correct-horse-42"})
    moderation.manage("create_moderator", "mia", "--email", "mia@example.com", env={"MODERATOR_PASSWORD": "correct-horse-42"})
    mia = moderation.manage("create_api_token", "mia").split()[1]
    _, token = _request(f"{site}/api/auth/token/", method="POST",
                        data={"username": "grace", "password": "correct-horse-42"})
    author = token["token"]

    _, article = _request(f"{site}/api/articles/", method="POST", token=author, data={
        "title": "Composting in small apartments",
        "summary": "Bokashi and worm bins when you have no garden.",
        "body": "Kitchen scraps make up almost a third of household waste. " * 5,
        "tags": ["gardening"]})
    _request(f"{site}/api/articles/{article['id']}/submit/", method="POST", token=author)

    # A brand-new author's first submission goes to a human.
    moderator_approves(queue, token=mia, article_id=article["id"])

    def published() -> dict | None:
        current = _request(f"{site}/api/articles/{article['id']}/", token=author)[1]
        return current if current["status"] == "published" else None

    live = wait_for(published, what="the article published")
    found = wait_for(lambda: _request(f"{search_site}/api/search/?q={urllib.parse.quote('bokashi')}")[1]["count"],
                     what="the article searchable")
    assert found == 1

    def timeline() -> list[dict]:
        status, body = _request(f"{site}/api/articles/{article['id']}/timeline/", token=author)
        return body["results"] if isinstance(body, dict) else body

    wanted = {"article.submitted", "moderation.review_requested", "moderation.approved", "article.published",
              "search.indexed", "notification.sent"}
    def complete_timeline() -> list[dict] | None:
        entries = timeline()
        return entries if wanted <= {e["type"] for e in entries} else None

    entries = wait_for(complete_timeline, timeout=60, what=f"the timeline to hold {sorted(wanted)}")
    assert {e["service"] for e in entries} >= {"publishing", "moderation", "search_indexer", "notifications"}
    # The author's view hides the flow's ids (publishing.author_timeline); the editors' timeline keeps them.
    assert "correlation_id" not in entries[0]
    flows = publishing.query("SELECT DISTINCT correlation_id FROM publishing_timelineentry "
                             "WHERE article_id = %s AND type = ANY(%s)", (article["id"], sorted(wanted)))
    assert len(flows) == 1
    order = [e["type"] for e in entries]
    assert order.index("article.submitted") < order.index("moderation.review_requested") < \
        order.index("moderation.approved") < order.index("article.published")
    assert live["live_revision"] == 1
