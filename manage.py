#!/usr/bin/env python
"""One entry point for all four services; DJANGO_SETTINGS_MODULE chooses which one runs."""
from __future__ import annotations

import os
import sys

SERVICES = ("publishing", "moderation", "notifications", "search_indexer")


def main() -> None:
    module = os.environ.get("DJANGO_SETTINGS_MODULE", "")
    allowed = [f"{service}.settings" for service in SERVICES]
    if module not in allowed and not module.startswith("config.eventbus.tests."):
        shown = module or "unset"
        sys.stderr.write(
            f"DJANGO_SETTINGS_MODULE is {shown}; set it to one of: {', '.join(allowed)}\n"
            f"  e.g. DJANGO_SETTINGS_MODULE=publishing.settings python manage.py migrate\n"
        )
        sys.exit(2)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
