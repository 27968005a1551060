"""The editors' admin: pages render, actions and forms go through the services."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from config.eventbus.models import OutboxMessage
from publishing.models import Article, Author, SnapshotRun
from publishing.services import article_submit, article_update
from publishing.tests.factories import article_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "correct-horse-42"))
    return client


def test_changelist_with_filters_flags_overdue(admin_client) -> None:
    article_in("scheduled", publish_at=timezone.now() - timedelta(hours=1), tags=["late"])
    for query in ("", "?status=scheduled", "?tag=late", "?schedule=overdue", "?q=Article"):
        response = admin_client.get(f"/admin/publishing/article/{query}")
        assert response.status_code == 200
    assert "overdue" in response.content.decode()


def test_change_page_shows_timeline_and_revision_diff(admin_client) -> None:
    article = article_in("published", body="line one")
    article = article_update(article=article, based_on=article.updated_at, body="line two")
    article_submit(article=article)
    page = admin_client.get(f"/admin/publishing/article/{article.pk}/change/").content.decode()
    assert "article.submitted" in page and "-line one" in page and "+line two" in page


def test_unpublish_action(admin_client) -> None:
    article = article_in("published")
    admin_client.post("/admin/publishing/article/", {"action": "unpublish", "_selected_action": [article.pk]})
    assert Article.objects.get(pk=article.pk).status == "unpublished"
    assert OutboxMessage.objects.filter(event_type="article.unpublished").exists()


def _staff_client(client, *codenames: str):
    user = User.objects.create_user("eve", "eve@example.com", "correct-horse-42", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="publishing", codename__in=codenames))
    client.force_login(user)
    return client


@pytest.mark.parametrize("action", ["unpublish", "publish_now"])
def test_a_view_only_editor_neither_sees_nor_can_post_the_actions(client, action) -> None:
    article = article_in("published" if action == "unpublish" else "scheduled",
                         publish_at=timezone.now() + timedelta(days=2))
    viewer = _staff_client(client, "view_article")
    page = viewer.get("/admin/publishing/article/")
    assert page.status_code == 200 and f'value="{action}"' not in page.content.decode()
    viewer.post("/admin/publishing/article/", {"action": action, "_selected_action": [article.pk]})
    assert Article.objects.get(pk=article.pk).status == article.status
    assert not OutboxMessage.objects.exists()


def test_a_view_only_editor_cannot_reschedule_through_the_change_form(client) -> None:
    article = article_in("scheduled", publish_at=timezone.now() + timedelta(days=2))
    later = timezone.now() + timedelta(days=3)
    response = _staff_client(client, "view_article").post(
        f"/admin/publishing/article/{article.pk}/change/",
        {"publish_at_0": later.strftime("%Y-%m-%d"), "publish_at_1": later.strftime("%H:%M:%S"), **_empty_inlines()})
    assert response.status_code == 403
    assert Article.objects.get(pk=article.pk).publish_at == article.publish_at


def test_an_editor_with_the_change_permission_may_unpublish(client) -> None:
    article = article_in("published")
    editor = _staff_client(client, "view_article", "change_article")
    assert 'value="unpublish"' in editor.get("/admin/publishing/article/").content.decode()
    editor.post("/admin/publishing/article/", {"action": "unpublish", "_selected_action": [article.pk]})
    assert Article.objects.get(pk=article.pk).status == "unpublished"


def test_reschedule_through_the_change_form(admin_client) -> None:
    article = article_in("scheduled", publish_at=timezone.now() + timedelta(days=2))
    later = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    admin_client.post(f"/admin/publishing/article/{article.pk}/change/",
                      {"publish_at_0": later.strftime("%Y-%m-%d"), "publish_at_1": later.strftime("%H:%M:%S"),
                       **_empty_inlines()})
    assert Article.objects.get(pk=article.pk).publish_at == later


def test_only_a_scheduled_article_is_rescheduled_in_the_admin(admin_client) -> None:
    article = article_in("draft")
    later = timezone.now() + timedelta(days=3)
    response = admin_client.post(f"/admin/publishing/article/{article.pk}/change/",
                                 {"publish_at_0": later.strftime("%Y-%m-%d"), "publish_at_1": later.strftime("%H:%M:%S"),
                                  **_empty_inlines()})
    assert response.status_code == 200 and "Only a scheduled article" in response.content.decode()
    assert Article.objects.get(pk=article.pk).publish_at is None


def test_publish_now_action(admin_client) -> None:
    article = article_in("scheduled", publish_at=timezone.now() + timedelta(days=2))
    admin_client.post("/admin/publishing/article/", {"action": "publish_now", "_selected_action": [article.pk]})
    assert Article.objects.get(pk=article.pk).status == "published"


def _empty_inlines() -> dict:
    data = {}
    for prefix in ("revisions", "timeline"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return data


def test_editors_create_authors_through_the_service(admin_client) -> None:
    response = admin_client.post("/admin/publishing/author/add/", {
        "username": "grace", "email": "grace@example.com", "password": "correct-horse-42",
        "display_name": "Grace", "preferences": "{}",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    author = Author.objects.get(user__username="grace")
    assert author.user.groups.filter(name="authors").exists()
    assert json.loads(OutboxMessage.objects.get(event_type="author.registered").body)["data"]["author_id"] == str(author.pk)


def test_changing_an_author_emits_author_updated(admin_client, author) -> None:
    response = admin_client.post(f"/admin/publishing/author/{author.pk}/change/", {
        "display_name": "New Name", "email": "new@example.com", "preferences": '{"email": false}',
    })
    assert response.status_code == 302
    data = json.loads(OutboxMessage.objects.get(event_type="author.updated").body)["data"]
    assert (data["display_name"], data["email"], data["preferences"]) == ("New Name", "new@example.com", {"email": False})


def test_snapshot_runs_are_listed_read_only(admin_client) -> None:
    run = SnapshotRun.objects.create(total=3)
    assert admin_client.get("/admin/publishing/snapshotrun/").status_code == 200
    assert admin_client.get(f"/admin/publishing/snapshotrun/{run.pk}/change/").status_code == 200
    assert admin_client.get("/admin/publishing/snapshotrun/add/").status_code == 403
