"""The search page's throttle: the API's limiter (same counters and client address) on a plain Django view."""
from __future__ import annotations

from django.http import HttpRequest

from config.throttling import Counted


class SearchPageThrottle(Counted):
    """Per client address, signed in or not: a session must not buy unlimited full-text searches."""

    scope = "search_page"

    def get_cache_key(self, request: HttpRequest, view: object) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
