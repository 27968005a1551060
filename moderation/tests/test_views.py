"""The queue page: login, the moderators group, and the forms a moderator uses."""
from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command

from moderation.models import CaseStatus
from moderation.selectors import is_moderator
from moderation.tests.factories import CaseFactory, LiveArticleFactory, flag

pytestmark = pytest.mark.django_db


def pages(case_id: str) -> list[tuple[str, str, dict]]:
    return [
        ("get", "/queue/", {}),
        ("post", f"/queue/{case_id}/claim/", {}),
        ("post", f"/queue/{case_id}/release/", {}),
        ("post", f"/queue/{case_id}/approve/", {}),
        ("post", f"/queue/{case_id}/reject/", {"reasons": ["spam"]}),
        ("post", "/queue/bulk-approve/", {"ids": [case_id]}),
        ("post", "/queue/takedown/", {"article_id": str(uuid.uuid4()), "reason": "legal"}),
    ]


@pytest.mark.parametrize("who", ["anonymous", "user", "moderator"])
@pytest.mark.parametrize("index", range(7))
def test_authorisation_matrix(client, who, index, user, moderator) -> None:
    case = CaseFactory()
    method, url, body = pages(str(case.pk))[index]
    if who != "anonymous":
        client.force_login({"user": user, "moderator": moderator}[who])
    response = getattr(client, method)(url, body)
    if who == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    elif who == "user":
        assert response.status_code == 403
    else:
        assert response.status_code == (200 if method == "get" else 302)


def test_the_page_shows_flags_highlights_diff_and_record(client, moderator) -> None:
    base = CaseFactory(status=CaseStatus.APPROVED, body="Old line\nSame line")
    case = CaseFactory(article_id=base.article_id, revision=2, author=base.author, author_id=base.author_id,
                       body="New line with viagra\nSame line", score=10,
                       findings=[flag("spam_terms", action="reject", score=10, message="Banned: viagra",
                                      field="body", start=14, end=20, match="viagra")])
    client.force_login(moderator)
    html = client.get("/queue/").content.decode()
    assert f'data-case="{case.pk}"' in html
    assert '<mark title="spam_terms">viagra</mark>' in html
    assert "Banned: viagra" in html
    assert '<span class="del">-Old line</span>' in html and '<span class="add">+New line with viagra</span>' in html
    assert "1 approved, 0 rejected" in html


def test_claim_then_reject_from_the_page(client, moderator, other_moderator, queued) -> None:
    client.force_login(moderator)
    client.post(f"/queue/{queued.pk}/claim/")
    client.force_login(other_moderator)
    html = client.get("/queue/").content.decode()
    assert f"claimed by <strong>{moderator.username}</strong>" in html
    response = client.post(f"/queue/{queued.pk}/approve/", follow=True)
    assert f"claimed by {moderator.username}" in response.content.decode()  # the error message
    client.force_login(moderator)
    client.post(f"/queue/{queued.pk}/reject/", {"reasons": ["spam"], "note": "Ads.", "f_q": "x"})
    queued.refresh_from_db()
    assert queued.status == CaseStatus.REJECTED
    assert "The queue is empty" in client.get("/queue/").content.decode()


def test_takedown_from_the_page(client, moderator, emitted) -> None:
    live = LiveArticleFactory()
    client.force_login(moderator)
    client.post("/queue/takedown/", {"article_id": str(live.article_id), "reason": "legal", "note": ""})
    assert [kind for kind, _ in emitted()] == ["moderation.takedown"]


def test_login_page_and_redirect(client, moderator) -> None:
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": moderator.username, "password": "correct-horse-42",
                                                "next": "/queue/"})
    assert response.status_code == 302 and response["Location"] == "/queue/"


def test_create_moderator_command(monkeypatch) -> None:
    monkeypatch.setenv("MODERATOR_PASSWORD", "correct-horse-42")
    call_command("create_moderator", "mia", "--email", "mia@example.com")
    from django.contrib.auth.models import User

    mia = User.objects.get(username="mia")
    assert is_moderator(mia) and mia.check_password("correct-horse-42") and mia.is_staff
