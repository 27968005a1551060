"""CPU and SQL per event of moderation's handlers, through the consumer's own path (not a test).

Applies N article.submitted and N article.published events, as publishing sends them for the articles of
`make bench-e2e` (three paragraphs, 20 authors, the new-author and rate rules off unless --all-rules), with
`config.eventbus.inbox.message_apply`: contract checks, inbox row and the handler in one transaction each,
tracing set up as `manage.py consume` does. Prints per event type the CPU milliseconds per event
(time.process_time) and the SQL statements per event. Run it in its own database:

    MODERATION_DATABASE_URL=postgres://postgres@127.0.0.1:5432/HM_moderation \\
    BROKER_URL=amqp://guest:guest@127.0.0.1:5672/platform_HM DEBUG=true \\
    .venv/bin/python -m moderation.bench_handlers --events 500

Under a profiler: `py-spy record --format raw -o /tmp/moderation.txt -- .venv/bin/python -m moderation.bench_handlers`.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moderation.settings")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from config.eventbus.envelope import Event  # noqa: E402
from config.eventbus.inbox import APPLIED, message_apply  # noqa: E402
from config.testing import statements_counted  # noqa: E402
from config.tracing import tracing_setup  # noqa: E402
from moderation.handlers import EVENT_HANDLERS  # noqa: E402
from moderation.models import Case, CaseStatus, Rule  # noqa: E402
from moderation.rules import Submission, shingles, sketch  # noqa: E402

HUMAN_RULES = ("new_author", "submission_rate")  # what bench-e2e switches off
WORDS = ("the council said on tuesday that its plan for the river path would open next spring after a long "
         "review of costs and of what residents asked for in letters cafe owners welcomed it while some "
         "cyclists worried about the narrow bridge near the old mill").split()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def envelope(event_type: str, data: dict, *, source: str = "publishing") -> bytes:
    """The wire bytes of one event as a traced producer sends it."""
    trace = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"
    event = Event(type=event_type, source=source, subject=f"article/{data['article_id']}", data=data,
                  correlationid=str(uuid.uuid4()), dataschema=f"urn:contract:{event_type}:v1", traceparent=trace)
    return event.to_json().encode()


def article_submitted(rng: random.Random, author: dict) -> dict:
    words = lambda n: " ".join(rng.choice(WORDS) for _ in range(n))  # noqa: E731
    return {"article_id": str(uuid.uuid4()), "revision": 1, "title": f"{words(4).title()} {uuid.uuid4().hex[:8]}",
            "summary": words(12).capitalize() + ".",
            "body": "\n\n".join(words(rng.randint(40, 70)).capitalize() + "." for _ in range(3)),
            "tags": [rng.choice(WORDS)], "author": author, "submitted_at": _now()}


def article_published(submitted: dict) -> dict:
    slug = submitted["article_id"][:8]
    return {**{k: submitted[k] for k in ("article_id", "revision", "title", "summary", "body", "tags", "author")},
            "slug": slug, "url": f"/articles/{slug}/", "published_at": _now()}




def measure(raws: list[bytes]) -> tuple[list[float], list[int]]:
    cpu, statements = [], []
    for raw in raws:
        with statements_counted() as count:
            started = time.process_time()
            outcome = message_apply(raw, EVENT_HANDLERS)
            cpu.append((time.process_time() - started) * 1000)
        statements.append(count[0] + 1)
        assert outcome.kind == APPLIED, outcome
    return cpu, statements


def report(event_type: str, cpu: list[float], statements: list[int]) -> None:
    print(f"{event_type:<22} n={len(cpu):<5} cpu ms/event mean {statistics.fmean(cpu):6.2f}  "
          f"p50 {statistics.median(cpu):6.2f}  p95 {sorted(cpu)[int(len(cpu) * 0.95)]:6.2f}  "
          f"SQL/event {statistics.fmean(statements):5.1f}")


def rejected_ensure(count: int, rng: random.Random) -> None:
    """Rejected cases of other articles, each with the sketch of an article of its own."""
    missing = count - Case.objects.filter(status=CaseStatus.REJECTED).count()
    author = {"id": str(uuid.uuid4()), "username": "spammer", "display_name": "Spammer"}
    for _ in range(max(0, missing)):
        data = article_submitted(rng, author)
        sub = Submission(title=data["title"], body=data["body"])
        Case.objects.create(article_id=data["article_id"], revision=1, title=data["title"], body=data["body"],
                            author=author, author_id=author["id"], status=CaseStatus.REJECTED,
                            correlation_id=uuid.uuid4(), submitted_at=timezone.now(), decided_at=timezone.now(),
                            shingles=sorted(sketch(shingles(sub))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300, help="events of each type, after the warm-up")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--authors", type=int, default=20)
    parser.add_argument("--all-rules", action="store_true", help="keep the new-author and rate rules on")
    parser.add_argument("--no-tracing", action="store_true", help="as a process without tracing_setup")
    parser.add_argument("--rejected", type=int, default=0,
                        help="first make sure this many rejected cases are there (the near-duplicate rule reads them)")
    options = parser.parse_args()
    if not options.no_tracing:
        tracing_setup(service="moderation")
    Rule.objects.filter(kind__in=HUMAN_RULES).update(enabled=options.all_rules)
    rng = random.Random(12)
    rejected_ensure(options.rejected, rng)
    authors = [{"id": str(uuid.uuid4()), "username": f"bench{i}", "display_name": f"Bench {i}"}
               for i in range(options.authors)]
    total = options.warmup + options.events
    submitted = [article_submitted(rng, authors[i % len(authors)]) for i in range(total)]
    for event_type, payloads in (("article.submitted", submitted),
                                 ("article.published", [article_published(s) for s in submitted])):
        raws = [envelope(event_type, data) for data in payloads]
        measure(raws[:options.warmup])
        report(event_type, *measure(raws[options.warmup:]))
    print(json.dumps({"rules_enabled": list(Rule.objects.filter(enabled=True).values_list("code", flat=True))}))


if __name__ == "__main__":
    main()
