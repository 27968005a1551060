"""`GET /healthz`: 200 when the service reaches its database and its broker, 503 otherwise."""
from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET

from config.eventbus.broker import broker_connect


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure is "down", reported with its reason
        return f"down: {type(exc).__name__}"
    return "ok"


def _broker_status() -> str:
    try:
        broker_connect(settings.EVENTBUS["BROKER_URL"], name=f"{settings.EVENTBUS['SERVICE']}.healthz", heartbeat=0).close()
    except Exception as exc:  # noqa: BLE001
        return f"down: {type(exc).__name__}"
    return "ok"


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_status(), "broker": _broker_status()}
    healthy = all(status == "ok" for status in checks.values())
    return JsonResponse(
        {"service": settings.EVENTBUS["SERVICE"], "status": "ok" if healthy else "down", **checks},
        status=200 if healthy else 503,
    )


urlpatterns = [path("healthz", healthz, name="healthz")]
