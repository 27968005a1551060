"""Submitting freezes a revision and writes article.submitted to the outbox in the same transaction."""
from __future__ import annotations

import json

import pytest

from config.eventbus.models import OutboxMessage
from publishing.models import ArticleStatus
from publishing.rendering import LINK_REL
from publishing.services import NothingToSubmit, TransitionNotAllowed, article_submit, article_update, author_create
from publishing.tests.factories import ArticleFactory, article_in

pytestmark = pytest.mark.django_db


def test_author_create_emits_author_registered() -> None:
    author = author_create(username="ada", email="ada@example.com", password="correct-horse-42", display_name="Ada")
    row = OutboxMessage.objects.get(event_type="author.registered")
    assert json.loads(row.body)["data"]["author_id"] == str(author.pk)
    assert author.user.groups.filter(name="authors").exists()


def test_submit_freezes_a_revision_and_emits_article_submitted(article) -> None:
    submitted = article_submit(article=article)
    assert submitted.status == ArticleStatus.SUBMITTED and submitted.revision == 1
    event = json.loads(OutboxMessage.objects.get(event_type="article.submitted").body)
    assert event["subject"] == f"article/{article.pk}"
    assert event["data"]["revision"] == 1 and event["data"]["title"] == article.title
    assert event["data"]["author"]["id"] == str(article.author.pk)
    article.title = "Changed later"
    article.save()
    assert submitted.revisions.get(number=1).title != "Changed later"


def test_submit_stores_the_revisions_html_rendered_once(author) -> None:
    article = ArticleFactory(author=author, summary="", body="## Part\n\n<script>x()</script>\n\n*Words* [a](javascript:x)")
    revision = article_submit(article=article).revisions.get(number=1)
    assert revision.body_html == f'<h2>Part</h2>\n\n<p><em>Words</em> <a rel="{LINK_REL}">a</a></p>'
    assert revision.excerpt_html == revision.body_html
    assert "body_html" not in json.loads(OutboxMessage.objects.get(event_type="article.submitted").body)["data"]


def test_a_submitted_article_cannot_be_submitted_again(article) -> None:
    article_submit(article=article)
    with pytest.raises(TransitionNotAllowed, match="submitted cannot be submitted"):
        article_submit(article=article)
    assert OutboxMessage.objects.filter(event_type="article.submitted").count() == 1


def test_the_live_content_again_is_nothing_to_submit() -> None:
    article = article_in("published", tags=["a", "b"])
    article = article_update(article=article, based_on=article.updated_at, body="Changed.")
    article = article_update(article=article, based_on=article.updated_at, body=article.revisions.get().body)
    with pytest.raises(NothingToSubmit, match="revision 1 is live"):
        article_submit(article=article)
    assert not OutboxMessage.objects.exists() and article.revisions.count() == 1
    # The same words in another tag order are another revision: tags are shown in the author's order.
    article = article_update(article=article, based_on=article.updated_at, tags=["b", "a"])
    assert article_submit(article=article).revision == 2


def test_author_update_emits_author_updated_only_on_a_change(author) -> None:
    from publishing.services import author_update

    author_update(author=author, display_name=author.display_name)
    assert not OutboxMessage.objects.filter(event_type="author.updated").exists()
    author_update(author=author, email="new@example.com", preferences={"email": False})
    data = json.loads(OutboxMessage.objects.get(event_type="author.updated").body)["data"]
    assert data["email"] == "new@example.com" and data["preferences"] == {"email": False}


def test_snapshot_command(capsys) -> None:
    from django.core.management import call_command

    from publishing.tests.factories import article_in

    article_in("published")
    call_command("snapshot_articles")
    assert "1 article.snapshot" in capsys.readouterr().out
    [row] = OutboxMessage.objects.filter(event_type="article.snapshot")
    # By hand, without a rebuild to answer, no count: the indexer falls back to waiting for quiet.
    assert not {"rebuild_id", "rebuild_total"} & set(json.loads(row.body)["data"])


def test_snapshot_command_answering_a_rebuild(capsys) -> None:
    import uuid

    from django.core.management import call_command

    from publishing.tests.factories import article_in

    article_in("published"), article_in("published"), article_in("draft")
    rebuild_id = str(uuid.uuid4())
    call_command("snapshot_articles", "--rebuild-id", rebuild_id)
    assert "2 article.snapshot" in capsys.readouterr().out
    data = [json.loads(row.body)["data"] for row in OutboxMessage.objects.filter(event_type="article.snapshot")]
    assert [(d["rebuild_id"], d["rebuild_total"]) for d in data] == [(rebuild_id, 2)] * 2


def test_a_revision_cannot_be_changed(article) -> None:
    revision = article_submit(article=article).revisions.get(number=1)
    revision.body = "rewritten history"
    with pytest.raises(ValueError, match="immutable"):
        revision.save()
