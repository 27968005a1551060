"""Cross-service tests: the services run as real OS processes against real RabbitMQ and PostgreSQL.

Each test run gets databases of its own (e2e_<service>) in the test vhost, so a `make run` on the
same machine is left alone.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from config.testing import wait_for  # noqa: F401 - re-exported for the tests here

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("publishing", "moderation", "notifications", "search_indexer")
DB_HOST = os.environ.get("DATABASE_HOST_URL", "postgres://postgres@127.0.0.1:5432")
BROKER_URL = os.environ.get("BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/platform_test")
# Two runs at once on one machine (say, two branches) each set their own prefix and BROKER_URL vhost.
DATABASE_PREFIX = os.environ.get("E2E_DATABASE_PREFIX", "e2e_")


def request_json(url: str, *, method: str = "GET", data: dict | None = None,
                 token: str | None = None) -> tuple[int, dict]:
    """One call to a service's JSON API as a client makes it: (status, body); an HTTP error raises."""
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read() or b"null")


def moderator_approves(queue: str, *, token: str, article_id: str) -> None:
    """A moderator waits for the article's item in the review queue, claims it and approves it."""
    item = wait_for(lambda: next((i for i in request_json(f"{queue}/api/queue/", token=token)[1]["results"]
                                  if i["article_id"] == article_id), None), what="the item in the review queue")
    request_json(f"{queue}/api/queue/{item['id']}/claim/", method="POST", token=token)
    request_json(f"{queue}/api/queue/{item['id']}/approve/", method="POST", token=token, data={})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    """One service's environment: its own database and the test vhost."""

    def __init__(self, name: str, logs: Path) -> None:
        self.name = name
        self.database = f"{DATABASE_PREFIX}{name}"
        self.logs = logs
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": f"{name}.settings",
            f"{name.upper()}_DATABASE_URL": f"{DB_HOST}/{self.database}",
            "BROKER_URL": BROKER_URL,
            "PYTHONUNBUFFERED": "1",
            "EVENTBUS_RELAY_POLL_SECONDS": "1",
        }
        self.processes: list[subprocess.Popen] = []

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**self.env, **(env or {})},
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def start(self, *command: str) -> subprocess.Popen:
        log = (self.logs / f"{self.name}-{command[0]}-{len(self.processes)}.log").open("wb")
        if command[0] in ("gunicorn", "celery"):
            argv = [str(Path(sys.executable).with_name(command[0])), *command[1:]]
        else:
            argv = [sys.executable, "manage.py", *command]
        process = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def web(self) -> str:
        port = free_port()
        self.start("gunicorn", f"{self.name}.wsgi", "-b", f"127.0.0.1:{port}", "--workers", "2")
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(f"{url}/healthz"), what=f"{self.name} web on {port}")
        return url

    def run_all(self) -> str:
        """Every long-running process of the service, as `make run` starts them; returns the web URL."""
        self.start("relay")
        self.start("consume")
        self.start("celery", "-A", "config.celery", "worker", "-n", f"{self.name}-e2e@%h", "-Q", f"{self.name}.tasks",
                   "--concurrency", "1", "--loglevel", "INFO")
        return self.web()

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(f"{DB_HOST}/{self.database}") as conn:
            return conn.execute(sql, params).fetchall()

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def logs_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob(f"{self.name}-*.log")))


def _answers(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _recreate_database(name: str) -> None:
    with psycopg.connect(f"{DB_HOST}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _purge_queues(service: Service) -> None:
    import amqp

    from config.eventbus.broker import broker_connect

    conn = broker_connect(BROKER_URL, name="e2e-setup")
    try:
        channel = conn.channel()
        for queue in (service.name, f"{service.name}.dead", f"{service.name}.unroutable",
                      *(f"{service.name}.retry.{n}" for n in range(1, 5))):
            try:
                channel.queue_purge(queue)
            except amqp.exceptions.NotFound:
                channel = conn.channel()
    finally:
        conn.close()


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Service]]:
    """All four services set up from scratch: fresh databases, migrations, topology, empty queues."""
    logs = tmp_path_factory.mktemp("e2e-logs")
    services = {name: Service(name, logs) for name in SERVICES}
    for service in services.values():
        _recreate_database(service.database)
        service.manage("migrate", "--noinput", "-v", "0")
        service.manage("topology", "--exchanges")
    for service in services.values():
        service.manage("topology")
        _purge_queues(service)
    yield services
    for service in services.values():
        service.stop()
