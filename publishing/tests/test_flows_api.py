"""GET /api/flows/stuck/: editors only, each stuck step with its article and the last event seen."""
from __future__ import annotations

import pytest

from publishing.models import FlowStep
from publishing.services import article_submit
from publishing.tests.factories import ArticleFactory, indexed_raw, moderation_raw

pytestmark = pytest.mark.django_db

URL = "/api/flows/stuck/"


@pytest.fixture
def stuck_article(author, apply, settings):
    """Live, never indexed, with no time allowed for it: its `indexed` step is stuck at once."""
    settings.PUBLISHING_FLOWS = {**settings.PUBLISHING_FLOWS, "INDEXED_SECONDS": -1}
    article = article_submit(article=ArticleFactory(author=author, title="Bokashi bins"))
    apply(moderation_raw("moderation.approved", article))
    return article


def test_editors_see_each_stuck_step_with_its_article_and_last_event(stuck_article, as_user, editor) -> None:
    response = as_user(editor).get(URL)
    assert response.status_code == 200
    [item] = response.json()["results"]
    step = FlowStep.objects.get(step="indexed")
    assert item == {
        "article_id": str(stuck_article.pk), "title": "Bokashi bins", "revision": 1, "step": "indexed",
        "waiting_for": "search.indexed", "due_at": item["due_at"],
        "last_event": {"type": "article.published", "time": item["last_event"]["time"]},
    }
    assert item["due_at"].startswith(step.due_at.strftime("%Y-%m-%dT%H:%M:%S"))


def test_a_step_met_late_leaves_the_list(stuck_article, as_user, editor, apply) -> None:
    apply(indexed_raw(stuck_article))
    assert as_user(editor).get(URL).json()["results"] == []


@pytest.mark.parametrize(("query", "count"), [("?step=indexed", 1), ("?step=decision", 0), ("", 1)])
def test_filter_by_step(stuck_article, as_user, editor, query, count) -> None:
    assert as_user(editor).get(URL + query).json()["count"] == count


def test_an_unknown_step_is_a_400_with_the_field(stuck_article, as_user, editor) -> None:
    response = as_user(editor).get(URL + "?step=nope")
    assert response.status_code == 400 and "step" in response.json()


def test_authors_get_403_and_strangers_401(stuck_article, as_user, author, api) -> None:
    assert api.get(URL).status_code == 401
    assert as_user(author.user).get(URL).status_code == 403
