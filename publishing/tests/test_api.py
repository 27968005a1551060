"""The authors' API: who may do what, validation, lost updates, filters, stands, schema."""
from __future__ import annotations

import pytest
from rest_framework.throttling import UserRateThrottle

from config.eventbus.models import OutboxMessage
from publishing.models import Article
from publishing.tests.factories import article_in

pytestmark = pytest.mark.django_db

# (method, path, owner's status); the other roles follow from the rules below.
ENDPOINTS = [
    ("get", "/api/articles/", 200),
    ("post", "/api/articles/", 201),
    ("get", "/api/articles/{id}/", 200),
    ("patch", "/api/articles/{id}/", 200),
    ("delete", "/api/articles/{id}/", 204),
    ("post", "/api/articles/{id}/submit/", 200),
    ("post", "/api/articles/{id}/withdraw/", 200),
    ("get", "/api/articles/{id}/revisions/", 200),
    ("get", "/api/articles/{id}/timeline/", 200),
]
ROLES = ["owner", "other_author", "anonymous", "editor"]


def _expected(role: str, method: str, path: str, owner_status: int) -> int:
    if role == "anonymous":
        return 401
    if role == "owner" or (path == "/api/articles/" and role == "other_author"):
        return owner_status
    reads = method == "get"
    if role == "editor":
        # Editors read everything; they are not authors, so they write in the admin, not here.
        return owner_status if reads else 403
    return 404  # another author does not learn the article exists


MATRIX = [(role, *endpoint) for role in ROLES for endpoint in ENDPOINTS]


@pytest.mark.parametrize(("role", "method", "path", "owner_status"), MATRIX,
                         ids=[f"{r}-{m}-{p}" for r, m, p, _ in MATRIX])
def test_authorisation_matrix(api, other_author, editor, role, method, path, owner_status) -> None:
    article = article_in("published")
    Article.objects.filter(pk=article.pk).update(body="An edit not submitted yet.")  # something to submit
    users = {"owner": article.author.user, "other_author": other_author.user, "editor": editor, "anonymous": None}
    if users[role]:
        api.force_authenticate(users[role])
    body = {"title": "T", "updated_at": article.updated_at.isoformat()} if method in ("post", "patch") else None
    response = getattr(api, method)(path.format(id=article.pk), body, format="json")
    assert response.status_code == _expected(role, method, path, owner_status), response.content
    if path == "/api/articles/" and method == "get" and response.status_code == 200:
        ids = [row["id"] for row in response.json()["results"]]
        assert (str(article.pk) in ids) == (role in ("owner", "editor"))


def test_an_author_creates_a_draft(as_user, author) -> None:
    response = as_user(author.user).post("/api/articles/", {"title": "Hello", "body": "x", "tags": ["a"]}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft" and body["stands"].startswith("draft, last edited")
    assert set(body) >= {"id", "status", "revision", "live_revision", "title", "summary", "body", "tags", "publish_at",
                         "published_at", "slug", "url", "reasons", "stands"}


@pytest.mark.parametrize(("payload", "fields"), [
    ({"title": "", "tags": ["x" * 51]}, {"title", "tags"}),
    ({"title": "x" * 301}, {"title"}),
    ({"title": "x", "summary": "s" * 1001}, {"summary"}),
    ({"title": "x", "tags": [f"t{n}" for n in range(21)]}, {"tags"}),
    ({"title": "x", "tags": ["<script>"]}, {"tags"}),
    ({"title": "x", "publish_at": "tomorrow"}, {"publish_at"}),
])
def test_invalid_input_is_a_400_with_field_messages(as_user, author, payload, fields) -> None:
    response = as_user(author.user).post("/api/articles/", payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= fields


def test_the_owner_submits(as_user, article) -> None:
    response = as_user(article.author.user).post(f"/api/articles/{article.pk}/submit/")
    assert response.status_code == 200 and response.json()["revision"] == 1
    assert response.json()["stands"].startswith("submitted")
    assert OutboxMessage.objects.filter(event_type="article.submitted").count() == 1


def test_submitting_twice_is_a_409_that_says_why(as_user, article) -> None:
    client = as_user(article.author.user)
    client.post(f"/api/articles/{article.pk}/submit/")
    response = client.post(f"/api/articles/{article.pk}/submit/")
    assert response.status_code == 409
    assert "cannot be submitted: it is waiting for moderation; withdraw it first" in response.json()["detail"]


def _nothing_written(article: Article) -> bool:
    stored = Article.objects.get(pk=article.pk)
    return (stored.status, stored.revision, stored.revisions.count()) == (article.status, article.revision, 1) \
        and not OutboxMessage.objects.exists()


def test_resubmitting_the_live_content_is_a_409_that_writes_nothing(as_user) -> None:
    article = article_in("published")
    response = as_user(article.author.user).post(f"/api/articles/{article.pk}/submit/")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("nothing to submit: revision 1 is live with the same title")
    assert _nothing_written(article)


def test_resubmitting_while_the_same_content_is_in_review_is_a_409_that_writes_nothing(as_user) -> None:
    article = article_in("in_review", live=True)
    response = as_user(article.author.user).post(f"/api/articles/{article.pk}/submit/")
    assert response.status_code == 409 and "withdraw it first" in response.json()["detail"]
    assert _nothing_written(article)


def test_an_edit_that_changes_nothing_leaves_nothing_to_submit(as_user) -> None:
    article = article_in("published")
    client = as_user(article.author.user)
    same = {"title": article.title, "summary": article.summary, "body": article.body, "tags": article.tags,
            "updated_at": article.updated_at.isoformat()}
    assert client.patch(f"/api/articles/{article.pk}/", same, format="json").status_code == 200
    response = client.post(f"/api/articles/{article.pk}/submit/")
    assert response.status_code == 409 and response.json()["detail"].startswith("nothing to submit")
    assert _nothing_written(article)


@pytest.mark.parametrize("change", [{"title": "New title"}, {"summary": "New."}, {"body": "New."}, {"tags": ["other"]}])
def test_a_changed_live_article_is_submitted_again(as_user, change: dict) -> None:
    article = article_in("published")
    client = as_user(article.author.user)
    edited = client.patch(f"/api/articles/{article.pk}/", {**change, "updated_at": article.updated_at.isoformat()},
                          format="json")
    assert edited.status_code == 200
    response = client.post(f"/api/articles/{article.pk}/submit/")
    assert response.status_code == 200 and response.json()["revision"] == 2
    assert OutboxMessage.objects.filter(event_type="article.submitted").count() == 1


def test_editing_during_review_is_a_409(as_user) -> None:
    article = article_in("in_review")
    response = as_user(article.author.user).patch(
        f"/api/articles/{article.pk}/", {"title": "New", "updated_at": article.updated_at.isoformat()}, format="json")
    assert response.status_code == 409 and "withdraw it first" in response.json()["detail"]


def test_an_edit_based_on_an_old_version_is_refused(as_user, article) -> None:
    client = as_user(article.author.user)
    seen = client.get(f"/api/articles/{article.pk}/").json()["updated_at"]
    first = client.patch(f"/api/articles/{article.pk}/", {"title": "Mine", "updated_at": seen}, format="json")
    assert first.status_code == 200 and first.json()["title"] == "Mine"
    second = client.patch(f"/api/articles/{article.pk}/", {"title": "Theirs", "updated_at": seen}, format="json")
    assert second.status_code == 409 and "load it again" in second.json()["detail"]
    stored = Article.objects.get(pk=article.pk)
    assert (stored.title, stored.body, stored.tags) == ("Mine", article.body, article.tags)


def test_an_edit_must_say_what_it_is_based_on(as_user, article) -> None:
    response = as_user(article.author.user).patch(f"/api/articles/{article.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 400 and "updated_at" in response.json()


def test_editing_a_rejected_article_makes_it_a_draft_again(as_user) -> None:
    article = article_in("rejected", reasons=[{"code": "spam", "message": "Looks like spam."}])
    client = as_user(article.author.user)
    assert "rejected" in client.get(f"/api/articles/{article.pk}/").json()["stands"]
    assert "Looks like spam." in client.get(f"/api/articles/{article.pk}/").json()["stands"]
    response = client.patch(f"/api/articles/{article.pk}/", {"body": "Better.", "updated_at": article.updated_at.isoformat()},
                            format="json")
    assert response.json()["status"] == "draft"


def test_stands_says_where_and_since_when(as_user) -> None:
    article = article_in("in_review", live=True)
    stands = as_user(article.author.user).get(f"/api/articles/{article.pk}/").json()["stands"]
    assert stands == "in review, queued just now; revision 1 stays live meanwhile"


@pytest.mark.parametrize(("status", "fields", "stands"), [
    ("draft", {}, "draft, last edited 2 hours ago"),
    ("submitted", {}, "submitted 2 hours ago, waiting for moderation"),
    ("in_review", {}, "in review, queued 2 hours ago"),
    ("scheduled", {"publish_at": "+1h"}, "approved 2 hours ago, goes live in 1 hour"),
    ("scheduled", {"publish_at": "-1h"}, "approved, overdue: was scheduled for 1 hour ago"),
    ("published", {}, "published 2 hours ago"),
    ("rejected", {"reasons": [{"code": "spam", "message": "Looks like spam."}]}, "rejected 2 hours ago: Looks like spam."),
    ("unpublished", {"unpublished_reason": "takedown"}, "unpublished (taken down by moderation) 2 hours ago"),
])
def test_stands_in_every_state(status: str, fields: dict, stands: str) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from publishing.selectors import article_stands

    now = timezone.now()
    if "publish_at" in fields:
        fields["publish_at"] = now + timedelta(hours=int(fields["publish_at"][:-1]))
    article = article_in(status, **fields)
    two_hours_ago = now - timedelta(hours=2)
    Article.objects.filter(pk=article.pk).update(status_changed_at=two_hours_ago, updated_at=two_hours_ago,
                                                 published_at=two_hours_ago if article.is_live else None)
    assert article_stands(article=Article.objects.get(pk=article.pk), now=now) == stands


def test_filter_by_status_tag_and_title(as_user, author) -> None:
    article_in("draft", author=author, title="Choreography", tags=["design"])
    article_in("published", author=author, title="Orchestration", tags=["ops"])
    client = as_user(author.user)

    def titles(query: str) -> list[str]:
        return [row["title"] for row in client.get(f"/api/articles/?{query}").json()["results"]]

    assert titles("status=published") == ["Orchestration"]
    assert titles("tag=design") == ["Choreography"]
    assert titles("search=choreo") == ["Choreography"]
    assert client.get("/api/articles/?status=nonsense").status_code == 400


def test_list_is_paginated(as_user, author) -> None:
    for _ in range(21):
        article_in("draft", author=author)
    body = as_user(author.user).get("/api/articles/").json()
    assert body["count"] == 21 and len(body["results"]) == 20 and body["next"]


def test_revisions_and_timeline(as_user, article) -> None:
    client = as_user(article.author.user)
    client.post(f"/api/articles/{article.pk}/submit/")
    revisions = client.get(f"/api/articles/{article.pk}/revisions/").json()["results"]
    assert [r["number"] for r in revisions] == [1] and revisions[0]["live"] is False
    timeline = client.get(f"/api/articles/{article.pk}/timeline/").json()["results"]
    assert [(e["service"], e["type"]) for e in timeline] == [("publishing", "article.submitted")]


def test_throttling(as_user, author, monkeypatch) -> None:
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/min", "anon": "2/min"})
    client = as_user(author.user)
    assert [client.get("/api/articles/").status_code for _ in range(3)] == [200, 200, 429]


def test_submissions_have_their_own_budget(as_user, monkeypatch) -> None:
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"submissions": "1/hour"})
    article = article_in("draft")
    client = as_user(article.author.user)
    assert client.post(f"/api/articles/{article.pk}/submit/").status_code == 200
    assert client.post(f"/api/articles/{article.pk}/submit/").status_code == 429


def test_token_auth(api, author) -> None:
    response = api.post("/api/auth/token/", {"username": author.user.username, "password": "correct-horse-42"})
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/articles/").status_code == 200


def test_schema_and_docs(client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/articles/{id}/timeline/" in schema.json()["paths"]
    submit = schema.json()["paths"]["/api/articles/{id}/submit/"]["post"]["responses"]["409"]
    assert submit["description"].startswith("Nothing to submit")
    assert client.get("/api/docs/").status_code == 200
