"""moderation answers /healthz and keeps its admin for staff."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"service": "moderation", "status": "ok", "database": "ok", "broker": "ok"}


def test_admin_needs_staff(client) -> None:
    assert client.get("/admin/").status_code == 302
    client.force_login(User.objects.create_user("someone", "someone@example.com", "correct-horse-42"))
    assert client.get("/admin/").status_code == 302
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "correct-horse-42"))
    assert client.get("/admin/").status_code == 200
