"""The search page's throttle: DRF's limiter (same counters, cache and client address) on a plain Django view."""
from __future__ import annotations

from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle


class SearchPageThrottle(SimpleRateThrottle):
    """Per client address, signed in or not: a session must not buy unlimited full-text searches."""

    scope = "search_page"

    def get_cache_key(self, request: HttpRequest, view: object) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
