from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from search_indexer import api, views

urlpatterns = [
    path("", include("config.eventbus.health")),
    path("", views.search_page, name="search"),
    path("admin/", admin.site.urls),
    path("api/search/", api.SearchApi.as_view(), name="api-search"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]
