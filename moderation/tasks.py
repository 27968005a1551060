"""Celery tasks of moderation: each calls a service function, nothing else."""
from __future__ import annotations
