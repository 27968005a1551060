"""The review queue page: thin views over the same services as the API."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from moderation.presentation import queue_item
from moderation.selectors import is_moderator, live_articles, queue_list, reason_codes_active
from moderation.services import (
    ModerationError,
    case_approve,
    case_claim,
    case_reject,
    case_release,
    cases_bulk_approve,
    takedown_request,
)

View = Callable[..., HttpResponse]
FILTERS = ("q", "rule", "claimed", "over_sla")
NOTE_MAX = 2000


def _text(request: HttpRequest, key: str, *, limit: int = NOTE_MAX) -> str:
    """A form field, at most `limit` long (config.input.InputCleaningMiddleware took control characters out)."""
    return request.POST.get(key, "")[:limit]


def _texts(request: HttpRequest, key: str, *, limit: int = 100) -> list[str]:
    return [value[:limit] for value in request.POST.getlist(key)]


def moderator_required(view: View) -> View:
    """Anonymous users go to the login page; signed-in users outside the moderators group get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_moderator(request.user):
            raise PermissionDenied("only moderators may use the review queue")
        return view(request, *args, **kwargs)

    return wrapper


def _back(request: HttpRequest) -> HttpResponseRedirect:
    """To the queue with the filters the moderator had (carried in the form's `back` field)."""
    query = {key: _text(request, f"f_{key}", limit=300) for key in FILTERS}
    query = {key: value for key, value in query.items() if value}
    return HttpResponseRedirect("/queue/" + (f"?{urlencode(query)}" if query else ""))


@require_GET
@moderator_required
def queue_page(request: HttpRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "")[:300] for key in FILTERS}
    cases = queue_list(q=filters["q"], rule=filters["rule"], claimed=filters["claimed"],
                       over_sla=filters["over_sla"] == "1", user=request.user)
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    return render(request, "moderation/queue.html", {
        "page": page,
        "items": [queue_item(case, user_id=request.user.pk) for case in page],
        "filters": filters,
        "reason_codes": reason_codes_active(),
        "live": live_articles()[:50],
    })


def _act(request: HttpRequest, action: Callable[[], object], done: str) -> HttpResponseRedirect:
    try:
        action()
    except ModerationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return _back(request)


@require_POST
@moderator_required
def claim(request: HttpRequest, pk: str) -> HttpResponse:
    return _act(request, lambda: case_claim(case_id=pk, user=request.user), "Claimed.")


@require_POST
@moderator_required
def release(request: HttpRequest, pk: str) -> HttpResponse:
    return _act(request, lambda: case_release(case_id=pk, user=request.user), "Released.")


@require_POST
@moderator_required
def approve(request: HttpRequest, pk: str) -> HttpResponse:
    note = _text(request, "note")
    return _act(request, lambda: case_approve(case_id=pk, user=request.user, note=note), "Approved.")


@require_POST
@moderator_required
def reject(request: HttpRequest, pk: str) -> HttpResponse:
    reasons, note = _texts(request, "reasons"), _text(request, "note")
    return _act(request, lambda: case_reject(case_id=pk, user=request.user, reasons=reasons, note=note), "Rejected.")


@require_POST
@moderator_required
def bulk_approve(request: HttpRequest) -> HttpResponse:
    result = cases_bulk_approve(case_ids=_texts(request, "ids"), user=request.user)
    messages.success(request, f"Approved {len(result.approved)}.")
    for case_id, why in result.skipped.items():
        messages.warning(request, f"Skipped {case_id}: {why}")
    return _back(request)


@require_POST
@moderator_required
def takedown(request: HttpRequest) -> HttpResponse:
    article_id, reason = _text(request, "article_id", limit=100), _text(request, "reason", limit=100)
    note = _text(request, "note")
    return _act(request, lambda: takedown_request(article_id=article_id, reason=reason, user=request.user, note=note),
                "Takedown requested.")
