"""Hostile text at the door: control characters are cleaned out of query strings and API text fields.

PostgreSQL refuses NUL in text (a query or an insert with one is a server error), and no other control
character but tab and line breaks means anything in a title, a note or a search. Cleaning (rather than
refusing) keeps an odd byte from failing a whole search or form; what is left is validated as usual.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.core.validators import RegexValidator
from django.http import HttpRequest, HttpResponse, QueryDict
from rest_framework import serializers

# C0 controls but tab, LF and CR; DEL; C1 controls.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What "not blank" means once cleaned and stripped: at least one character neither whitespace nor control.
# Written into the schema too (drf-spectacular maps a RegexValidator to `pattern`), so clients and
# schemathesis know that "  " or "\x00" is refused.
NOT_BLANK = r"[^\s\x00-\x1f\x7f-\x9f]"


def control_characters_removed(text: str) -> str:
    return CONTROL.sub("", text)


def query_cleaned(query: QueryDict) -> QueryDict:
    cleaned = QueryDict(mutable=True, encoding=query.encoding)
    for key, values in query.lists():
        cleaned.setlist(control_characters_removed(key), [control_characters_removed(value) for value in values])
    cleaned._mutable = False
    return cleaned


class QueryCleaningMiddleware:
    """Every view of every service (the admin's searches and filters included) reads a query string
    without control characters."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("QUERY_STRING"):
            request.GET = query_cleaned(request.GET)
        return self.get_response(request)


class TextField(serializers.CharField):
    """A CharField for untrusted text: only a string (not a number or a list made into one), control
    characters removed before the usual checks, and "not blank" stated in the schema."""

    default_error_messages = {"invalid": "Not a valid string."}

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        if not self.allow_blank:
            self.validators.append(RegexValidator(NOT_BLANK, message="This field may not be blank."))

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str):
            data = control_characters_removed(data)
        elif data not in (serializers.empty, None):
            self.fail("invalid")
        return super().run_validation(data)


class UUIDField(serializers.UUIDField):
    """Only a UUID's text: DRF's field also makes a UUID of a number (and of `false`, which is 0)."""

    def to_internal_value(self, data):
        if not isinstance(data, str | uuid.UUID):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)
