"""The admin login locks out one account from one client address after repeated failures."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42"


def test_the_admin_login_locks_out_one_account_from_one_address(client, settings) -> None:
    settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME = 3, timedelta(minutes=15)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff = User.objects.create_user("ops", password=PASSWORD, is_staff=True)
    other = User.objects.create_user("ops2", password=PASSWORD, is_staff=True)

    def login(user: User, password: str = PASSWORD, ip: str = "10.0.0.1"):
        return client.post("/admin/login/?next=/admin/", {"username": user.username, "password": password},
                           REMOTE_ADDR=ip)

    assert [login(staff, "wrong").status_code for _ in range(3)] == [200, 200, 429]
    locked = login(staff)
    assert locked.status_code == 429 and b"Too many login attempts" in locked.content
    assert login(staff, ip="10.0.0.2").status_code == 302
    client.logout()
    assert login(other).status_code == 302
