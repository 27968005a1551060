"""The bus in every service's admin: outbox, inbox, unroutable counts, and dead letters with replay."""
from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from config.eventbus.broker import CONNECTION_ERRORS
from config.eventbus.deadletters import (
    DEAD,
    UNROUTABLE,
    deadletter_list,
    deadletter_purge,
    deadletter_replay,
)
from config.eventbus.models import (
    DeadLetter,
    InboxMessage,
    OutboxMessage,
    UnroutableEvent,
    UnroutableLetter,
)
from config.eventbus.registry import service_topology


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["event_type", "event_id", "subject", "created_at", "attempts", "sent_at"]
    list_filter = ["event_type", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["event_id", "subject", "correlation_id"]


@admin.register(InboxMessage)
class InboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["event_type", "event_id", "correlation_id", "processed_at"]
    list_filter = ["event_type"]
    search_fields = ["event_id", "correlation_id"]


@admin.register(UnroutableEvent)
class UnroutableEventAdmin(ReadOnlyAdmin):
    list_display = ["event_type", "count", "last_event_id", "last_seen_at"]


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    """Lists `<service>.dead` straight from RabbitMQ; replay and purge act on the selected messages."""

    which = DEAD
    label = "Dead letters"
    replay_help = "Replay sends a message back into the service's queue for a fresh set of tries."

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        where = {"broker_url": settings.EVENTBUS["BROKER_URL"], "topology": service_topology(), "which": self.which}
        if request.method == "POST":
            return self._act(request, where)
        try:
            letters, error = deadletter_list(**where), ""
        except CONNECTION_ERRORS as exc:
            letters, error = [], f"RabbitMQ cannot be reached: {exc}"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{self.label} in {where['topology'].service}.{self.which}",
            "label": self.label,
            "replay_help": self.replay_help,
            "letters": letters,
            "error": error,
            "can_act": self.has_change_permission(request),
            "can_purge": self.has_delete_permission(request),
        }
        return TemplateResponse(request, "admin/eventbus/deadletters.html", context)

    def _act(self, request: HttpRequest, where: dict) -> HttpResponse:
        action = request.POST.get("action")
        ids = set(request.POST.getlist("message_id"))
        if action == "replay" and self.has_change_permission(request) and ids:
            count = deadletter_replay(**where, message_ids=ids)
            self.message_user(request, f"Replayed {count} message(s) from {where['topology'].service}.{self.which}.")
        elif action == "purge" and self.has_delete_permission(request) and ids:
            count = deadletter_purge(**where, message_ids=ids)
            self.message_user(request, f"Purged {count} message(s).", messages.WARNING)
        else:
            self.message_user(request, "Select messages and an action you are allowed to take.", messages.ERROR)
        return HttpResponseRedirect(request.path)


@admin.register(UnroutableLetter)
class UnroutableLetterAdmin(DeadLetterAdmin):
    """Lists `<service>.unroutable`: events of this service that no queue was bound for."""

    which = UNROUTABLE
    label = "Unroutable events"
    replay_help = "Replay publishes an event again on the exchange it came by, for whoever is bound by now."
