"""notifications answers /healthz and keeps its admin for staff."""
from __future__ import annotations

import pytest

from config.testing import assert_admin_needs_staff, assert_healthy

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client) -> None:
    assert_healthy(client, "notifications")


def test_admin_needs_staff(client) -> None:
    assert_admin_needs_staff(client)
