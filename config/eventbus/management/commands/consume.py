"""`manage.py consume`: apply incoming events with this service's handlers until SIGTERM."""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from config.eventbus.connections import django_connection_named
from config.eventbus.consumer import Consumer
from config.eventbus.lifecycle import Stopper
from config.eventbus.registry import database_dsn, event_handlers, service_name, service_topology
from config.tracing import tracing_setup


class Command(BaseCommand):
    help = "Declare this service's topology and consume its queue: one transaction and inbox row per event."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--prefetch", type=int, default=settings.EVENTBUS["PREFETCH"])

    def handle(self, *args, prefetch: int, **options) -> None:
        tracing_setup(service=service_name())
        django_connection_named(f"{service_name()}.consumer")
        Consumer(
            topology=service_topology(),
            broker_url=settings.EVENTBUS["BROKER_URL"],
            handlers=event_handlers(),
            prefetch=prefetch,
            stopper=Stopper().install(),
            dsn=database_dsn(),
            heartbeat=settings.EVENTBUS["HEARTBEAT_SECONDS"],
            housekeeping_seconds=settings.EVENTBUS["HOUSEKEEPING_SECONDS"],
            inbox_retention_days=settings.EVENTBUS["INBOX_RETENTION_DAYS"],
        ).run_forever()
