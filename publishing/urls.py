from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from publishing import api

urlpatterns = [
    path("", include("config.eventbus.health")),
    path("admin/", admin.site.urls),
    path("api/auth/token/", obtain_auth_token, name="api-token"),
    path("api/articles/", api.ArticleListCreateApi.as_view(), name="article-list"),
    path("api/articles/<uuid:pk>/", api.ArticleDetailApi.as_view(), name="article-detail"),
    path("api/articles/<uuid:pk>/submit/", api.ArticleSubmitApi.as_view(), name="article-submit"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]
