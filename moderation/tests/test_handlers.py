"""article.submitted opens one case per revision; duplicates and older revisions change nothing."""
from __future__ import annotations

import json
import uuid

import pytest

from config.eventbus.envelope import Event
from config.eventbus.inbox import APPLIED, DUPLICATE, message_apply
from moderation.handlers import EVENT_HANDLERS
from moderation.models import Case

pytestmark = pytest.mark.django_db


def _submitted(*, article_id: str, revision: int) -> bytes:
    event = Event(
        type="article.submitted", source="publishing", subject=f"article/{article_id}",
        correlationid=str(uuid.uuid4()), dataschema="urn:contract:article.submitted:v1",
        data={"article_id": article_id, "revision": revision, "title": f"Title r{revision}", "summary": "",
              "body": "Body", "tags": [], "author": {"id": str(uuid.uuid4()), "username": "ada",
                                                   "display_name": "Ada"},
              "submitted_at": "2026-11-25T10:00:00Z"},
    )
    return json.dumps(event.to_dict()).encode()


def test_a_submission_opens_a_case() -> None:
    article_id = str(uuid.uuid4())
    assert message_apply(_submitted(article_id=article_id, revision=1), EVENT_HANDLERS).kind == APPLIED
    case = Case.objects.get()
    assert (str(case.article_id), case.revision, case.title) == (article_id, 1, "Title r1")


def test_a_duplicate_submission_changes_nothing() -> None:
    body = _submitted(article_id=str(uuid.uuid4()), revision=1)
    message_apply(body, EVENT_HANDLERS)
    assert message_apply(body, EVENT_HANDLERS).kind == DUPLICATE
    assert Case.objects.count() == 1


def test_an_older_revision_arriving_late_changes_nothing() -> None:
    article_id = str(uuid.uuid4())
    message_apply(_submitted(article_id=article_id, revision=2), EVENT_HANDLERS)
    assert message_apply(_submitted(article_id=article_id, revision=1), EVENT_HANDLERS).kind == APPLIED
    assert list(Case.objects.values_list("revision", flat=True)) == [2]
