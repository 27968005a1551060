"""`manage.py topology`: declare this service's exchanges, queues and bindings, and print them.

Set-up runs it twice over the services: first `--exchanges` for every service (each declares the
exchanges it owns), then plain for every service (queues, and bindings to the producers' exchanges),
so every consumer's queue is bound before any producer starts.
"""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from config.eventbus.broker import broker_connect, exchanges_declare, topology_declare, topology_migrate
from config.eventbus.registry import service_topology


class Command(BaseCommand):
    help = "Declare (idempotently) this service's RabbitMQ topology from its handler registry."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--exchanges", action="store_true", help="only the exchanges this service owns")

    def handle(self, *args, exchanges: bool, **options) -> None:
        topology = service_topology()
        connection = broker_connect(settings.EVENTBUS["BROKER_URL"], name=f"{topology.service}.topology")
        try:
            topology_migrate(connection, topology, log=self.stdout.write)
            if exchanges:
                exchanges_declare(connection.channel(), topology)
                self.stdout.write(f"exchanges {topology.exchange} (unroutable -> {topology.unroutable_exchange}), "
                                  f"{topology.retry_exchange}")
                return
            topology_declare(connection.channel(), topology)
        finally:
            connection.close()
        self.stdout.write(f"exchange {topology.exchange}; queue {topology.queue}; dead {topology.dead_queue}; "
                          f"unroutable {topology.unroutable_queue}")
        for attempt, delay in enumerate(topology.retry_delays, start=1):
            self.stdout.write(f"retry {topology.retry_queue(attempt)} after {delay:g}s")
        for exchange, routing_key in topology.bindings():
            self.stdout.write(f"bind {topology.queue} <- {exchange} {routing_key}")
