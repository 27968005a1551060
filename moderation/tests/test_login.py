"""Moderators' logins: the lock-out of the login page and the admin, passwords, API tokens."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from knox.models import AuthToken

from moderation.tests.factories import ModeratorFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42"
LIMIT = 3


@pytest.fixture(autouse=True)
def _lockout(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _login(client, username: str, password: str = PASSWORD, *, ip: str = "10.0.0.1", path: str = "/accounts/login/"):
    return client.post(path, {"username": username, "password": password, "next": "/queue/"}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_a_login_locks_out_one_account_from_one_address(client, moderator, path) -> None:
    moderator.is_staff = True
    moderator.save()
    codes = [_login(client, moderator.username, "wrong", path=path).status_code for _ in range(LIMIT)]
    assert codes == [200] * (LIMIT - 1) + [429]
    locked = _login(client, moderator.username, path=path)
    assert locked.status_code == 429 and b"Too many login attempts" in locked.content
    assert int(locked["Retry-After"]) == 15 * 60
    # The same account from elsewhere, and another account behind the same address, still log in.
    assert _login(client, moderator.username, ip="10.0.0.2", path=path).status_code == 302
    client.logout()
    other = ModeratorFactory(is_staff=True)
    assert _login(client, other.username, path=path).status_code == 302


def test_the_cool_off_lets_the_moderator_back_in(client, moderator, settings) -> None:
    for _ in range(LIMIT):
        _login(client, moderator.username, "wrong")
    assert _login(client, moderator.username).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    response = _login(client, moderator.username)
    assert response.status_code == 302 and response["Location"] == "/queue/"


def test_a_login_with_a_nul_in_another_field_is_no_500(client, moderator) -> None:
    response = client.post("/accounts/login/", {"username": moderator.username, "password": "wrong", "x": "a\x00b"})
    assert response.status_code == 200


def _create_moderator(*args: str) -> None:
    call_command("create_moderator", "miaolsen", "--email", "mia@example.com", *args, stdout=io.StringIO())


def test_create_moderator_reads_a_named_environment_variable(monkeypatch) -> None:
    monkeypatch.delenv("MODERATOR_PASSWORD", raising=False)
    monkeypatch.setenv("MIA_SECRET", PASSWORD)
    _create_moderator("--password-env", "MIA_SECRET")
    assert User.objects.get(username="miaolsen").check_password(PASSWORD)


def test_create_moderator_asks_twice_at_a_terminal(monkeypatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    replies = iter([PASSWORD, PASSWORD])
    monkeypatch.delenv("MODERATOR_PASSWORD", raising=False)
    monkeypatch.setattr("config.passwords.sys.stdin", Terminal())
    monkeypatch.setattr("config.passwords.getpass.getpass", lambda prompt="": next(replies))
    _create_moderator()
    assert User.objects.get(username="miaolsen").check_password(PASSWORD)


def test_create_moderator_without_a_password_or_a_terminal_says_how(monkeypatch) -> None:
    monkeypatch.delenv("MODERATOR_PASSWORD", raising=False)
    monkeypatch.setattr("config.passwords.sys.stdin", io.StringIO())
    with pytest.raises(CommandError, match="MODERATOR_PASSWORD"):
        _create_moderator()


@pytest.mark.parametrize("password", ["horse42", "password123", "4815162342", "miaolsen1"])
def test_create_moderator_refuses_a_weak_password(monkeypatch, password) -> None:
    monkeypatch.setenv("MODERATOR_PASSWORD", password)
    with pytest.raises(CommandError, match="password refused"):
        _create_moderator()
    assert not User.objects.filter(username="miaolsen").exists()


def test_create_moderator_takes_no_password_argument(monkeypatch) -> None:
    monkeypatch.setenv("MODERATOR_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="unrecognized arguments"):
        _create_moderator("--password", PASSWORD)
    assert not User.objects.filter(username="miaolsen").exists()


def test_the_admin_refuses_a_weak_password_for_a_new_user(client) -> None:
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", PASSWORD))
    response = client.post("/admin/auth/user/add/", {"username": "miaolsen", "usable_password": "true",
                                                      "password1": "password123", "password2": "password123"})
    assert response.status_code == 200 and "password2" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="miaolsen").exists()


def test_create_api_token_issues_an_expiring_token_for_the_queue_api(client, moderator) -> None:
    out = io.StringIO()
    call_command("create_api_token", moderator.username, stdout=out)
    word, token, _, expires = out.getvalue().split()
    assert word == "token" and AuthToken.objects.get(user=moderator).expiry.isoformat() == expires
    assert client.get("/api/queue/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/queue/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_create_api_token_deletes_the_users_expired_tokens(moderator) -> None:
    expired, _ = AuthToken.objects.create(user=moderator, expiry=timedelta(seconds=-1))
    kept, _ = AuthToken.objects.create(user=moderator)
    call_command("create_api_token", moderator.username, stdout=io.StringIO())
    left = set(AuthToken.objects.filter(user=moderator).values_list("pk", flat=True))
    assert expired.pk not in left and kept.pk in left and len(left) == 2


def test_create_api_token_refuses_an_unknown_user() -> None:
    with pytest.raises(CommandError, match="no active user"):
        call_command("create_api_token", "nobody", stdout=io.StringIO())
