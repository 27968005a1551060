"""Models of notifications (its read model arrives with its own issue)."""
from __future__ import annotations
