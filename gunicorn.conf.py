"""gunicorn's settings file, read from the folder gunicorn starts in (the repository root, /app in the
image) by every service's web: only the hooks; bind, workers and logs are on each command line."""
from __future__ import annotations


def child_exit(server, worker) -> None:
    # prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR): a dead worker's live gauges go.
    from config.eventbus.metrics import process_dead

    process_dead(worker.pid)
