"""Celery tasks of moderation: each calls a service function, nothing else."""
from __future__ import annotations

from celery import shared_task

from moderation.services import cases_check_sla, claims_expire


@shared_task
def claims_expire_task() -> int:
    return claims_expire()


@shared_task
def sla_check_task() -> int:
    return cases_check_sla()
