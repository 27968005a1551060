"""Logins of every service: the client address axes keys lock-outs on, the lock-out answer, API tokens."""
from __future__ import annotations

import binascii
import ipaddress
import re
from hmac import compare_digest

from axes.helpers import get_cool_off, get_lockout_message
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from config.prepared import prepared_models


def client_ip(request: HttpRequest) -> str | None:
    """The address that connected, or the one the last trusted proxy saw connect.

    X-Forwarded-For is anyone's to write: only the TRUSTED_PROXY_COUNT entries our own proxies appended
    (the rightmost ones) are believed. A value that is not an address counts as no header at all, so a
    forged one can neither pick whom a lock-out hits nor reach the database as a bad `inet`.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")]
    candidate = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def lockout_seconds(request: HttpRequest) -> int:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else 0


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """What a locked-out form login (moderation's, every admin's) gets: a page saying why and for how long."""
    seconds = lockout_seconds(request)
    html = render_to_string("lockout.html", {"message": get_lockout_message(), "minutes": -(-seconds // 60)},
                            request=request)
    response = HttpResponse(html, status=settings.AXES_HTTP_RESPONSE_CODE)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


# What knox hands out: its prefix (none here) and AUTH_TOKEN_CHARACTER_LENGTH hex digits.
TOKEN = re.compile(f"{re.escape(knox_settings.TOKEN_PREFIX)}[0-9a-fA-F]{{{knox_settings.AUTH_TOKEN_CHARACTER_LENGTH}}}")


class ExpiringTokenAuthentication(TokenAuthentication):
    """knox's tokens (stored hashed, with an expiry, revocable); a header that is not text is a bad token."""

    def authenticate_credentials(self, token: bytes):
        """knox's check, its candidates (the tokens with the key's prefix, with their user) read in one
        prepared statement: every API request runs it, and the ORM's composing cost more than the read."""
        try:
            text = token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        if not TOKEN.fullmatch(text):  # not one of knox's: never sent to the database (a NUL there is an error)
            raise exceptions.AuthenticationFailed("Invalid token.")
        model = get_token_model()
        candidates = prepared_models(model, f"{model._meta.db_table}.token_key = %s",
                                     [text[:CONSTANTS.TOKEN_KEY_LENGTH]], related=("user",))
        for auth_token in candidates:
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed("Invalid token.") from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed("Invalid token.")

    def _cleanup_token(self, auth_token) -> bool:
        """An expired token is deleted and refused, as knox does. knox also reads all of the user's other
        tokens on every request to delete the expired ones: a query per request for housekeeping, done at
        login instead (tokens_expired_delete)."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


def tokens_expired_delete(*, user) -> int:
    """Delete `user`'s expired API tokens (knox's per-request clean-up, once per login); how many went."""
    expired = list(get_token_model().objects.filter(user=user, expiry__lt=timezone.now()))
    for token in expired:
        token.delete()
        token_expired.send(sender=ExpiringTokenAuthentication, username=user.get_username(), source="other_token")
    return len(expired)
