"""Make sure PostgreSQL and RabbitMQ answer (starting local ones if they are installed but down),
then create what the platform needs on them: one database and one role per service (the role owns
its database and only it may connect), one broker user per service with its permissions
(bin/identities.py), the test vhosts, and each service's own SECRET_KEY in var/secrets.env.

    python bin/preflight.py run     # before `make run`; writes var/run.env (each service's database URL)
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
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
import identities  # noqa: E402 - bin/identities.py, next to this file

SERVICES = ("publishing", "moderation", "notifications", "search_indexer")
TEST_VHOSTS = ("platform_test", "platform_test_bus", "platform_bench", "platform_drill")
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


def database_roles(databases: dict[str, str], passwords: dict[str, str]) -> None:
    """Each service's role owns its database, and its database only: nobody else may connect to it
    (superusers aside), and every object in it belongs to the role."""
    with psycopg.connect(f"{DB_HOST_URL}/postgres", autocommit=True) as conn:
        existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
        roles = {row[0] for row in conn.execute("SELECT rolname FROM pg_roles")}
        for service, name in databases.items():
            role, password = sql.Identifier(service), sql.Literal(passwords[service])
            verb = "ALTER" if service in roles else "CREATE"
            conn.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(role, password))
            if name not in existing:
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), role))
                print(f"created database {name} owned by {service}")
            conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(name), role))
            conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(name)))
            conn.execute(sql.SQL("GRANT ALL ON DATABASE {} TO {}").format(sql.Identifier(name), role))
    for service, name in databases.items():
        with psycopg.connect(f"{DB_HOST_URL}/{name}", autocommit=True) as conn:
            _own_everything(conn, service)


# Objects a migration run as another user created: they move to the service's role.
_FOREIGN_OBJECTS = """
SELECT c.relkind, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND pg_get_userbyid(c.relowner) <> %s
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))
"""
_KIND = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}


def _own_everything(conn: psycopg.Connection, role: str) -> None:
    for kind, name in conn.execute(_FOREIGN_OBJECTS, [role]).fetchall():
        conn.execute(sql.SQL("ALTER " + _KIND[kind] + " {} OWNER TO {}").format(sql.Identifier(name), sql.Identifier(role)))
    functions = conn.execute("SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                             "WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> %s "
                             "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')",
                             [role]).fetchall()
    for (signature,) in functions:
        conn.execute(sql.SQL("ALTER FUNCTION " + signature + " OWNER TO {}").format(sql.Identifier(role)))


def _databases() -> None:
    """The platform's databases and roles, and var/run.env with each service's URL as its own role."""
    databases = {service: os.environ.get(f"{service.upper()}_DATABASE_URL", f"/{service}").rsplit("/", 1)[-1]
                 for service in SERVICES}
    found = identities.secrets_ensure("DATABASE")
    passwords = {service: found[f"{service.upper()}_DATABASE_PASSWORD"] for service in SERVICES}
    database_roles(databases, passwords)
    host = urlparse(DB_HOST_URL)
    lines = ["# Written by bin/preflight.py run: each service connects as its own role. make run loads it."]
    for service, name in databases.items():
        if os.environ.get(f"{service.upper()}_DATABASE_URL"):
            continue
        lines.append(f"{service.upper()}_DATABASE_URL=postgres://{service}:{passwords[service]}@"
                     f"{host.hostname}:{host.port or 5432}/{name}")
    var = Path(__file__).resolve().parent.parent / "var"
    if not os.environ.get("EMAIL_BACKEND"):
        # Mail goes to files, one per message, not to the consumer's log: an email of 40 lines per article
        # through supervisord's one stream cost more CPU than the whole search consumer.
        lines += ["EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend", f"EMAIL_FILE_PATH={var / 'mail'}"]
    run_env = var / "run.env"
    run_env.parent.mkdir(exist_ok=True)
    run_env.write_text("\n".join(lines) + "\n")
    run_env.chmod(0o600)


def _broker_identities(vhosts: list[str]) -> None:
    if not shutil.which("rabbitmqctl"):
        print("rabbitmqctl not found: load the broker users with "
              "`python bin/identities.py definitions --out defs.json` into your broker yourself")
        return
    identities.apply(vhosts)


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


def _autovacuum_check() -> None:
    """The outbox, inbox and flow steps churn: without autovacuum their dead rows pile up and slow every event."""
    with psycopg.connect(f"{DB_HOST_URL}/postgres", connect_timeout=3) as conn:
        if conn.execute("SELECT current_setting('autovacuum')").fetchone()[0] == "off":
            print("warning: PostgreSQL runs with autovacuum off: the platform's tables fill with dead rows and "
                  "slow down; turn it on, or VACUUM the four databases now and then", file=sys.stderr)


def main(mode: str) -> None:
    _ensure("PostgreSQL", _postgres_up,
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start "
            "(or: docker compose up -d postgres)")
    _ensure("RabbitMQ", _rabbitmq_up, "rabbitmq-server -detached",
            "rabbitmq-server -detached (or: docker compose up -d rabbitmq)")
    # Settings refuse to start with DEBUG off without a key of each service's own (config/settings.py).
    identities.secret_keys_ensure()
    if mode == "run":
        _databases()
        _autovacuum_check()
        _broker_identities(["/"])
    else:
        _test_vhosts()
        _broker_identities(list(TEST_VHOSTS))
        _chromium()
    (Path(__file__).resolve().parent.parent / "var").mkdir(exist_ok=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "run")
