"""Hostile text at the door: control characters are cleaned out of query strings, form bodies and API text
fields, and a path with one is a 404.

PostgreSQL refuses NUL in text (a query or an insert with one is a server error), and no other control
character but tab and line breaks means anything in a title, a note or a search. Cleaning (rather than
refusing) keeps an odd byte from failing a whole search or form; what is left is validated as usual.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import django_filters
from django import forms
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from rest_framework import serializers

from config.api import API_PREFIX, not_found

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


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class InputCleaningMiddleware:
    """Outside the APIs every view of every service (the admin's lists, forms and actions included) reads
    its query string and form body without control characters; no view sees a path with one (the admin
    would look a string key up with it: a NUL there is a server error).

    The APIs' input is left to their serializers and filters (TextField, TextFilter): they check a length
    against the text as sent, which is what the schema's maxLength says, and clean it after.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if CONTROL.search(request.path_info):
            return not_found(request, Http404("no such path"))
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        if request.META.get("QUERY_STRING"):
            request.GET = query_cleaned(request.GET)
        if request.method == "POST" and request.content_type in FORMS:
            request.POST = query_cleaned(request.POST)
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict) -> None:
        """An admin action's selection keeps only ids of the model's key type: Django would filter on
        `pk__in` with whatever was posted, and an id that is no number (or UUID) there is a server error."""
        model_admin = getattr(view_func, "model_admin", None)  # set by ModelAdmin.get_urls on its views
        if model_admin is None or request.method != "POST" or ACTION_CHECKBOX_NAME not in request.POST:
            return None
        key = model_admin.model._meta.pk
        selection = request.POST.copy()
        selection.setlist(ACTION_CHECKBOX_NAME, [pk for pk in request.POST.getlist(ACTION_CHECKBOX_NAME) if _is_key(key, pk)])
        request.POST = selection
        return None


def _is_key(field: models.Field, value: str) -> bool:
    try:
        field.to_python(value)
    except ValidationError:
        return False
    return True


class TextField(serializers.CharField):
    """A CharField for untrusted text: only a string (not a number or a list made into one), no longer
    than max_length as sent (the schema's maxLength, not the length once trimmed), control characters
    removed before the usual checks (unless clean=False: a field with a pattern of its own is taken as
    sent, so that the pattern in the schema says what is accepted), and "not blank" stated in the schema."""

    default_error_messages = {"invalid": "Not a valid string."}

    def __init__(self, *, clean: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.clean = clean
        if not self.allow_blank:
            self.validators.append(RegexValidator(NOT_BLANK, message="This field may not be blank."))

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str):
            if self.max_length is not None and len(data) > self.max_length:
                self.fail("max_length", max_length=self.max_length, length=len(data))
            data = control_characters_removed(data) if self.clean else data
        elif data not in (serializers.empty, None):
            self.fail("invalid")
        return super().run_validation(data)


class UUIDField(serializers.UUIDField):
    """Only a UUID's text: DRF's field also makes a UUID of a number (and of `false`, which is 0)."""

    def to_internal_value(self, data):
        if not isinstance(data, str | uuid.UUID):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class TextFormField(forms.CharField):
    def to_python(self, value):
        return control_characters_removed(super().to_python(value))


class TextFilter(django_filters.CharFilter):
    """A django-filter text filter that cleans control characters out (as TextField does) instead of refusing NUL."""

    field_class = TextFormField
