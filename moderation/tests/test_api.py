"""The review queue's JSON API: what moderators can do, and what others get."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from moderation.models import CaseStatus
from moderation.tests.factories import CaseFactory, LiveArticleFactory, flag

pytestmark = pytest.mark.django_db


def endpoints(case_id: str, article_id: str) -> list[tuple[str, str, dict]]:
    return [
        ("get", "/api/queue/", {}),
        ("get", "/api/reasons/", {}),
        ("post", f"/api/queue/{case_id}/claim/", {}),
        ("post", f"/api/queue/{case_id}/release/", {}),
        ("post", f"/api/queue/{case_id}/approve/", {}),
        ("post", f"/api/queue/{case_id}/reject/", {"reasons": ["spam"]}),
        ("post", "/api/queue/approve/", {"ids": [case_id]}),
        ("post", "/api/takedowns/", {"article_id": article_id, "reason": "legal"}),
    ]


@pytest.mark.parametrize("who", ["anonymous", "user", "moderator"])
@pytest.mark.parametrize("index", range(8))
def test_authorisation_matrix(api, who, index, user, moderator) -> None:
    case, live = CaseFactory(), LiveArticleFactory()
    method, url, body = endpoints(str(case.pk), str(live.article_id))[index]
    if who != "anonymous":
        api.force_authenticate({"user": user, "moderator": moderator}[who])
    response = getattr(api, method)(url, body, format="json")
    expected = {"anonymous": {401}, "user": {403}, "moderator": {200, 202}}[who]
    assert response.status_code in expected, response.content


def test_queue_lists_items_with_reasons(api, moderator) -> None:
    case = CaseFactory(score=4, findings=[flag("too_many_links", score=4, field="body", start=3, end=20,
                                               match="https://a.example")])
    CaseFactory(status=CaseStatus.APPROVED)
    api.force_authenticate(moderator)
    [item] = api.get("/api/queue/").json()["results"]
    assert {k: item[k] for k in ("id", "article_id", "revision", "title", "score", "claimed_by")} == {
        "id": str(case.pk), "article_id": str(case.article_id), "revision": 1, "title": case.title, "score": 4,
        "claimed_by": None}
    assert item["reasons"][0]["code"] == "too_many_links" and item["queued_at"]


def test_queue_is_ordered_by_score_and_age(api, moderator) -> None:
    old = CaseFactory(score=0, queued_at=timezone.now() - timedelta(hours=40))
    high = CaseFactory(score=8)
    low = CaseFactory(score=1)
    api.force_authenticate(moderator)
    ids = [item["id"] for item in api.get("/api/queue/").json()["results"]]
    assert ids == [str(old.pk), str(high.pk), str(low.pk)]


def test_queue_filters(api, moderator) -> None:
    flagged = CaseFactory(title="Loud one", findings=[flag("shouting")])
    CaseFactory(title="Quiet one")
    api.force_authenticate(moderator)
    assert [i["id"] for i in api.get("/api/queue/?rule=shouting").json()["results"]] == [str(flagged.pk)]
    assert [i["id"] for i in api.get("/api/queue/?q=loud").json()["results"]] == [str(flagged.pk)]
    api.post(f"/api/queue/{flagged.pk}/claim/")
    assert [i["id"] for i in api.get("/api/queue/?claimed=mine").json()["results"]] == [str(flagged.pk)]
    assert len(api.get("/api/queue/?claimed=unclaimed").json()["results"]) == 1


def test_a_second_moderator_gets_409_naming_the_holder(api, moderator, other_moderator, queued) -> None:
    api.force_authenticate(moderator)
    assert api.post(f"/api/queue/{queued.pk}/claim/").json()["claimed_by"] == moderator.username
    api.force_authenticate(other_moderator)
    for action in ("claim", "approve"):
        response = api.post(f"/api/queue/{queued.pk}/{action}/")
        assert response.status_code == 409
        assert response.json()["claimed_by"] == moderator.username
    response = api.post(f"/api/queue/{queued.pk}/reject/", {"reasons": ["spam"]}, format="json")
    assert response.status_code == 409


def test_reject_validates_reasons(api, moderator, queued) -> None:
    api.force_authenticate(moderator)
    assert api.post(f"/api/queue/{queued.pk}/reject/", {"reasons": []}, format="json").status_code == 400
    assert api.post(f"/api/queue/{queued.pk}/reject/", {"reasons": ["nope"]}, format="json").status_code == 400
    response = api.post(f"/api/queue/{queued.pk}/reject/", {"reasons": ["spam"], "note": "No ads."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert api.post(f"/api/queue/{queued.pk}/approve/").status_code == 409  # decided already


def test_unknown_item_is_404(api, moderator) -> None:
    api.force_authenticate(moderator)
    assert api.post("/api/queue/00000000-0000-0000-0000-000000000000/claim/").status_code == 404


def test_bulk_approve(api, moderator, other_moderator) -> None:
    a, b = CaseFactory(), CaseFactory(claimed_by=other_moderator, claim_expires_at=timezone.now() + timedelta(hours=1))
    api.force_authenticate(moderator)
    body = api.post("/api/queue/approve/", {"ids": [str(a.pk), str(b.pk)]}, format="json").json()
    assert body["approved"] == [str(a.pk)] and str(b.pk) in body["skipped"]


def test_takedown(api, moderator, emitted) -> None:
    live = LiveArticleFactory()
    api.force_authenticate(moderator)
    response = api.post("/api/takedowns/", {"article_id": str(live.article_id), "reason": "legal"}, format="json")
    assert response.status_code == 202
    assert [kind for kind, _ in emitted()] == ["moderation.takedown"]
    unknown = api.post("/api/takedowns/", {"article_id": "00000000-0000-0000-0000-000000000000", "reason": "legal"},
                       format="json")
    assert unknown.status_code == 404


def test_search_by_author_and_the_openapi_schema(api, moderator) -> None:
    case = CaseFactory(author={"id": "1b6f4c1e-0000-4000-8000-000000000001", "username": "grace",
                               "display_name": "Grace"})
    CaseFactory()
    api.force_authenticate(moderator)
    assert [i["id"] for i in api.get("/api/queue/?q=grac").json()["results"]] == [str(case.pk)]
    assert api.get("/api/schema/").status_code == 200
