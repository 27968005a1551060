from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from moderation import api, views

urlpatterns = [
    path("", include("config.eventbus.health")),
    path("", include("config.metrics")),
    path("", RedirectView.as_view(url="/queue/"), name="home"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="moderation/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="/accounts/login/"), name="logout"),
    path("queue/", views.queue_page, name="queue"),
    path("queue/bulk-approve/", views.bulk_approve, name="queue-bulk-approve"),
    path("queue/takedown/", views.takedown, name="queue-takedown"),
    path("queue/<uuid:pk>/claim/", views.claim, name="queue-claim"),
    path("queue/<uuid:pk>/release/", views.release, name="queue-release"),
    path("queue/<uuid:pk>/approve/", views.approve, name="queue-approve"),
    path("queue/<uuid:pk>/reject/", views.reject, name="queue-reject"),
    path("api/queue/", api.QueueListApi.as_view(), name="api-queue"),
    path("api/queue/approve/", api.BulkApproveApi.as_view(), name="api-queue-bulk-approve"),
    path("api/queue/<uuid:pk>/claim/", api.CaseClaimApi.as_view(), name="api-queue-claim"),
    path("api/queue/<uuid:pk>/release/", api.CaseReleaseApi.as_view(), name="api-queue-release"),
    path("api/queue/<uuid:pk>/approve/", api.CaseApproveApi.as_view(), name="api-queue-approve"),
    path("api/queue/<uuid:pk>/reject/", api.CaseRejectApi.as_view(), name="api-queue-reject"),
    path("api/reasons/", api.ReasonCodeListApi.as_view(), name="api-reasons"),
    path("api/takedowns/", api.TakedownApi.as_view(), name="api-takedowns"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Served from the sidecar's static files; the split view loads its start-up script by URL (the CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

# A malformed id matches no route: under /api/ that is a JSON 404 too.
handler404 = "config.api.not_found"
