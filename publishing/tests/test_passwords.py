"""Every place an author's password is set applies AUTH_PASSWORD_VALIDATORS; none takes it as an argument."""
from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from config.eventbus.models import OutboxMessage
from publishing.services import author_create

pytestmark = pytest.mark.django_db

WEAK = [
    pytest.param("horse42", id="too-short"),
    pytest.param("password123", id="common"),
    pytest.param("4815162342", id="numeric"),
    pytest.param("gracehopper1", id="like-the-username"),
]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def typed(monkeypatch):
    """Answers typed at the password prompts, in order."""
    def type_in(*answers: str) -> None:
        replies = iter(answers)
        monkeypatch.setattr("config.passwords.sys.stdin", Terminal())
        monkeypatch.setattr("config.passwords.getpass.getpass", lambda prompt="": next(replies))

    return type_in


@pytest.fixture
def superuser_client(client):
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "correct-horse-42"))
    return client


def _create_author(*args: str) -> None:
    call_command("create_author", "gracehopper", "--email", "grace@example.com", *args, stdout=io.StringIO())


@pytest.mark.parametrize("password", WEAK)
def test_the_service_refuses_a_weak_password(password) -> None:
    with pytest.raises(ValidationError):
        author_create(username="gracehopper", email="grace@example.com", password=password)
    assert not User.objects.exists() and not OutboxMessage.objects.exists()


def test_create_author_reads_the_password_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("AUTHOR_PASSWORD", "correct-horse-42")
    _create_author()
    assert User.objects.get(username="gracehopper").check_password("correct-horse-42")


def test_create_author_reads_a_named_environment_variable(monkeypatch) -> None:
    monkeypatch.delenv("AUTHOR_PASSWORD", raising=False)
    monkeypatch.setenv("GRACE_SECRET", "correct-horse-42")
    _create_author("--password-env", "GRACE_SECRET")
    assert User.objects.get(username="gracehopper").check_password("correct-horse-42")


def test_create_author_asks_twice_at_a_terminal(monkeypatch, typed) -> None:
    monkeypatch.delenv("AUTHOR_PASSWORD", raising=False)
    typed("correct-horse-42", "correct-horse-42")
    _create_author()
    assert User.objects.get(username="gracehopper").check_password("correct-horse-42")


def test_create_author_refuses_two_different_answers(monkeypatch, typed) -> None:
    monkeypatch.delenv("AUTHOR_PASSWORD", raising=False)
    typed("correct-horse-42", "correct-horse-43")
    with pytest.raises(CommandError, match="differ"):
        _create_author()
    assert not User.objects.exists()


def test_create_author_without_a_password_or_a_terminal_says_how(monkeypatch) -> None:
    monkeypatch.delenv("AUTHOR_PASSWORD", raising=False)
    monkeypatch.setattr("config.passwords.sys.stdin", io.StringIO())
    with pytest.raises(CommandError, match="AUTHOR_PASSWORD"):
        _create_author()


@pytest.mark.parametrize("password", WEAK)
def test_create_author_refuses_a_weak_password(monkeypatch, password) -> None:
    monkeypatch.setenv("AUTHOR_PASSWORD", password)
    with pytest.raises(CommandError, match="password refused"):
        _create_author()
    assert not User.objects.exists()


def test_create_author_takes_no_password_argument(monkeypatch) -> None:
    monkeypatch.setenv("AUTHOR_PASSWORD", "correct-horse-42")
    with pytest.raises(CommandError, match="unrecognized arguments"):
        _create_author("--password", "correct-horse-42")
    assert not User.objects.exists()


def _admin_add(client, **fields):
    data = {"username": "gracehopper", "email": "grace@example.com", "password": "correct-horse-42",
            "display_name": "Grace", "preferences": "{}"} | fields
    return client.post("/admin/publishing/author/add/", data)


@pytest.mark.parametrize("password", WEAK)
def test_the_admin_refuses_a_weak_password_on_its_field(superuser_client, password) -> None:
    response = _admin_add(superuser_client, password=password)
    assert response.status_code == 200 and response.context["adminform"].form.errors.keys() == {"password"}
    assert not User.objects.filter(username="gracehopper").exists()


@pytest.mark.parametrize("username", ["gracehopper", "GraceHopper"])
def test_the_admin_refuses_a_taken_username_on_its_field(superuser_client, username) -> None:
    assert _admin_add(superuser_client).status_code == 302
    response = _admin_add(superuser_client, username=username, email="other@example.com")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["username"] == ["A user with that username already exists."]


def test_the_admin_refuses_a_username_the_user_model_would_not_take(superuser_client) -> None:
    response = _admin_add(superuser_client, username="grace hopper")
    assert response.status_code == 200 and "username" in response.context["adminform"].form.errors


def test_the_admin_password_change_refuses_a_weak_password(superuser_client, author) -> None:
    response = superuser_client.post(f"/admin/auth/user/{author.user.pk}/password/",
                                     {"password1": "password123", "password2": "password123"})
    assert response.status_code == 200 and response.context["form"].errors
    assert author.user.check_password("correct-horse-42")
