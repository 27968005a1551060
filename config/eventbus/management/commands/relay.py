"""`manage.py relay`: publish this service's outbox to RabbitMQ until SIGTERM."""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from config.eventbus.lifecycle import Stopper
from config.eventbus.registry import database_dsn, service_name
from config.eventbus.relay import Relay
from config.tracing import tracing_setup


class Command(BaseCommand):
    help = "Publish outbox rows with windowed publisher confirms; woken by LISTEN/NOTIFY, polling as a fallback."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch", type=int, default=settings.EVENTBUS["RELAY_BATCH"])
        parser.add_argument("--poll", type=float, default=settings.EVENTBUS["RELAY_POLL_SECONDS"])

    def handle(self, *args, batch: int, poll: float, **options) -> None:
        tracing_setup(service=service_name())
        Relay(
            service=service_name(),
            broker_url=settings.EVENTBUS["BROKER_URL"],
            dsn=database_dsn(),
            batch_size=batch,
            poll_seconds=poll,
            retention_seconds=settings.EVENTBUS["OUTBOX_RETENTION_SECONDS"],
            stopper=Stopper().install(),
            heartbeat=settings.EVENTBUS["HEARTBEAT_SECONDS"],
            housekeeping_seconds=settings.EVENTBUS["HOUSEKEEPING_SECONDS"],
        ).run_forever()
