from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from publishing import api, views

urlpatterns = [
    path("", include("config.eventbus.health")),
    path("", views.home, name="home"),
    path("articles/<slug:slug>/", views.article_page, name="article-page"),
    path("feed/", views.LatestArticlesFeed(), name="feed"),
    path("admin/", admin.site.urls),
    path("api/auth/token/", obtain_auth_token, name="api-token"),
    path("api/articles/", api.ArticleListCreateApi.as_view(), name="article-list"),
    path("api/articles/<uuid:pk>/", api.ArticleDetailApi.as_view(), name="article-detail"),
    path("api/articles/<uuid:pk>/submit/", api.ArticleSubmitApi.as_view(), name="article-submit"),
    path("api/articles/<uuid:pk>/withdraw/", api.ArticleWithdrawApi.as_view(), name="article-withdraw"),
    path("api/articles/<uuid:pk>/revisions/", api.ArticleRevisionsApi.as_view(), name="article-revisions"),
    path("api/articles/<uuid:pk>/timeline/", api.ArticleTimelineApi.as_view(), name="article-timeline"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]
