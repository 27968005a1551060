"""Test helpers every service's tests share (imported only by tests)."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(predicate: Callable[[], Any], *, timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll until predicate() is truthy and return its value; fail naming `what` at the deadline.

    Tests that wait on other processes use this instead of fixed sleeps.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def assert_healthy(client: Any, service: str) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"service": service, "status": "ok", "database": "ok", "broker": "ok"}


def assert_admin_needs_staff(client: Any) -> None:
    from django.contrib.auth.models import User

    assert client.get("/admin/").status_code == 302
    client.force_login(User.objects.create_user("someone", "someone@example.com", "correct-horse-42"))
    assert client.get("/admin/").status_code == 302
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "correct-horse-42"))
    assert client.get("/admin/").status_code == 200
