from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from publishing import api, views
from publishing.api.auth import TokenLoginApi, TokenLogoutApi
from publishing.api.flows import StuckFlowsApi

urlpatterns = [
    path("", include("config.eventbus.health")),
    path("", include("config.metrics")),
    path("", views.home, name="home"),
    path("articles/<slug:slug>/", views.article_page, name="article-page"),
    path("feed/", views.LatestArticlesFeed(), name="feed"),
    path("admin/", admin.site.urls),
    path("api/auth/token/", TokenLoginApi.as_view(), name="api-token"),
    path("api/auth/logout/", TokenLogoutApi.as_view(), name="api-logout"),
    path("api/articles/", api.ArticleListCreateApi.as_view(), name="article-list"),
    path("api/articles/<uuid:pk>/", api.ArticleDetailApi.as_view(), name="article-detail"),
    path("api/articles/<uuid:pk>/submit/", api.ArticleSubmitApi.as_view(), name="article-submit"),
    path("api/articles/<uuid:pk>/withdraw/", api.ArticleWithdrawApi.as_view(), name="article-withdraw"),
    path("api/articles/<uuid:pk>/revisions/", api.ArticleRevisionsApi.as_view(), name="article-revisions"),
    path("api/articles/<uuid:pk>/timeline/", api.ArticleTimelineApi.as_view(), name="article-timeline"),
    path("api/articles/<uuid:pk>/timeline.svg", api.ArticleTimelineSvgApi.as_view(), name="article-timeline-svg"),
    path("api/flows/stuck/", StuckFlowsApi.as_view(), name="flows-stuck"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Served from the sidecar's static files; the split view loads its start-up script by URL (the CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

# A malformed id matches no route: under /api/ that is a JSON 404 too.
handler404 = "config.api.not_found"
