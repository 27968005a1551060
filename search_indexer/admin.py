"""Admin of search_indexer: the event bus's dead letters are registered by config.eventbus."""
from __future__ import annotations
