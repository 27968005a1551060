"""`manage.py reindex`: rebuild the search index from publishing's snapshots without a gap in searches."""
from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from search_indexer import services
from search_indexer.selectors import generation_active, rebuild_current


class Command(BaseCommand):
    help = (
        "Ask publishing for snapshots of every live article and fill a new index generation with them; "
        "searches keep using the current one until the switch. Waits and switches when snapshots stop "
        "coming (or all announced ones arrived); --no-wait only asks."
    )

    def add_arguments(self, parser) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--status", action="store_true", help="show the active generation and any rebuild")
        action.add_argument("--finish", action="store_true", help="switch to the generation being built now")
        action.add_argument("--abandon", action="store_true", help="drop the generation being built")
        parser.add_argument("--no-wait", action="store_true", help="request the rebuild and return at once")
        parser.add_argument("--quiet-seconds", type=float, default=settings.SEARCH_REBUILD_QUIET_SECONDS,
                            help="switch once no snapshot arrived for this long (default: %(default)s)")
        parser.add_argument("--timeout", type=float, default=3600, help="give up waiting after this many seconds")

    def handle(self, *args, **options) -> None:
        if options["status"]:
            return self._status()
        if options["finish"]:
            return self._report(services.rebuild_finish(), "switched to", "no rebuild in progress")
        if options["abandon"]:
            return self._report(services.rebuild_abandon(), "abandoned", "no rebuild in progress")
        try:
            generation = services.rebuild_request()
        except services.RebuildInProgress as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"rebuild {generation.rebuild_id} requested: filling generation {generation.number}, "
                          f"searches use generation {generation_active()} meanwhile")
        if not options["no_wait"]:
            self._wait(number=generation.number, quiet_seconds=options["quiet_seconds"], timeout=options["timeout"])

    def _wait(self, *, number: int, quiet_seconds: float, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            building = rebuild_current()
            if building is None or building.number != number:
                break  # switched by the consumer (all announced snapshots arrived) or by someone else
            self.stdout.write(f"  {building.snapshots_received} snapshots"
                              + (f" of {building.snapshots_expected}" if building.snapshots_expected else ""))
            if services.rebuild_finish_if_quiet(quiet_seconds=quiet_seconds):
                break
            time.sleep(min(5.0, max(quiet_seconds / 4, 0.1)))
        else:
            raise CommandError(f"no switch after {timeout:.0f}s; still building: see --status, then --finish or --abandon")
        if generation_active() == number:
            services.generation_prune()
            self.stdout.write(self.style.SUCCESS(f"searches now use generation {number}; older generations pruned"))
        else:
            self.stdout.write(f"generation {number} was not activated (abandoned?): searches use {generation_active()}")

    def _status(self) -> None:
        self.stdout.write(f"active generation: {generation_active()}")
        building = rebuild_current()
        if building is None:
            self.stdout.write("no rebuild in progress")
        else:
            self.stdout.write(f"building generation {building.number} (rebuild {building.rebuild_id}): "
                              f"{building.snapshots_received} snapshots, expected {building.snapshots_expected or '?'}, "
                              f"last at {building.last_snapshot_at or '-'}")

    def _report(self, generation, done: str, nothing: str) -> None:
        if generation is None:
            raise CommandError(nothing)
        if done == "switched to":
            services.generation_prune()
        self.stdout.write(self.style.SUCCESS(f"{done} generation {generation.number}"))
