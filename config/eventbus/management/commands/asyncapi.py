"""`manage.py asyncapi [--check]`: write (or check) `<service>/asyncapi.json`."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.eventbus.asyncapi import asyncapi_json
from config.eventbus.registry import service_topology


class Command(BaseCommand):
    help = "Generate this service's AsyncAPI 3 document from its handler registry and the contracts."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="fail if the committed document is out of date")
        # dest is not "stdout": call_command passes stdout= (the stream) under that name.
        parser.add_argument("--stdout", dest="print_only", action="store_true", help="print instead of writing the file")

    def handle(self, *args, check: bool, print_only: bool, **options) -> None:
        topology = service_topology()
        document = asyncapi_json(topology)
        path = Path(settings.BASE_DIR) / topology.service / "asyncapi.json"
        if print_only:
            self.stdout.write(document, ending="")
        elif check:
            if not path.exists() or path.read_text() != document:
                raise CommandError(f"{path} is out of date: run DJANGO_SETTINGS_MODULE={topology.service}.settings "
                                   "python manage.py asyncapi")
            self.stdout.write(f"{path} is current")
        else:
            path.write_text(document)
            self.stdout.write(f"wrote {path}")
