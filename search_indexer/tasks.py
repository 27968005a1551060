"""Celery tasks of search_indexer: each calls a service function, nothing else."""
from __future__ import annotations

from celery import shared_task
from django.conf import settings

from search_indexer import services


@shared_task
def rebuild_finish_if_quiet() -> None:
    services.rebuild_finish_if_quiet(quiet_seconds=settings.SEARCH_REBUILD_QUIET_SECONDS)


@shared_task
def generation_prune() -> int:
    return services.generation_prune()
