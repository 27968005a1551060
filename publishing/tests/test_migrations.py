"""Data migrations, tested through their functions on today's models."""
from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from publishing.models import Revision
from publishing.rendering import markdown_render
from publishing.tests.factories import article_in

pytestmark = pytest.mark.django_db

html_fill = importlib.import_module("publishing.migrations.0005_revision_html_fill")


def test_revisions_submitted_before_stored_html_get_it(monkeypatch) -> None:
    monkeypatch.setattr(html_fill, "BATCH", 2)  # five revisions: two full batches and a short one
    articles = [article_in("published", summary="", body=f"# Number {n}\n\n*Body* {n}.") for n in range(4)]
    articles.append(article_in("draft", summary="A **summary**.", body="Body."))
    Revision.objects.update(body_html="", excerpt_html="")  # as 0004 left them

    html_fill.revisions_render(apps, None)

    for article in articles:
        revision = article.revisions.get()
        assert revision.body_html == markdown_render(article.body) != ""
        assert revision.excerpt_html == markdown_render(article.summary or article.body)
    assert articles[0].revisions.get().body_html == "<h1>Number 0</h1>\n<p><em>Body</em> 0.</p>"
    assert articles[-1].revisions.get().excerpt_html == "<p>A <strong>summary</strong>.</p>"


def test_going_back_over_the_fill_changes_nothing() -> None:
    (operation,) = html_fill.Migration.operations
    assert operation.reversible and operation.reverse_code.__name__ == "noop"
