"""Celery tasks of search_indexer: each calls a service function, nothing else."""
from __future__ import annotations
