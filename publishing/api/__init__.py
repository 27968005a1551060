"""The authors' REST API."""
from __future__ import annotations

from publishing.api.flow import ArticleTimelineSvgApi
from publishing.api.views import (
    ArticleDetailApi,
    ArticleListCreateApi,
    ArticleRevisionsApi,
    ArticleSubmitApi,
    ArticleTimelineApi,
    ArticleWithdrawApi,
)

__all__ = [
    "ArticleDetailApi", "ArticleListCreateApi", "ArticleRevisionsApi", "ArticleSubmitApi", "ArticleTimelineApi",
    "ArticleTimelineSvgApi", "ArticleWithdrawApi",
]
