"""The flow view of an article's timeline, for an editor (everything) and for its author (the allow-list):
`GET /api/articles/<id>/timeline.svg` and the article's admin page."""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission

from publishing.flow_steps import author_steps, editor_steps
from publishing.models import Article, TimelineEntry
from publishing.services.flows import STUCK
from publishing.tests.factories import UserFactory, timeline_entry

pytestmark = pytest.mark.django_db

MODERATOR_ID = str(uuid.uuid4())
SECRETS = [MODERATOR_ID, "mia-the-moderator", "0.8731", "connection refused by 10.0.0.7", "a***@example.com",
           "https://hooks.subscriber.example", "internal note for moderators"]
SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def flowed(article: Article) -> Article:
    """A flow that went wrong on the way: the webhook failed and was resent, search.indexed came by a replay."""
    article.title = "<script>alert('title')</script> Composting"
    article.correlation_id = str(uuid.uuid4())
    article.save()
    moderator = {"kind": "moderator", "id": MODERATOR_ID, "name": "mia-the-moderator"}
    submitted = timeline_entry(article, "article.submitted", title=article.title)
    approved = timeline_entry(article, "moderation.approved", cause=submitted, at=0.4,
                              summary="by mia-the-moderator: fine (score 0.8731)", decided_by=moderator, score=0.8731,
                              note="internal note for moderators", reasons=[{"code": "ok", "message": "Fine by us."}])
    published = timeline_entry(article, "article.published", cause=approved, at=1.5, url="/articles/composting/")
    timeline_entry(article, "search.indexed", cause=published, at=2.0, arrived_after=600)
    notification = str(uuid.uuid4())
    timeline_entry(article, "notification.failed", cause=published, at=40,
                   summary="webhook to https://hooks.subscriber.example connection refused by 10.0.0.7",
                   notification_id=notification, channel="webhook", recipient="https://hooks.subscriber.example",
                   error="connection refused by 10.0.0.7")
    timeline_entry(article, "notification.sent", cause=published, at=3640, summary="email to a***@example.com",
                   notification_id=notification, channel="webhook", recipient="a***@example.com")
    return article


def _ids(article: Article) -> list[str]:
    entries = TimelineEntry.objects.filter(article=article)
    return [*(str(e.event_id) for e in entries), *(e.correlation_id for e in entries), str(article.pk)]


def test_the_steps_join_each_effect_to_its_cause_and_mark_what_went_wrong(flowed) -> None:
    steps = editor_steps(TimelineEntry.objects.filter(article=flowed).order_by("time"))
    by_type = {s.type: s for s in steps}
    assert by_type["article.published"].cause == by_type["moderation.approved"].key
    assert by_type["article.submitted"].cause is None
    assert by_type["notification.failed"].failed and not by_type["notification.sent"].failed
    # One delivery, announced twice: the steps share a thread, so the second is drawn as a repeat.
    assert by_type["notification.failed"].thread == by_type["notification.sent"].thread != ""
    assert by_type["search.indexed"].arrived - by_type["search.indexed"].time == timedelta(seconds=600)


def test_a_stuck_flow_note_is_drawn_as_overdue(flowed) -> None:
    published = TimelineEntry.objects.get(article=flowed, type="article.published")
    timeline_entry(flowed, STUCK, cause=published, at=65, summary="stuck: indexed overdue", step="indexed")
    steps = editor_steps(TimelineEntry.objects.filter(article=flowed).order_by("time"))
    assert [s.type for s in steps if s.overdue] == [STUCK]


def test_the_authors_steps_carry_only_the_allow_listed_summary(flowed) -> None:
    steps = author_steps(TimelineEntry.objects.filter(article=flowed).order_by("time"))
    shown = " ".join(f"{s.label} {s.detail} {s.type}" for s in steps)
    assert [secret for secret in [*SECRETS, *_ids(flowed)] if secret in shown] == []
    assert "revision 1 approved by a moderator: Fine by us." in shown


def test_the_author_gets_the_drawing_without_ids_moderators_scores_or_delivery_errors(as_user, flowed) -> None:
    response = as_user(flowed.author.user).get(f"/api/articles/{flowed.pk}/timeline.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    svg = response.content.decode()
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    assert [secret for secret in [*SECRETS, *_ids(flowed)] if secret in svg] == []
    assert "<script" not in svg and "&lt;script&gt;" in svg  # the title is text
    assert [el for el in root.iter() if el.tag in (f"{SVG_NS}script", f"{SVG_NS}foreignObject")] == []
    text = "".join(root.itertext())
    for seen in ("moderation.approved +400 ms", "notification.failed", "repeat 2", "late (retried or replayed)"):
        assert seen in text
    arrows = [p for p in root.iter(f"{SVG_NS}path") if p.get("marker-end")]
    assert len(arrows) == 5  # one per caused event


def test_the_drawing_is_svg_whatever_the_client_accepts(as_user, flowed) -> None:
    response = as_user(flowed.author.user).get(f"/api/articles/{flowed.pk}/timeline.svg", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")


def test_the_json_timeline_stays_json(as_user, flowed) -> None:
    response = as_user(flowed.author.user).get(f"/api/articles/{flowed.pk}/timeline/")
    assert response["Content-Type"] == "application/json"
    assert len(response.json()["results"]) == 6


def test_another_authors_or_an_anonymous_request_gets_a_json_error(api, as_user, other_author, flowed) -> None:
    response = as_user(other_author.user).get(f"/api/articles/{flowed.pk}/timeline.svg")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    api.force_authenticate(None)
    response = api.get(f"/api/articles/{flowed.pk}/timeline.svg")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_the_schema_documents_the_drawing_as_svg_and_its_errors_as_json(api) -> None:
    schema = api.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/articles/{id}/timeline.svg"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["id"]  # no `format` that would change nothing
    responses = operation["responses"]
    assert list(responses["200"]["content"]) == ["image/svg+xml"]
    assert {code: list(answer["content"]) for code, answer in responses.items() if code != "200"} == {
        code: ["application/json"] for code in responses if code != "200"}
    assert list(schema["paths"]["/api/articles/{id}/timeline/"]["get"]["responses"]["200"]["content"]) == [
        "application/json"]


def test_the_editors_admin_page_draws_the_flow_in_full(client, flowed) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(f"/admin/publishing/article/{flowed.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index("<svg", page.index('id="flow-view"'))
    end = page.index("</svg>", start) + len("</svg>")
    root = ET.fromstring(page[start:end])
    text = "".join(root.itertext())
    assert "mia-the-moderator" in text and "connection refused by 10.0.0.7" in text  # editors see everything
    assert "publishing" in text and "search_indexer" in text
    assert len([p for p in root.iter(f"{SVG_NS}path") if p.get("marker-end")]) == 5
    assert "<script>alert" not in page
    # Nothing inline to run: the page keeps the CSP that allows only the service's own scripts.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "onload" not in page[start:end]


def test_a_staff_user_who_may_only_view_articles_sees_the_flow(client, flowed) -> None:
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(viewer)
    response = client.get(f"/admin/publishing/article/{flowed.pk}/change/")
    assert response.status_code == 200
    assert 'id="flow-view"' in response.content.decode()


def test_an_article_with_no_events_yet_says_so(client, article) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(f"/admin/publishing/article/{article.pk}/change/")
    assert "Nothing has happened yet." in response.content.decode()


def test_a_long_timeline_is_drawn_from_its_latest_entries(as_user, flowed, monkeypatch) -> None:
    monkeypatch.setattr("publishing.flow_steps.MAX_STEPS", 3)
    svg = as_user(flowed.author.user).get(f"/api/articles/{flowed.pk}/timeline.svg").content.decode()
    assert "(the last 3 of 6 events)" in svg
    text = "".join(ET.fromstring(svg).itertext())
    assert "search.indexed" in text and "article.submitted" not in text
