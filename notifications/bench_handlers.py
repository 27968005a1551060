"""CPU and SQL per event of notifications' handlers and of the author's delivery (not a test).

Registers 20 authors, then applies N article.published events as publishing sends them, with
`config.eventbus.inbox.message_apply` (contract checks, inbox row and the handler in one transaction
each; tracing set up as `manage.py consume` does), and prints the CPU
milliseconds (time.process_time) and SQL statements per event in the consumer. With --worker it also starts
a Celery worker as the Procfile does and prints the CPU it spent per delivery (from /proc), so the whole
cost of an author's notification is counted, the Celery hop included. Run it in its own database:

    NOTIFICATIONS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/HM_notifications \\
    BROKER_URL=amqp://guest:guest@127.0.0.1:5672/platform_HM DEBUG=true \\
    .venv/bin/python -m notifications.bench_handlers --events 300 --worker
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "notifications.settings")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from config.celery import app as celery_app  # noqa: E402
from config.eventbus.envelope import Event  # noqa: E402
from config.eventbus.inbox import APPLIED, message_apply  # noqa: E402
from config.testing import statements_counted  # noqa: E402
from config.tracing import tracing_setup  # noqa: E402
from notifications.handlers import EVENT_HANDLERS  # noqa: E402
from notifications.models import Delivery, DeliveryStatus  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def envelope(event_type: str, data: dict, subject: str) -> bytes:
    event = Event(type=event_type, source="publishing", subject=subject, data=data, correlationid=str(uuid.uuid4()),
                  dataschema=f"urn:contract:{event_type}:v1",
                  traceparent=f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01")
    return event.to_json().encode()


def author_registered(index: int) -> tuple[dict, bytes]:
    author = {"author_id": str(uuid.uuid4()), "username": f"bench{index}", "display_name": f"Bench {index}",
              "email": f"bench{index}@example.org", "preferences": {}}
    return author, envelope("author.registered", author, f"author/{author['author_id']}")


def article_published(author: dict) -> bytes:
    article_id = str(uuid.uuid4())
    slug = article_id[:8]
    return envelope("article.published", {
        "article_id": article_id, "revision": 1, "title": f"Bench article {article_id[:8]}",
        "summary": "A summary of twelve words or so, as the end-to-end bench writes.",
        "body": "Plain prose. " * 60, "tags": ["bench"],
        "author": {"id": author["author_id"], "username": author["username"], "display_name": author["display_name"]},
        "slug": slug, "url": f"/articles/{slug}/", "published_at": _now()}, f"article/{article_id}")


def apply_all(raws: list[bytes]) -> tuple[list[float], list[int]]:
    cpu, statements = [], []
    # The console email backend writes each message to stdout: away from the report.
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        for raw in raws:
            with statements_counted() as count:
                started = time.process_time()
                outcome = message_apply(raw, EVENT_HANDLERS)
                cpu.append((time.process_time() - started) * 1000)
            statements.append(count[0] + 1)
            assert outcome.kind == APPLIED, outcome
    return cpu, statements


def report(label: str, cpu: list[float], statements: list[int] | None = None) -> None:
    line = (f"{label:<26} n={len(cpu):<5} cpu ms/event mean {statistics.fmean(cpu):6.2f}  "
            f"p50 {statistics.median(cpu):6.2f}  p95 {sorted(cpu)[int(len(cpu) * 0.95)]:6.2f}")
    print(line + (f"  SQL/event {statistics.fmean(statements):5.1f}" if statements else ""), flush=True)


def _tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children still running (a prefork worker's pool)."""
    pids = [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    total = 0
    for each in pids:
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{each}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def worker_start() -> subprocess.Popen:
    """A worker as the Procfile starts it, once it answers a ping."""
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "config.celery", "worker", "-n", f"bench-{os.getpid()}@%h",
         "-Q", "notifications.tasks", "--concurrency", "2", "--loglevel", "WARNING"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not celery_app.control.ping(timeout=0.5):
        if time.monotonic() > deadline:
            raise SystemExit("the Celery worker did not start")
    time.sleep(1)  # the pool's children start after the ping
    return worker


def deliveries_settled(ids: list[str], *, timeout: float = 300) -> int:
    deadline = time.monotonic() + timeout
    while (pending := Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.PENDING).count()) and \
            time.monotonic() < deadline:
        time.sleep(0.2)
    return pending


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300, help="events of each type, after the warm-up")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--authors", type=int, default=20)
    parser.add_argument("--worker", action="store_true", help="count a Celery worker's CPU per delivery too")
    parser.add_argument("--no-tracing", action="store_true", help="as a process without tracing_setup")
    options = parser.parse_args()
    if not options.no_tracing:
        tracing_setup(service="notifications")
    celery_app.control.purge()
    worker = worker_start() if options.worker else None
    authors, registrations = zip(*map(author_registered, range(options.authors)), strict=True)
    apply_all(list(registrations))
    raws = [article_published(authors[i % len(authors)]) for i in range(options.warmup + options.events)]
    started = timezone.now()
    apply_all(raws[:options.warmup])
    mark = timezone.now()
    if worker is not None:  # the warm-up's deliveries are done before counting
        deliveries_settled(list(Delivery.objects.filter(created_at__gte=started).values_list("pk", flat=True)))
        worker_cpu = _tree_cpu_seconds(worker.pid)
    report("article.published", *apply_all(raws[options.warmup:]))
    measured = [str(pk) for pk in Delivery.objects.filter(created_at__gte=mark).values_list("pk", flat=True)]
    if worker is not None:
        left = deliveries_settled(measured)
        spent = _tree_cpu_seconds(worker.pid) - worker_cpu
        print(f"{'delivery (Celery worker)':<26} n={len(measured):<5} cpu ms/delivery {1000 * spent / len(measured):6.2f}"
              f"  (not settled: {left})", flush=True)
        worker.terminate()
        worker.wait(30)
    sent = Delivery.objects.filter(pk__in=measured).values_list("status", flat=True)
    print(json.dumps({"deliveries": len(measured),
                      "sent": sum(status == DeliveryStatus.SENT for status in sent)}))


if __name__ == "__main__":
    main()
