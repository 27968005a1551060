"""Fault drills: the whole platform as real processes under the real supervisor, two replicas of
every consumer and relay, a burst of submissions through publishing's API, and one fault per drill.

The platform runs in a vhost (`platform_drill`) and databases (`drill_<service>`) of its own, as
each service's own broker user. An observer queue (the test's, as the vhost's administrator) sees
every event on the four exchanges, so a drill can count, per article, the distinct events of each
type: nothing lost, nothing doubled.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import amqp
import psycopg
import pytest

from config.eventbus.broker import broker_connect
from tests.conftest import DB_HOST, ROOT, SERVICES, _answers, _recreate_database, free_port, wait_for

DRILL_VHOST = "platform_drill"
ADMIN_URL = os.environ.get("DRILL_ADMIN_BROKER_URL", f"amqp://guest:guest@127.0.0.1:5672/{DRILL_VHOST}")
OBSERVER = "drill.observer"
AUTHORS = 20
SETTLE_SECONDS = float(os.environ.get("DRILL_SETTLE_SECONDS", 180))
PY = str(Path(sys.executable))


def _database(service: str) -> str:
    return f"drill_{service}"


def _env() -> dict[str, str]:
    env = {**os.environ, "BROKER_URL": ADMIN_URL, "PYTHONUNBUFFERED": "1",
           "EVENTBUS_RELAY_POLL_SECONDS": "1", "EVENTBUS_RETRY_DELAYS": "1,2,4,8",
           "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
           "THROTTLE_SUBMIT": "1000000/hour", "THROTTLE_USER": "1000000/min", "LOG_LEVEL": "WARNING",
           # What re-schedules a notification whose task was lost (the broker was down at commit), sooner.
           "NOTIFICATIONS_REQUEUE_EVERY_SECONDS": "5", "NOTIFICATIONS_REQUEUE_GRACE_SECONDS": "10"}
    for service in SERVICES:
        env[f"{service.upper()}_DATABASE_URL"] = f"{DB_HOST}/{_database(service)}"
    return env


def _manage(service: str, *args: str) -> str:
    result = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env={**_env(), "DJANGO_SETTINGS_MODULE": f"{service}.settings"},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{service}: manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def query(service: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(f"{DB_HOST}/{_database(service)}", connect_timeout=5) as conn:
        return conn.execute(sql, params).fetchall()


class Observer:
    """Every event on the four exchanges, by event id: duplicates of one id collapse into one."""

    def __init__(self) -> None:
        self.events: dict[str, dict] = {}
        self.lock = threading.Lock()
        self.connection: amqp.Connection | None = None

    def _channel(self) -> amqp.Channel:
        if self.connection is None:
            self.connection = broker_connect(ADMIN_URL, name="drill-observer")
            channel = self.connection.channel()
            channel.queue_declare(OBSERVER, durable=True, auto_delete=False)
            for service in SERVICES:
                channel.queue_bind(OBSERVER, f"{service}.events", "#")
            self._ch = channel
        return self._ch

    def drain(self) -> None:
        with self.lock:
            try:
                channel = self._channel()
                while (message := channel.basic_get(OBSERVER, no_ack=True)) is not None:
                    try:
                        doc = json.loads(message.body)
                        self.events.setdefault(doc["id"], doc)
                    except (ValueError, KeyError, TypeError):
                        pass  # a poison message of a drill: not an event
            except (OSError, amqp.exceptions.AMQPError, ConnectionError):
                self.connection = None  # the broker went away (a drill restarts it); read again later

    def of(self, article_id: str, event_type: str) -> list[dict]:
        self.drain()
        return [e for e in list(self.events.values())
                if e["type"] == event_type and e.get("data", {}).get("article_id") == article_id]

    def notifications_for(self, published: dict) -> list[dict]:
        return [e for e in list(self.events.values())
                if e["type"] in ("notification.sent", "notification.failed") and e["data"].get("event_id") == published["id"]]


class Platform:
    def __init__(self, var: Path) -> None:
        self.var = var
        self.port = free_port()
        self.supervisor: subprocess.Popen | None = None
        self.tokens: list[str] = []
        self.observer = Observer()
        self.log = var / "platform.log"

    # --- set-up -----------------------------------------------------------------------------

    def prepare(self) -> None:
        for service in SERVICES:
            _recreate_database(_database(service))
            _manage(service, "migrate", "--noinput", "-v", "0")
            _manage(service, "topology", "--exchanges")
        for service in SERVICES:
            _manage(service, "topology")
        self._purge()
        # Ordinary text must not wait for a human: the rules that send every new author's first
        # submissions (or a busy author's) to the review queue are switched off, as for a load test.
        with psycopg.connect(f"{DB_HOST}/{_database('moderation')}", autocommit=True) as conn:
            conn.execute("UPDATE moderation_rule SET enabled = false WHERE kind IN ('new_author', 'submission_rate')")
        self.observer.drain()

    def _purge(self) -> None:
        conn = broker_connect(ADMIN_URL, name="drill-setup")
        channel = conn.channel()
        for service in SERVICES:
            for queue in (service, f"{service}.dead", f"{service}.unroutable", *(f"{service}.retry.{n}" for n in range(1, 5))):
                channel.queue_purge(queue)
        try:
            channel.queue_delete(OBSERVER)
        except amqp.exceptions.NotFound:
            pass
        conn.close()

    def procfile(self) -> Path:
        lines = []
        for service in SERVICES:
            dsm = f"DJANGO_SETTINGS_MODULE={service}.settings"
            lines.append(f"{service}-consumer: {dsm} {PY} manage.py consume")
            lines.append(f"{service}-relay: {dsm} {PY} manage.py relay")
        for service in ("publishing", "notifications"):
            celery = Path(PY).with_name("celery")
            lines.append(f"{service}-worker: DJANGO_SETTINGS_MODULE={service}.settings {celery} -A config.celery worker "
                         f"-n {service}-drill@%h -Q {service}.tasks --concurrency 2 --loglevel WARNING")
        lines.append(f"notifications-beat: DJANGO_SETTINGS_MODULE=notifications.settings {Path(PY).with_name('celery')} "
                     f"-A config.celery beat --schedule {self.var}/beat-notifications --loglevel WARNING")
        lines.append(f"publishing-web: DJANGO_SETTINGS_MODULE=publishing.settings {Path(PY).with_name('gunicorn')} "
                     f"publishing.wsgi -b 127.0.0.1:{self.port} --workers 3")
        path = self.var / "Procfile"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self) -> None:
        procfile = self.procfile()
        self.supervisor = subprocess.Popen(
            [PY, str(ROOT / "bin" / "supervise.py"), "--procfile", str(procfile), "--directory", str(ROOT),
             "--var", str(self.var), "--scale", "2", "--startsecs", "1"],
            cwd=ROOT, env=_env(), stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        wait_for(lambda: _answers(f"{self.url}/healthz"), timeout=60, what="publishing's web")
        wait_for(lambda: len(self.running()) == len(self.programs()), timeout=60, what="every process running")
        self.tokens = self._authors()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _authors(self) -> list[str]:
        script = (
            "from knox.models import AuthToken\n"
            "from publishing.services import author_create\n"
            f"for n in range({AUTHORS}):\n"
            "    a = author_create(username=f'drill{n}', email=f'drill{n}@example.com', password='correct-horse-42',"
            " display_name=f'Drill {n}')\n"
            "    print(AuthToken.objects.create(user=a.user)[1])\n"
        )
        return re.findall(r"^[0-9a-f]{64}$", _manage("publishing", "shell", "-c", script), re.M)

    def stop(self) -> None:
        if self.supervisor is not None and self.supervisor.poll() is None:
            self.supervisor.send_signal(signal.SIGTERM)
            try:
                self.supervisor.wait(90)
            except subprocess.TimeoutExpired:
                self.supervisor.kill()

    # --- processes ----------------------------------------------------------------------------

    def ctl(self, *args: str) -> str:
        result = subprocess.run([str(Path(PY).with_name("supervisorctl")), "-c", str(self.var / "supervisord.conf"), *args],
                                capture_output=True, text=True, timeout=60)
        return result.stdout

    def status(self) -> dict[str, tuple[str, int | None]]:
        found = {}
        for line in self.ctl("status").splitlines():
            parts = line.split()
            if len(parts) >= 2:
                pid = int(parts[3].rstrip(",")) if len(parts) > 3 and parts[2] == "pid" else None
                found[parts[0]] = (parts[1], pid)
        return found

    def programs(self) -> list[str]:
        return [name for name in self.status()]

    def running(self) -> list[str]:
        return [name for name, (state, _) in self.status().items() if state == "RUNNING"]

    def kill(self, kind: str, *, replica: int = 1) -> list[int]:
        """SIGKILL one replica of every service's `kind` (consumer, relay); the supervisor restarts them."""
        killed = []
        for name, (state, pid) in self.status().items():
            if name.endswith(f"-{kind}-{replica}") and state == "RUNNING" and pid:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        return killed

    def restarted(self, old_pids: list[int]) -> bool:
        pids = {pid for _, (state, pid) in self.status().items() if state == "RUNNING"}
        return not (pids & set(old_pids)) and len(self.running()) == len(self.programs())

    # --- load -----------------------------------------------------------------------------------

    def _request(self, path: str, token: str, data: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(f"{self.url}{path}", method="POST", data=json.dumps(data or {}).encode(),
                                         headers={"Content-Type": "application/json", "Authorization": f"Token {token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, {}

    def _retrying(self, path: str, token: str, data: dict | None = None, ok: tuple[int, ...] = (200, 201)) -> dict:
        """An author's client: a server error or a refused connection (a drill in progress) is tried again."""
        deadline = time.monotonic() + 120
        while True:
            try:
                status, body = self._request(path, token, data)
                if status in ok:
                    return body
                if status < 500 and status != 429:
                    raise AssertionError(f"POST {path} answered {status}")
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"POST {path} kept failing")
            time.sleep(0.5)

    def submit_one(self, n: int, *, text: str = "") -> str:
        token = self.tokens[n % len(self.tokens)]
        marker = uuid.uuid4().hex[:12]
        article = self._retrying("/api/articles/", token, {
            "title": f"Field notes {marker}",
            "summary": f"What we learned on trip {marker} about soil, water and patience.",
            "body": text or (f"Notes {marker}. " + " ".join(f"Observation {i} of trip {marker} on the hillside plots."
                                                          for i in range(8))),
            "tags": ["drill"]})
        # 409: a retried submit after the first one went through (its answer lost in the drill).
        self._retrying(f"/api/articles/{article['id']}/submit/", token, ok=(200, 201, 202, 409))
        return article["id"]

    def burst(self, count: int, *, during=None, threads: int = 6) -> list[str]:
        """Submit `count` articles; `during` runs (in this thread) once about a third are in."""
        started = time.monotonic()
        with ThreadPoolExecutor(threads) as pool:
            futures = [pool.submit(self.submit_one, n) for n in range(count)]
            if during is not None:
                wait_for(lambda: sum(f.done() for f in futures) >= count // 3, timeout=120, what="a third submitted")
                during()
            ids = [f.result() for f in futures]
        print(f"drill: {count} submitted in {time.monotonic() - started:.1f}s")
        return ids

    # --- outcome --------------------------------------------------------------------------------

    def assert_all_flowed_once(self, article_ids: list[str], *, timeout: float = SETTLE_SECONDS) -> None:
        """Every article live, and exactly one article.published, one search.indexed and one author
        notification about it: nothing lost, nothing doubled."""
        def settled() -> bool:
            rows = dict(query("publishing", "SELECT id::text, status FROM publishing_article WHERE id::text = ANY(%s)",
                              (article_ids,)))
            if any(rows.get(a) != "published" for a in article_ids):
                return False
            self.observer.drain()
            for article_id in article_ids:
                published = self.observer.of(article_id, "article.published")
                if len(published) != 1 or len(self.observer.of(article_id, "search.indexed")) != 1:
                    return False
                if len(self.observer.notifications_for(published[0])) != 1:
                    return False
            return True

        started = time.monotonic()
        try:
            wait_for(settled, timeout=timeout, what=f"{len(article_ids)} articles through every service")
            print(f"drill: {len(article_ids)} settled {time.monotonic() - started:.1f}s after the last submission")
        except AssertionError:
            raise AssertionError(self.describe(article_ids)) from None
        time.sleep(2)  # a doubled event would arrive now, after the first
        self.observer.drain()
        doubled = {a: t for a in article_ids for t in ("article.published", "search.indexed")
                   if len(self.observer.of(a, t)) != 1}
        assert not doubled, f"doubled: {doubled}"

    def describe(self, article_ids: list[str]) -> str:
        statuses = defaultdict(int)
        for _, status in query("publishing", "SELECT id, status FROM publishing_article WHERE id::text = ANY(%s)",
                               (article_ids,)):
            statuses[status] += 1
        counts = defaultdict(lambda: defaultdict(int))
        for article_id in article_ids:
            for event_type in ("article.submitted", "moderation.approved", "article.published", "search.indexed"):
                counts[event_type][len(self.observer.of(article_id, event_type))] += 1
        return (f"statuses {dict(statuses)}; events per article (count: articles) "
                f"{ {t: dict(c) for t, c in counts.items()} }; processes {self.status()}")

    def dead_letters(self, service: str) -> int:
        conn = broker_connect(ADMIN_URL, name="drill-dead")
        try:
            return conn.channel().queue_declare(f"{service}.dead", passive=True).message_count
        finally:
            conn.close()


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    platform = Platform(tmp_path_factory.mktemp("drill"))
    platform.prepare()
    platform.start()
    yield platform
    platform.stop()


@pytest.fixture
def drill(platform: Platform) -> Iterator[Platform]:
    """The platform, checked healthy before and after each drill (every process up, nothing dead-lettered
    unless the drill says so)."""
    wait_for(lambda: len(platform.running()) == len(platform.programs()), timeout=60, what="every process running")
    yield platform
    print(platform.log.read_text(errors="replace")[-4000:] if platform.log.exists() else "")
