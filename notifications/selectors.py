"""Reads of notifications."""
from __future__ import annotations
