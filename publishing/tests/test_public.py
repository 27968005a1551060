"""The readers' site: live revisions only, sanitised, with an Atom feed."""
from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from publishing import rendering
from publishing.models import Article
from publishing.rendering import markdown_render
from publishing.services import article_submit, article_take_down, article_update, article_withdraw
from publishing.tests.factories import article_in

pytestmark = pytest.mark.django_db


def test_home_lists_live_articles_only(client) -> None:
    live, draft = article_in("published", title="Live one"), article_in("draft", title="Secret draft")
    page = client.get("/").content.decode()
    assert live.title in page and draft.title not in page


def test_the_site_shows_the_live_revision_not_later_edits(client) -> None:
    article = article_in("published", title="Approved title", body="What was approved.")
    article = article_update(article=article, based_on=article.updated_at, title="Draft title", body="Unreviewed edit.")
    article_submit(article=article)
    page = client.get(f"/articles/{article.slug}/").content.decode()
    assert "What was approved." in page and "Unreviewed edit." not in page
    for listing in (client.get("/").content.decode(), client.get("/feed/").content.decode()):
        assert "Approved title" in listing and "Draft title" not in listing


def test_an_article_that_is_not_live_is_404(client) -> None:
    article = article_in("published")
    article_withdraw(article=article)
    assert client.get(f"/articles/{article.slug}/").status_code == 404
    assert client.get("/articles/no-such-thing/").status_code == 404


def test_a_taken_down_article_is_410(client) -> None:
    article = article_in("published")
    article_take_down(article_id=article.pk, revision=1, reason={"code": "legal", "message": "Court order."})
    assert client.get(f"/articles/{article.slug}/").status_code == 410


def test_sanitising_removes_scripts_handlers_and_javascript_links(client) -> None:
    body = ('# Hi\n\n<script>alert(1)</script>\n\n[click](javascript:alert(2)) '
            '<a href="javascript:alert(3)">x</a> <img src="/a.png" onerror="alert(4)"> [ok](https://example.com)')
    article = article_in("published", body=body)
    page = client.get(f"/articles/{article.slug}/").content.decode()
    assert "<h1>Hi</h1>" in page and 'href="https://example.com"' in page
    for bad in ("<script>alert", "javascript:", "onerror"):
        assert bad not in page


@pytest.mark.parametrize(("markdown", "html"), [
    ("*em*", "<p><em>em</em></p>"),
    ("```\ncode\n```", "<pre><code>code\n</code></pre>"),
    ('<p onclick="x()">p</p>', "<p>p</p>"),
])
def test_markdown_render(markdown: str, html: str) -> None:
    assert markdown_render(markdown) == html


def test_atom_feed(client) -> None:
    article = article_in("published", title="Feed me")
    response = client.get("/feed/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    assert "Feed me" in response.content.decode() and f"urn:uuid:{article.pk}" in response.content.decode()
    assert Article.objects.count() == 1


def _refuse(*args, **kwargs):
    raise AssertionError("Markdown rendered on a request")


def test_readers_pages_serve_the_stored_html_and_never_render_markdown(client, monkeypatch) -> None:
    article = article_in("published", title="Stored", summary="", body="# Heading\n\nSome *stored* words.")
    article_in("published", title="Summarised", summary="The **gist**.")
    # Rendering Markdown fails from now on, through our functions or the library's.
    for owner, name in [(rendering, "markdown_render"), (rendering, "revision_html"), (MarkdownIt, "parse"),
                        (MarkdownIt, "render")]:
        monkeypatch.setattr(owner, name, _refuse)
    page = client.get(f"/articles/{article.slug}/")
    assert page.status_code == 200
    assert "<h1>Heading</h1>\n<p>Some <em>stored</em> words.</p>" in page.content.decode()
    feed = client.get("/feed/")
    assert feed.status_code == 200
    # The feed's entries: the summary when there is one, else the start of the body; escaped inside the XML.
    assert "The &lt;strong&gt;gist&lt;/strong&gt;." in feed.content.decode()
    assert "Some &lt;em&gt;stored&lt;/em&gt; words." in feed.content.decode()
    assert client.get("/").status_code == 200
