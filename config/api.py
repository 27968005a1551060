"""What every service's REST API shares: the errors its schema documents, JSON 404s (paging: config.paging)."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from drf_spectacular import openapi
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from rest_framework import serializers
from rest_framework.permissions import AllowAny

API_PREFIX = "/api/"


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {},
    "description": "`{field: [messages]}` (nested for lists and objects), or `{detail}` for a body that does not parse",
}


class ExpiringTokenScheme(KnoxTokenScheme):
    """The schema's security scheme for knox tokens sent through config.authentication's subclass."""

    target_class = "config.authentication.ExpiringTokenAuthentication"


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: a path no route matches (a malformed id, say) is a JSON 404 under /api/, as DRF's own are."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


class AutoSchema(openapi.AutoSchema):
    """Every operation documents the errors DRF can answer it with (what a view declares itself wins):
    400 for input, 401/403 where a login is needed, 404 for a path with an id or a page, 415 for a body,
    429 where a throttle applies."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for code, description in self._errors(operation):
            if code not in responses:
                schema = FIELD_ERRORS if code == "400" else ErrorSerializer
                responses[code] = {**self._get_response_for_code(schema, code), "description": description}
        return operation

    def _errors(self, operation: dict) -> list[tuple[str, str]]:
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        errors = []
        if has_body or any(p["in"] == "query" for p in parameters):
            errors.append(("400", "Invalid input: field messages"))
        if not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            if self.view.authentication_classes:
                errors.append(("401", "Not logged in, or the token is invalid or expired"))
            errors.append(("403", "Not allowed"))
        if any(p["in"] == "path" for p in parameters) or any(p["name"] == "page" for p in parameters):
            errors.append(("404", "No such resource (or one the user may not see), or no such page"))
        if has_body:
            errors.append(("415", "A body that is not JSON, form or multipart"))
        if self.view.throttle_classes:
            errors.append(("429", "Throttled: try again after Retry-After seconds"))
        return errors
