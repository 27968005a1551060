"""Reads of the publishing service."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from publishing.models import Article


def article_list_for(*, user: User) -> QuerySet[Article]:
    """Editors (staff) see every article; an author sees only their own."""
    articles = Article.objects.select_related("author__user")
    return articles if user.is_staff else articles.filter(author__user=user)
