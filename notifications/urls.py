from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("config.eventbus.health")),
    path("", include("config.metrics")),
    path("admin/", admin.site.urls),
]
