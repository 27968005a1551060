"""API tokens: obtained with a password (locked out after repeated failures), expiring, revocable."""
from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.views import LoginView, LogoutView
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import FIELD_ERRORS, ErrorSerializer
from config.authentication import ExpiringTokenAuthentication, lockout_seconds, tokens_expired_delete
from config.input import TextField


class LockedOut(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"
    default_detail = "Account locked: too many login attempts from this address. Try again later."

    def __init__(self, *, wait: int) -> None:
        super().__init__()
        self.wait = wait or None  # DRF's exception handler turns it into Retry-After


class TokenLoginApi(LoginView):
    """Exchange a username and password for a token; every attempt goes through axes (authenticate)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class LoginSerializer(serializers.Serializer):
        username = TextField(max_length=150)
        # Control characters removed: no password set through Django's validators holds one.
        password = TextField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})

    class TokenSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
        expires = serializers.DateTimeField(help_text="The token is refused (401) from then on.")

    @extend_schema(
        operation_id="auth_token_create",
        request=LoginSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(FIELD_ERRORS, description="field messages (a field missing, blank or too long)"),
            401: OpenApiResponse(ErrorSerializer, description="wrong username or password"),
            429: OpenApiResponse(ErrorSerializer, description="locked out after repeated failures, or throttled"),
        },
        auth=[],
    )
    def post(self, request: Request, format: str | None = None) -> Response:
        data = self.LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The DRF request, not the Django one: axes flags the lock-out on the request it is given.
        user = authenticate(request=request, **data.validated_data)
        if getattr(request, "axes_locked_out", False):
            raise LockedOut(wait=lockout_seconds(request))
        if user is None:
            # 401, not DRF's 400: the input was well-formed, the credentials are what is refused.
            return Response({"detail": "Unable to log in with provided credentials."},
                            status=status.HTTP_401_UNAUTHORIZED, headers={"WWW-Authenticate": "Token"})
        request.user = user
        tokens_expired_delete(user=user)
        return super().post(request, format=format)

    def get_post_response_data(self, request: Request, token: str, instance) -> dict:
        return {"token": token, "expires": self.format_expiry_datetime(instance.expiry)}


class TokenLogoutApi(LogoutView):
    """Revoke the token this request came with; the author's other tokens keep working."""

    authentication_classes = [ExpiringTokenAuthentication]

    @extend_schema(operation_id="auth_logout_create", request=None,
                   responses={204: None, 401: ErrorSerializer})
    def post(self, request: Request, format: str | None = None) -> Response:
        return super().post(request, format=format)
