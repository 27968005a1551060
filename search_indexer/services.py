"""Writes of search_indexer."""
from __future__ import annotations
