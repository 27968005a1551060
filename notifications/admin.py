"""Admin of notifications: who to tell, and the delivery log with a resend action (dead letters come from config.eventbus)."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from notifications.models import (
    WEBHOOK_EVENT_TYPES,
    AuthorContact,
    Delivery,
    ModeratorRecipient,
    WebhookSubscription,
)
from notifications.services import AlreadySent, delivery_resend
from notifications.webhook_targets import TargetRefused, TargetUnresolved, webhook_target


@admin.register(ModeratorRecipient)
class ModeratorRecipientAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "active"]
    list_editable = ["active"]
    search_fields = ["name", "email"]


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=[(t, t) for t in WEBHOOK_EVENT_TYPES], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "secret", "event_types", "active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            webhook_target(url=url)
        except (TargetRefused, TargetUnresolved) as exc:
            raise forms.ValidationError(str(exc)) from exc
        return url


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["name", "url", "event_types", "active", "created_at"]
    list_filter = ["active"]


@admin.register(AuthorContact)
class AuthorContactAdmin(admin.ModelAdmin):
    # Publishing owns this data; here it is a read-only copy kept current by author.* events.
    list_display = ["username", "display_name", "email", "source_time"]
    search_fields = ["username", "display_name", "email"]
    readonly_fields = ["author_id", "username", "display_name", "email", "preferences", "source_time", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event_type", "channel", "recipient", "address", "status", "attempts",
                    "short_error", "sent_at"]
    list_filter = ["status", "channel", "event_type"]
    search_fields = ["address", "recipient", "=event_id", "=article_id", "=correlation_id"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    readonly_fields = [field.name for field in Delivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False

    @admin.display(description="last error")
    def short_error(self, obj: Delivery) -> str:
        return obj.last_error[:80]

    @admin.action(description="Resend the selected deliveries (failed or stuck ones; never a sent one)")
    def resend(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        resent, refused = 0, 0
        for delivery in queryset:
            try:
                delivery_resend(delivery=delivery)
                resent += 1
            except AlreadySent:
                refused += 1
        self.message_user(request, f"{resent} queued to resend.")
        if refused:
            self.message_user(request, f"{refused} already sent: not sent again.", messages.WARNING)
