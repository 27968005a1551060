"""The public site for readers: only live revisions, as the sanitised HTML stored with each (no rendering here)."""
from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.feedgenerator import Atom1Feed

from publishing.models import Article, Revision, UnpublishReason
from publishing.selectors import article_live_revision, revisions_live

LATEST = 20
# Listings show titles, summaries and excerpts: 20 bodies (and working copies) of up to 200,000 characters
# each need not leave the database on every request.
LISTING_UNUSED = ("body", "body_html", "article__body")


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "publishing/home.html", {"revisions": revisions_live(limit=LATEST).defer(*LISTING_UNUSED)})


def article_page(request: HttpRequest, slug: str) -> HttpResponse:
    article = Article.objects.filter(slug=slug).select_related("author").first()
    if article is None:
        raise Http404("no such article")
    if not article.is_live:
        # A takedown is final and deliberate: 410 tells crawlers and readers it is gone for good.
        if article.unpublished_reason == UnpublishReason.TAKEDOWN:
            return render(request, "publishing/gone.html", status=410)
        raise Http404("this article is not live")
    revision = article_live_revision(article=article)
    context = {"article": article, "revision": revision}
    return render(request, "publishing/article.html", context)


class LatestArticlesFeed(Feed):
    feed_type = Atom1Feed
    title = "Latest articles"
    link = "/"
    subtitle = "What went live most recently."

    item_guid_is_permalink = False

    def items(self) -> list[Revision]:
        return list(revisions_live(limit=LATEST).defer(*LISTING_UNUSED))

    def item_title(self, item: Revision) -> str:
        return item.title

    def item_description(self, item: Revision) -> str:
        return item.excerpt_html

    def item_link(self, item: Revision) -> str:
        return item.article.url

    def item_guid(self, item: Revision) -> str:
        return f"urn:uuid:{item.article_id}"

    def item_author_name(self, item: Revision) -> str:
        return item.article.author.display_name

    def item_pubdate(self, item: Revision):
        return item.article.published_at

    def item_updateddate(self, item: Revision):
        return item.article.published_at

    def item_categories(self, item: Revision) -> list[str]:
        return item.tags
