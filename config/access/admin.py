"""API tokens in every admin: seen and revoked (deleted) there, never made there.

knox's own admin would let staff create a token and leave its expiry empty, a credential that never
expires; tokens come only from `POST /api/auth/token/` (or `create_api_token`), always with one.
"""
from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from knox.models import AuthToken

if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("token_key", "user", "created", "expiry")
    list_filter = ("created", "expiry")
    search_fields = ("token_key", "user__username")
    fields = ("token_key", "user", "created", "expiry")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
