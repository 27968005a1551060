"""Paging for every service's API lists (apart from config.api: DRF's generics import this at class creation)."""
from __future__ import annotations

import re

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

PAGE = re.compile(r"0*[1-9][0-9]*")


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's paging, but a page that is not a positive whole number is a 400 with a field message
    (DRF reads a blank one as page 1 and answers 404 for "x"); one past the last page stays a 404."""

    last_page_strings: tuple = ()

    def get_page_number(self, request, paginator) -> str | int:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not PAGE.fullmatch(raw):
            raise ValidationError({self.page_query_param: ["A page number: a whole number from 1."]})
        # Django's paginator turns it into a number (a page too far, however many digits, is a 404).
        return raw

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return parameters
