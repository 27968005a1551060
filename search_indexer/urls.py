from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from search_indexer import api, views

urlpatterns = [
    path("", include("config.eventbus.health")),
    path("", include("config.metrics")),
    path("", views.search_page, name="search"),
    path("admin/", admin.site.urls),
    path("api/search/", api.SearchApi.as_view(), name="api-search"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Served from the sidecar's static files; the split view loads its start-up script by URL (the CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

# A malformed id matches no route: under /api/ that is a JSON 404 too.
handler404 = "config.api.not_found"
