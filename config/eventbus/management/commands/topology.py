"""`manage.py topology`: declare this service's exchange, queues and bindings, and print them."""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from config.eventbus.broker import broker_connect, topology_declare
from config.eventbus.registry import service_topology


class Command(BaseCommand):
    help = "Declare (idempotently) this service's RabbitMQ topology from its handler registry."

    def handle(self, *args, **options) -> None:
        topology = service_topology()
        connection = broker_connect(settings.EVENTBUS["BROKER_URL"], name=f"{topology.service}.topology")
        try:
            topology_declare(connection.channel(), topology)
        finally:
            connection.close()
        self.stdout.write(f"exchange {topology.exchange}; queue {topology.queue}; dead {topology.dead_queue}")
        for attempt, delay in enumerate(topology.retry_delays, start=1):
            self.stdout.write(f"retry {topology.retry_queue(attempt)} after {delay:g}s")
        for exchange, routing_key in topology.bindings():
            self.stdout.write(f"bind {topology.queue} <- {exchange} {routing_key}")
