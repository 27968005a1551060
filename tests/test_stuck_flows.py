"""A flow whose indexing never happens shows up as stuck, across real OS processes: publishing (web, relay,
consumer, worker, beat), moderation and notifications run, search_indexer does not. The article shows up in
`GET /api/flows/stuck/` with its `indexed` step missing within FLOW_INDEXED_SECONDS and beat notes it on the
timeline; once search_indexer starts and catches up, the flow is no longer stuck.
"""
from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.conftest import moderator_approves, wait_for
from tests.conftest import request_json as _request

INDEXED_SECONDS = 3
PASSWORD = "correct-horse-42"


def _token(site: str, username: str) -> str:
    login = {"username": username, "password": PASSWORD}
    return _request(f"{site}/api/auth/token/", method="POST", data=login)[1]["token"]


@pytest.fixture
def quick_watch(platform) -> Iterator[dict]:
    """The platform with every process stopped (an earlier test's run without these settings) and
    publishing's flow watch made quick; the settings are put back for the tests after this one."""
    for service in platform.values():
        service.stop()
    publishing = platform["publishing"]
    saved = dict(publishing.env)
    publishing.env |= {"FLOW_INDEXED_SECONDS": str(INDEXED_SECONDS), "FLOW_SWEEP_SECONDS": "1"}
    yield platform
    for service in platform.values():
        service.stop()
    publishing.env = saved


def test_a_flow_never_indexed_is_listed_as_stuck_until_search_catches_up(quick_watch, tmp_path) -> None:
    platform = quick_watch
    publishing, moderation = platform["publishing"], platform["moderation"]
    notifications, search = platform["notifications"], platform["search_indexer"]
    site = publishing.run_all()
    publishing.start("celery", "-A", "config.celery", "beat", "--loglevel", "INFO",
                     "--schedule", str(tmp_path / "publishing-beat"))
    queue = moderation.run_all()
    notifications.run_all()

    # Names no other cross-service test uses: they share these databases for the session.
    publishing.manage("create_author", "iris", "--email", "iris@example.com", env={"AUTHOR_PASSWORD": PASSWORD})
    publishing.manage("createsuperuser", "--noinput", "--username", "watcher", "--email", "watcher@example.com",
                      env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD})
    moderation.manage("create_moderator", "otto", "--email", "otto@example.com", env={"MODERATOR_PASSWORD": PASSWORD})
    moderator = moderation.manage("create_api_token", "otto").split()[1]
    author, editor = _token(site, "iris"), _token(site, "watcher")

    _, article = _request(f"{site}/api/articles/", method="POST", token=author, data={
        "title": "Rain gardens for clay soil", "summary": "Where the water goes when it cannot sink in.",
        "body": "A shallow basin planted with natives slows the runoff from a roof. " * 5, "tags": ["gardening"]})
    _request(f"{site}/api/articles/{article['id']}/submit/", method="POST", token=author)
    moderator_approves(queue, token=moderator, article_id=article["id"])
    wait_for(lambda: _request(f"{site}/api/articles/{article['id']}/", token=author)[1]["status"] == "published",
             what="the article published")
    live_since = time.monotonic()

    def stuck() -> list[dict]:
        return [i for i in _request(f"{site}/api/flows/stuck/", token=editor)[1]["results"]
                if i["article_id"] == article["id"]]

    [missing] = wait_for(stuck, timeout=INDEXED_SECONDS + 5, what="the flow listed as stuck on indexing")
    assert time.monotonic() - live_since < INDEXED_SECONDS + 5
    assert (missing["step"], missing["title"], missing["revision"]) == ("indexed", "Rain gardens for clay soil", 1)
    assert missing["last_event"]["type"] in ("article.published", "notification.sent")
    wait_for(lambda: publishing.query("SELECT summary FROM publishing_timelineentry WHERE article_id = %s AND "
                                      "type = 'flow.stuck'", (article["id"],)),
             timeout=15, what="beat's stuck note on the timeline")
    # Moderation decided and the author was told: indexing is the only step missing.
    assert [i["step"] for i in stuck()] == ["indexed"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        _request(f"{site}/api/flows/stuck/", token=author)
    assert refused.value.code == 403

    search.run_all()
    wait_for(lambda: not stuck(), timeout=60, what="the flow no longer stuck once search_indexer caught up")
    assert publishing.query("SELECT met_by_type FROM publishing_flowstep WHERE article_id = %s AND step = 'indexed'",
                            (article["id"],)) == [("search.indexed",)]
