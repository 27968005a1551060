"""CPU and SQL per article of publishing's own work, request by request and event by event (not a test).

For N articles: the author's create and submit through the whole Django stack (middleware, knox token,
throttles, DRF; the test client, so no socket and no gunicorn), then the events publishing consumes about
each, through `config.eventbus.inbox.message_apply` as the consumer applies them: moderation.approved
(publishes the article), search.indexed and the author's notification.sent. Tracing is set up as the web
and the consumer do. Prints per step the CPU milliseconds of this process (time.process_time), the CPU of
its PostgreSQL backend (from /proc, when the server runs on this machine) and the SQL statements. Run it
in its own database:

    PUBLISHING_DATABASE_URL=postgres://postgres@127.0.0.1:5432/HP_bench_publishing \\
    BROKER_URL=amqp://guest:guest@127.0.0.1:5672/platform_HP DEBUG=true \\
    .venv/bin/python -m publishing.bench_requests --articles 200

(`manage.py migrate` that database first.) Under a profiler: `py-spy record --format raw -o /tmp/p.txt --
.venv/bin/python -m publishing.bench_requests`.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "publishing.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from config.eventbus.envelope import Event, utc_now_iso  # noqa: E402
from config.eventbus.inbox import message_apply  # noqa: E402
from config.eventbus.models import OutboxMessage  # noqa: E402
from config.testing import statements_counted  # noqa: E402
from config.throttling import throttles_clear  # noqa: E402
from config.tracing import tracing_setup  # noqa: E402
from publishing.handlers import EVENT_HANDLERS  # noqa: E402
from publishing.services import author_create  # noqa: E402

STEPS = ("create", "submit", "moderation.approved", "search.indexed", "notification.sent")
PRODUCERS = {"moderation": "moderation", "search": "search_indexer", "notification": "notifications"}
PER_AUTHOR = 50  # the submissions throttle allows 60 an hour
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def _backend_ticks(pid: int | None) -> int:
    if pid is None:
        return 0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


@contextmanager
def measured(step: str, figures: dict[str, list[tuple[float, int]]], backend: int | None) -> Iterator[None]:
    ticks, started = _backend_ticks(backend), time.process_time()
    with statements_counted() as count:
        yield
    figures[step].append(((time.process_time() - started) * 1000, count[0]))
    figures[f"{step} (postgres)"].append(((_backend_ticks(backend) - ticks) * TICK_MS, 0))


def _event(event_type: str, data: dict) -> bytes:
    trace = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"
    event = Event(type=event_type, source=PRODUCERS[event_type.split(".")[0]], subject=f"article/{data['article_id']}",
                  data=data, correlationid=str(uuid.uuid4()), dataschema=f"urn:contract:{event_type}:v1",
                  traceparent=trace)
    return event.to_json().encode()


def _applied(raw: bytes) -> None:
    outcome = message_apply(raw, EVENT_HANDLERS)
    assert outcome.kind == "applied", outcome


def one_article(client: Client, index: int, figures: dict, backend: int | None) -> None:
    body = {"title": f"Bench article {index} {uuid.uuid4().hex[:8]}", "summary": "A summary.",
            "body": "\n\n".join(["Some words of a paragraph, " * 12] * 3), "tags": ["bench"]}
    with measured("create", figures, backend):
        created = client.post("/api/articles/", json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content
    article_id = created.json()["id"]
    with measured("submit", figures, backend):
        submitted = client.post(f"/api/articles/{article_id}/submit/", "{}", content_type="application/json")
    assert submitted.status_code == 200, submitted.content
    decided_by = {"kind": "auto", "id": None, "name": "rules v3"}
    approved = {"article_id": article_id, "revision": 1, "score": 0.1, "reasons": [], "decided_by": decided_by,
                "decided_at": utc_now_iso()}
    with measured("moderation.approved", figures, backend):
        _applied(_event("moderation.approved", approved))
    published = OutboxMessage.objects.filter(event_type="article.published", subject=f"article/{article_id}").get()
    indexed = {"article_id": article_id, "revision": 1, "indexed_at": utc_now_iso()}
    with measured("search.indexed", figures, backend):
        _applied(_event("search.indexed", indexed))
    notice = {"notification_id": str(uuid.uuid4()), "article_id": article_id, "channel": "email",
              "recipient": "a***@example.org", "event_id": str(published.event_id), "sent_at": utc_now_iso(),
              "error": None}
    with measured("notification.sent", figures, backend):
        _applied(_event("notification.sent", notice))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200, help="articles measured, after the warm-up")
    parser.add_argument("--warmup", type=int, default=20)
    options = parser.parse_args()
    tracing_setup(service="publishing")
    # One connection (one backend to read the CPU of) for the whole run, where the web renews it each minute.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = None
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    throttles_clear()
    run = uuid.uuid4().hex[:6]
    clients = []
    for number in range(-(-(options.warmup + options.articles) // PER_AUTHOR)):
        author = author_create(username=f"bench-{run}-{number}", email=f"bench-{run}-{number}@example.org",
                               password="correct-Horse-battery-42")
        clients.append(Client(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(author.user)[1]}"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    backend = pid if Path(f"/proc/{pid}").exists() else None
    figures: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for index in range(options.warmup):
        one_article(clients[index // PER_AUTHOR], index, defaultdict(list), backend)
    for index in range(options.warmup, options.warmup + options.articles):
        one_article(clients[index // PER_AUTHOR], index, figures, backend)
    total_cpu = total_pg = total_sql = 0.0
    for step in STEPS:
        cpu = [ms for ms, _ in figures[step]]
        pg = statistics.fmean(ms for ms, _ in figures[f"{step} (postgres)"])
        sql = statistics.fmean(n for _, n in figures[step])
        total_cpu, total_pg, total_sql = total_cpu + statistics.fmean(cpu), total_pg + pg, total_sql + sql
        print(f"{step:<20} cpu ms mean {statistics.fmean(cpu):6.2f}  p50 {statistics.median(cpu):6.2f}  "
              f"postgres ms {pg:5.2f}  SQL {sql:5.1f}")
    print(f"{'per article':<20} cpu ms {total_cpu:6.2f}  postgres ms {total_pg:5.2f}  SQL {total_sql:5.1f}"
          f"  (n={options.articles})")


if __name__ == "__main__":
    main()
