"""The readers' search page: the same input, selector and throttle as the API, rendered by a template."""
from __future__ import annotations

import math

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from search_indexer.api import SearchInputSerializer, search_arguments
from search_indexer.selectors import document_search
from search_indexer.throttles import SearchPageThrottle


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    throttle = SearchPageThrottle()
    if not throttle.allow_request(request, None):
        return _throttled(request, wait=throttle.wait())
    form = SearchInputSerializer(data=request.GET)
    results = document_search(**search_arguments(form.validated_data)) if form.is_valid() else None
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "search_indexer/search.html", {
        "params": request.GET, "results": results, "errors": form.errors if results is None else {},
        "query_without_page": params.urlencode(),
    }, status=200 if results is not None else 400)


def _throttled(request: HttpRequest, *, wait: float | None) -> HttpResponse:
    seconds = max(1, math.ceil(wait)) if wait is not None else None
    response = render(request, "search_indexer/throttled.html", {"params": request.GET, "wait": seconds}, status=429)
    if seconds is not None:
        response["Retry-After"] = str(seconds)
    return response
