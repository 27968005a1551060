"""The authors' API for the first slice: create and submit, owners only."""
from __future__ import annotations

import pytest

from config.eventbus.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_an_author_creates_a_draft(as_user, author) -> None:
    response = as_user(author.user).post("/api/articles/", {"title": "Hello", "body": "x", "tags": ["a"]}, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "draft"


def test_invalid_input_is_a_400_with_field_messages(as_user, author) -> None:
    response = as_user(author.user).post("/api/articles/", {"title": "", "tags": ["x" * 51]}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"title", "tags"}


def test_anonymous_is_refused(api) -> None:
    assert api.post("/api/articles/", {"title": "x"}, format="json").status_code == 401


def test_a_user_who_is_not_an_author_cannot_write(as_user, editor) -> None:
    assert as_user(editor).post("/api/articles/", {"title": "x"}, format="json").status_code == 403


def test_the_owner_submits(as_user, article) -> None:
    response = as_user(article.author.user).post(f"/api/articles/{article.pk}/submit/")
    assert response.status_code == 200 and response.json()["revision"] == 1
    assert OutboxMessage.objects.filter(event_type="article.submitted").count() == 1


def test_another_author_cannot_see_or_submit(as_user, article, other_author) -> None:
    client = as_user(other_author.user)
    assert client.get(f"/api/articles/{article.pk}/").status_code == 404
    assert client.post(f"/api/articles/{article.pk}/submit/").status_code == 404
    assert not OutboxMessage.objects.exists()


def test_submitting_twice_is_a_409_that_says_why(as_user, article) -> None:
    client = as_user(article.author.user)
    client.post(f"/api/articles/{article.pk}/submit/")
    response = client.post(f"/api/articles/{article.pk}/submit/")
    assert response.status_code == 409
    assert "cannot be submitted" in response.json()["detail"]


def test_token_auth(api, author) -> None:
    response = api.post("/api/auth/token/", {"username": author.user.username, "password": "correct-horse-42"})
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/articles/").status_code == 200
