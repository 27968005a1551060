"""Make sure PostgreSQL and RabbitMQ answer (starting local ones if they are installed but down),
then create what the platform needs on them: one database per service, and the test vhosts.

    python bin/preflight.py run     # before `make run`
    python bin/preflight.py test    # before `make test`
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import amqp
import psycopg

SERVICES = ("publishing", "moderation", "notifications", "search_indexer")
TEST_VHOSTS = ("platform_test", "platform_test_bus", "platform_bench")
DB_HOST_URL = os.environ.get("DATABASE_HOST_URL", "postgres://postgres@127.0.0.1:5432")
BROKER_URL = os.environ.get("BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")


def _postgres_up() -> bool:
    try:
        psycopg.connect(f"{DB_HOST_URL}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def _rabbitmq_up() -> bool:
    url = urlparse(BROKER_URL)
    try:
        conn = amqp.Connection(f"{url.hostname}:{url.port or 5672}", userid=url.username or "guest",
                               password=url.password or "guest", connect_timeout=3)
        conn.connect()
        conn.close()
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    return True


def _start(command: str) -> None:
    if shutil.which(command.split()[0]):
        subprocess.run(command, shell=True, capture_output=True, timeout=120)


def _ensure(name: str, is_up, start_command: str, hint: str) -> None:
    if is_up():
        return
    local = urlparse(DB_HOST_URL if name == "PostgreSQL" else BROKER_URL).hostname in ("127.0.0.1", "localhost")
    if local:
        _start(start_command)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not is_up():
            time.sleep(1)
    if not is_up():
        sys.exit(f"{name} is not reachable; start it with: {hint}")


def _databases() -> None:
    with psycopg.connect(f"{DB_HOST_URL}/postgres", autocommit=True) as conn:
        existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
        for service in SERVICES:
            name = os.environ.get(f"{service.upper()}_DATABASE_URL", f"/{service}").rsplit("/", 1)[-1]
            if name not in existing:
                conn.execute(f'CREATE DATABASE "{name}"')
                print(f"created database {name}")


def _test_vhosts() -> None:
    if not shutil.which("rabbitmqctl"):
        print("rabbitmqctl not found: create the vhosts " + ", ".join(TEST_VHOSTS) + " for guest yourself")
        return
    listed = subprocess.run(["rabbitmqctl", "-q", "list_vhosts"], capture_output=True, text=True).stdout.split()
    for vhost in TEST_VHOSTS:
        if vhost not in listed:
            subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True)
        user = urlparse(BROKER_URL).username or "guest"
        subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"],
                       check=True, capture_output=True)


def _chromium() -> None:
    """Moderation's browser test drives Debian's chromium; install it where we may, else say it will skip."""
    if shutil.which("chromium") or os.environ.get("CHROMIUM"):
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("installing Debian's chromium for the browser test ...", flush=True)
        subprocess.run("apt-get update -qq && apt-get install -y -qq chromium", shell=True, check=False,
                       capture_output=True, timeout=900)
    if not shutil.which("chromium"):
        print("chromium not found: the browser test will be skipped (apt-get install chromium, or set CHROMIUM)")


def main(mode: str) -> None:
    _ensure("PostgreSQL", _postgres_up,
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start "
            "(or: docker compose up -d postgres)")
    _ensure("RabbitMQ", _rabbitmq_up, "rabbitmq-server -detached",
            "rabbitmq-server -detached (or: docker compose up -d rabbitmq)")
    if mode == "run":
        _databases()
    else:
        _test_vhosts()
        _chromium()
    (Path(__file__).resolve().parent.parent / "var").mkdir(exist_ok=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "run")
