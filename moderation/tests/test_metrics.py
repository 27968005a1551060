"""GET /metrics reports the human review queue: its size and how long its oldest case has waited."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from config.testing import metrics_scrape
from moderation.models import CaseStatus
from moderation.tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_queue_size_and_oldest_waiting_case(client) -> None:
    CaseFactory(queued_at=timezone.now() - timedelta(hours=1))
    CaseFactory()
    CaseFactory(status=CaseStatus.APPROVED, queued_at=timezone.now() - timedelta(days=2))

    scraped = metrics_scrape(client)

    assert scraped[("moderation_queue_size", ())] == 2
    assert 3600 <= scraped[("moderation_queue_oldest_seconds", ())] < 3600 + 600


def test_an_empty_queue_has_waited_for_nothing(client) -> None:
    scraped = metrics_scrape(client)

    assert scraped[("moderation_queue_size", ())] == 0
    assert scraped[("moderation_queue_oldest_seconds", ())] == 0
