"""`manage.py deadletters [--unroutable] list|show|replay|purge`: the operator's handle on
`<service>.dead` (or `<service>.unroutable`)."""
from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.eventbus.deadletters import (
    DEAD,
    UNROUTABLE,
    deadletter_get,
    deadletter_list,
    deadletter_purge,
    deadletter_replay,
)
from config.eventbus.registry import service_topology


class Command(BaseCommand):
    help = "List, show, replay or purge the messages in this service's dead-letter queue."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--unroutable", action="store_true",
                            help="act on <service>.unroutable (events no queue took) instead of <service>.dead")
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="one line per dead letter")
        show = sub.add_parser("show", help="headers and body of one dead letter")
        show.add_argument("message_id")
        for name, verb in (("replay", "send back to the service's queue"), ("purge", "delete")):
            action = sub.add_parser(name, help=f"{verb}: the given message ids, or --all")
            action.add_argument("message_ids", nargs="*")
            action.add_argument("--all", action="store_true")

    def handle(self, *args, action: str, unroutable: bool, **options) -> None:
        which = UNROUTABLE if unroutable else DEAD
        where = {"broker_url": settings.EVENTBUS["BROKER_URL"], "topology": service_topology(), "which": which}
        if action == "list":
            letters = deadletter_list(**where)
            for letter in letters:
                self.stdout.write(
                    f"{letter.message_id}  {letter.event_type}  {letter.reason}  attempts={letter.attempts}  "
                    f"{letter.failed_at}  {letter.error_line}"
                )
            self.stdout.write(f"{len(letters)} message(s) in {where['topology'].service}.{which}")
        elif action == "show":
            letter = deadletter_get(**where, message_id=options["message_id"])
            if letter is None:
                raise CommandError(f"no message with message id {options['message_id']} in {which}")
            self.stdout.write(json.dumps({"headers": letter.headers, "event": letter.event or letter.body}, indent=2))
        else:
            ids = None if options["all"] else set(options["message_ids"])
            if ids is not None and not ids:
                raise CommandError(f"{action}: name message ids or pass --all")
            act = deadletter_replay if action == "replay" else deadletter_purge
            count = act(**where, message_ids=ids)
            self.stdout.write(f"{'replayed' if action == 'replay' else 'purged'} {count} message(s) from {which}")
