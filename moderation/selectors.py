"""Reads of the moderation service."""
from __future__ import annotations

from django.db.models import QuerySet

from moderation.models import Case, CaseStatus


def case_list_open() -> QuerySet[Case]:
    return Case.objects.filter(status=CaseStatus.OPEN)
