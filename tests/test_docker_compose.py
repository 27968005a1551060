"""Static checks of the container stack (docker-compose.yml, Dockerfile, docker/) against the repo.

Docker does not run here, so these tests catch what would only fail at `docker compose up`:
missing processes, wrong ports, commands or settings modules that do not exist, paths that do
not exist, misspelt environment variables, broker credentials and permissions that do not fit
the queue names the event bus really uses, dangling depends_on.

No Django: run with `python -m pytest -p no:django tests/test_docker_compose.py`.
"""
from __future__ import annotations

import ast
import difflib
import importlib.util
import json
import re
import shlex
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from config.eventbus.broker import Topology
from config.eventbus.contracts import event_types, exchange_of

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("publishing", "moderation", "notifications", "search_indexer")
WEB_PORTS = {"publishing": 8001, "moderation": 8002, "notifications": 8003, "search_indexer": 8004}  # DESIGN.md
PROCESSES = ("migrate", "web", "consumer", "relay", "worker")
BEAT = ("publishing", "moderation")
RETRY_DELAYS = (1, 10, 60, 600)  # EVENTBUS_RETRY_DELAYS' default: retry queues .1 to .4


# --- loading ---------------------------------------------------------------------------------


@cache
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def services() -> dict[str, dict]:
    return compose()["services"]


def app_containers() -> dict[str, tuple[str, str, dict]]:
    """Compose service name -> (service, process, definition) for every container of our image."""
    found = {}
    for name, spec in services().items():
        module = spec.get("environment", {}).get("DJANGO_SETTINGS_MODULE")
        if module is None:
            continue
        service, _, process = name.partition("-")
        found[name] = (service, process, spec)
    return found


@cache
def definitions() -> dict:
    return json.loads((ROOT / "docker" / "rabbitmq-definitions.json").read_text())


def permissions_of(user: str) -> dict:
    (entry,) = [p for p in definitions()["permissions"] if p["user"] == user and p["vhost"] == "/"]
    return entry


def command_segments(command: list[str] | str) -> list[list[str]]:
    """A command as argv lists; `sh -c "a && b"` gives one list per `&&` step."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if argv[:2] == ["sh", "-c"]:
        return [shlex.split(step) for step in argv[2].split("&&")]
    return [argv]


@cache
def management_commands(service: str) -> frozenset[str]:
    """Commands manage.py offers under <service>.settings: Django's, config.eventbus's, the service's."""
    django_dir = Path(importlib.util.find_spec("django").submodule_search_locations[0])
    dirs = [django_dir / "core" / "management" / "commands"]
    dirs += django_dir.glob("contrib/*/management/commands")
    dirs += [ROOT / "config" / "eventbus" / "management" / "commands", ROOT / service / "management" / "commands"]
    return frozenset(p.stem for d in dirs for p in d.glob("*.py") if not p.stem.startswith("_"))


@cache
def settings_source() -> str:
    return (ROOT / "config" / "settings.py").read_text()


def env_names_read_by_settings() -> set[str]:
    """Every env var config/settings.py reads, with the per-service f-string names expanded."""
    literal = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]*)"', settings_source()))
    templated = re.findall(r'env(?:\.\w+)?\(\s*f"\{service\.upper\(\)\}(_[A-Z0-9_]+)"', settings_source())
    assert literal and templated, "config/settings.py no longer reads env vars the way this test expects"
    return literal | {service.upper() + suffix for service in SERVICES for suffix in templated}


def rabbit_allows(regex: str, name: str) -> bool:
    """RabbitMQ checks a permission with an unanchored search (Erlang re:run), hence the ^...$ anchors."""
    return re.search(regex, name) is not None


# --- processes, ports, commands --------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_runs_its_processes(service):
    expected = [*PROCESSES, *(["beat"] if service in BEAT else [])]
    missing = [f"{service}-{p}" for p in expected if f"{service}-{p}" not in services()]
    assert not missing, f"docker-compose.yml lacks {missing}"


@pytest.mark.parametrize("service", SERVICES)
def test_web_port_matches_design_and_settings(service):
    port = WEB_PORTS[service]
    web = services()[f"{service}-web"]
    assert f"0.0.0.0:{port}" in web["command"]
    assert f"{port}:{port}" in [str(p) for p in web["ports"]]
    assert f"http://127.0.0.1:{port}/healthz" in " ".join(web["healthcheck"]["test"])
    settings = (ROOT / service / "settings.py").read_text()
    assert re.search(rf"^WEB_PORT = {port}$", settings, re.M), f"{service}/settings.py disagrees on the port"


def test_settings_modules_name_existing_services():
    allowed = ast.literal_eval(re.search(r"^SERVICES = (\(.*\))$", (ROOT / "manage.py").read_text(), re.M).group(1))
    assert app_containers()
    for name, (service, _, spec) in app_containers().items():
        module = spec["environment"]["DJANGO_SETTINGS_MODULE"]
        assert module == f"{service}.settings", f"{name} runs {module}"
        assert (ROOT / service / "settings.py").is_file(), f"{name}: no {service}/settings.py"
        assert service in allowed, f"manage.py refuses {module}"


def test_commands_exist_and_fit_their_process():
    for name, (service, process, spec) in app_containers().items():
        steps = command_segments(spec["command"])
        for argv in steps:
            if argv[:2] == ["python", "manage.py"]:
                assert (ROOT / "manage.py").is_file()
                assert argv[2] in management_commands(service), f"{name}: no manage.py command {argv[2]!r}"
            elif argv[0] == "gunicorn":
                assert argv[1] == f"{service}.wsgi", f"{name} serves {argv[1]}"
                assert (ROOT / service / "wsgi.py").is_file()
            elif argv[0] == "celery":
                assert argv[1:3] == ["-A", "config.celery"] and (ROOT / "config" / "celery.py").is_file()
            else:
                pytest.fail(f"{name}: unexpected executable {argv[0]!r}")
        flat = [" ".join(argv) for argv in steps]
        expected = {
            "migrate": ["python manage.py migrate --noinput", "python manage.py topology"],
            "consumer": ["python manage.py consume"],
            "relay": ["python manage.py relay"],
            "worker": [f"celery -A config.celery worker -Q {service}.tasks --loglevel INFO"],
            "beat": ["celery -A config.celery beat --loglevel INFO"],
            "web": [f"gunicorn {service}.wsgi -b 0.0.0.0:{WEB_PORTS[service]} --workers 2"],
        }[process]
        assert flat == expected, name
    # The worker's queue is the one the service's tasks are sent to.
    assert 'f"{service}.tasks"' in settings_source()


# --- paths, environment, credentials ---------------------------------------------------------


def test_build_and_volume_paths_exist():
    for name, spec in services().items():
        if "build" in spec:
            context = spec["build"] if isinstance(spec["build"], str) else spec["build"]["context"]
            assert (ROOT / context / "Dockerfile").is_file(), f"{name}: no Dockerfile in {context}"
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume["source"]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"
            else:
                assert source in (compose().get("volumes") or {}), f"{name}: undeclared volume {source}"
        for env_file in spec.get("env_file", []):
            if isinstance(env_file, str) or env_file.get("required", True):
                path = env_file if isinstance(env_file, str) else env_file["path"]
                assert (ROOT / path).is_file(), f"{name}: required env_file {path} does not exist"


def test_env_var_names_are_spelled_as_settings_reads_them():
    read = env_names_read_by_settings()
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_HOST_URL", "PUBLISHING_BROKER_URL"} <= read
    django_settings = set(re.findall(r"^([A-Z][A-Z0-9_]*) =", (
        Path(importlib.util.find_spec("django").submodule_search_locations[0]) / "conf" / "global_settings.py"
    ).read_text(), re.M))
    for name, (service, _, spec) in app_containers().items():
        for var, value in spec["environment"].items():
            if var == "DJANGO_SETTINGS_MODULE":
                continue
            if var not in read:
                # EMAIL_HOST / EMAIL_PORT: Django's own setting names, for notifications' SMTP
                # settings to read; anything else unknown is a typo of a name settings reads.
                close = difflib.get_close_matches(var, read, n=1, cutoff=0.75)
                assert var in django_settings and not close, f"{name}: {var} is not read by config/settings.py ({close})"
            if var.endswith(("_BROKER_URL", "_DATABASE_URL")):
                assert var.startswith(service.upper() + "_"), f"{name} sets another service's {var}"
            for interpolated in re.findall(r"\$\{(\w+)", str(value)):
                assert interpolated in read, f"{name}: ${{{interpolated}}} is not read by config/settings.py"


def test_each_container_uses_its_own_broker_user_and_the_stack_hosts():
    passwords = {u["name"]: u["password"] for u in definitions()["users"]}
    for name, (service, _, spec) in app_containers().items():
        env = spec["environment"]
        url = urlparse(env[f"{service.upper()}_BROKER_URL"])
        assert (url.scheme, url.hostname, url.port, url.path) == ("amqp", "rabbitmq", 5672, "/"), name
        assert url.username == service and url.password == passwords[service] == f"{service}-local-only", name
        db = urlparse(env["DATABASE_HOST_URL"])
        assert (db.hostname, db.port, db.path) == ("postgres", 5432, ""), name
        assert env["EMAIL_HOST"] in services() and str(env["EMAIL_PORT"]) == "1025", name


def test_postgres_init_creates_one_database_per_service():
    sql = (ROOT / "docker" / "postgres-init.sql").read_text()
    assert sorted(re.findall(r"^CREATE DATABASE (\w+);", sql, re.M)) == sorted(SERVICES)
    targets = [v.split(":")[1] for v in services()["postgres"]["volumes"] if "postgres-init.sql" in v]
    assert targets and targets[0].startswith("/docker-entrypoint-initdb.d/") and targets[0].endswith(".sql")


def test_rabbitmq_conf_loads_the_mounted_definitions():
    conf = (ROOT / "docker" / "rabbitmq.conf").read_text()
    (path,) = re.findall(r"^load_definitions\s*=\s*(\S+)$", conf, re.M)
    mounts = dict(v.split(":")[:2] for v in services()["rabbitmq"]["volumes"])
    assert mounts.get("./docker/rabbitmq-definitions.json") == path
    conf_target = mounts.get("./docker/rabbitmq.conf", "")
    assert conf_target == "/etc/rabbitmq/rabbitmq.conf" or re.fullmatch(r"/etc/rabbitmq/conf\.d/[\w.-]+\.conf", conf_target)


# --- RabbitMQ permissions --------------------------------------------------------------------


def test_users_and_vhost():
    users = {u["name"]: u for u in definitions()["users"]}
    assert set(users) == {"guest", *SERVICES}
    assert users["guest"]["tags"] == ["administrator"]
    assert permissions_of("guest") | {"user": "", "vhost": ""} == {
        "user": "", "vhost": "", "configure": ".*", "write": ".*", "read": ".*"
    }
    assert all(users[s]["tags"] in ([], "") for s in SERVICES)
    assert {"name": "/"} in definitions()["vhosts"]


@pytest.mark.parametrize("service", SERVICES)
def test_service_permissions_fit_its_own_names_only(service):
    perms = permissions_of(service)
    for kind in ("configure", "write", "read"):
        assert perms[kind].startswith("^") and perms[kind].endswith("$"), f"{service} {kind} is not anchored"

    own = Topology(service=service, consumes=(), retry_delays=RETRY_DELAYS)
    own_queues = [own.queue, own.dead_queue, *(own.retry_queue(n) for n in range(1, len(RETRY_DELAYS) + 1)),
                  own.retry_queue(12), f"{service}.tasks"]
    celery = ["celery", "celeryev", "celeryev.2f0c6c2e-6a53-4d4c-9f0b-1d6d1c0f7e11", "celery.pidbox",
              "reply.celery.pidbox", "celery@4b1f2c3d.celery.pidbox"]
    all_exchanges = sorted({exchange_of(t) for t in event_types()} | {f"{s}.events" for s in SERVICES})
    assert own.exchange == f"{service}.events" in all_exchanges

    must = {
        # declare its queues and (idempotently) every exchange it publishes to or binds from
        "configure": [*own_queues, *all_exchanges, *celery],
        # publish to its own exchange only; amq.default moves messages into its retry/dead queues
        "write": [*own_queues, own.exchange, "amq.default", *celery],
        # consume its queues, bind them to any service's exchange
        "read": [*own_queues, *all_exchanges, *celery],
    }
    for kind, names in must.items():
        denied = [n for n in names if not rabbit_allows(perms[kind], n)]
        assert not denied, f"{service} lacks {kind} on {denied}"

    for other in SERVICES:
        if other == service:
            continue
        theirs = Topology(service=other, consumes=(), retry_delays=RETRY_DELAYS)
        foreign = [theirs.queue, theirs.dead_queue, theirs.retry_queue(1), f"{other}.tasks"]
        for kind in ("configure", "write", "read"):
            allowed = [n for n in foreign if rabbit_allows(perms[kind], n)]
            assert not allowed, f"{service} may {kind} {other}'s {allowed}"
        assert not rabbit_allows(perms["write"], theirs.exchange), f"{service} may publish to {theirs.exchange}"
    for kind in ("configure", "write", "read"):
        assert not rabbit_allows(perms[kind], "amq.topic"), f"{service} may {kind} amq.topic"


def test_publishing_may_not_touch_moderations_queue():
    """The brief's example, spelled out."""
    perms = permissions_of("publishing")
    for kind in ("configure", "write", "read"):
        assert rabbit_allows(perms[kind], "publishing")
        assert not rabbit_allows(perms[kind], "moderation")
        assert re.fullmatch(perms[kind], "publishing") and not re.fullmatch(perms[kind], "moderation")


# --- startup order and restarts --------------------------------------------------------------


def test_depends_on_targets_exist_with_sound_conditions():
    for name, spec in services().items():
        depends = spec.get("depends_on", {})
        if isinstance(depends, list):
            depends = {d: {"condition": "service_started"} for d in depends}
        for target, rule in depends.items():
            assert target in services(), f"{name} depends on unknown {target}"
            condition = rule["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services()[target], f"{name} waits for {target}, which has no healthcheck"
            elif condition == "service_completed_successfully":
                assert target.endswith("-migrate") and services()[target].get("restart") == "no"
            else:
                assert condition == "service_started"
    for name, (service, process, spec) in app_containers().items():
        depends = spec["depends_on"]
        assert depends["rabbitmq"]["condition"] == depends["postgres"]["condition"] == "service_healthy", name
        if process == "migrate":
            assert spec["restart"] == "no", name
        else:
            assert depends[f"{service}-migrate"]["condition"] == "service_completed_successfully", name
            assert spec["restart"] == "unless-stopped", name
    for name in ("rabbitmq", "postgres"):
        assert services()[name]["healthcheck"]["test"], name
    assert "rabbitmq-diagnostics -q ping" in " ".join(services()["rabbitmq"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services()["postgres"]["healthcheck"]["test"])


# --- Dockerfile ------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_dockerfile_installs_requirements_and_drops_root():
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    runs = [arg for op, arg in instructions if op == "RUN"]
    assert any(re.search(r"pip install --no-cache-dir -r requirements\.txt", r) for r in runs)
    copied = []
    for op, arg in instructions:
        if op == "COPY":
            *sources, _ = [a for a in shlex.split(arg) if not a.startswith("--")]
            for source in sources:
                assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"
                copied.append(source.rstrip("/"))
    assert "requirements.txt" in copied
    assert {"manage.py", "config", *SERVICES} <= set(copied), "the image lacks code the stack runs"
    envs = " ".join(arg for op, arg in instructions if op == "ENV")
    assert re.search(r"\bPYTHONUNBUFFERED=1\b", envs)
    users = [arg for op, arg in instructions if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert [op for op, _ in instructions].count("CMD") == 1
    assert "DJANGO_SETTINGS_MODULE" not in envs, "one image for all services: the container picks the service"
