"""Static checks of the container stack (docker-compose.yml, Dockerfile, docker/) against the repo.

Docker does not run here, so these tests catch what would only fail at `docker compose up`:
missing processes, wrong ports, commands or settings modules that do not exist, paths that do
not exist, misspelt environment variables, credentials that do not fit the broker users and
database roles the stack creates, permissions that do not fit the names the event bus really
uses, a start order in which a producer could publish before a consumer's queue is bound, dangling
depends_on. The broker's definitions are not written by hand: the tests generate them with the
same code (config/eventbus/identities.py, bin/identities.py) the stack runs.

No Django: run with `python -m pytest -p no:django tests/test_docker_compose.py`.
"""
from __future__ import annotations

import ast
import base64
import difflib
import hashlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

import pytest
import yaml

from config.eventbus.broker import Topology
from config.eventbus.contracts import event_types, exchange_of, producer_of
from config.eventbus.identities import celery_vhost, definitions
from config.tracing import ENDPOINT_VARIABLES as TRACING_VARIABLES  # the OpenTelemetry SDK reads them

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("publishing", "moderation", "notifications", "search_indexer")
WEB_PORTS = {"publishing": 8001, "moderation": 8002, "notifications": 8003, "search_indexer": 8004}  # the README's ports
ONE_SHOTS = ("migrate", "topology")
LONG_RUNNING = ("web", "consumer", "relay", "worker")
BEAT = ("publishing", "moderation")  # at least these schedule jobs
RETRY_DELAYS = (1, 10, 60, 600)  # EVENTBUS_RETRY_DELAYS' default: retry queues .1 to .4
INFRA_PORTS = {"rabbitmq": {5672, 15672}, "postgres": {5432}, "mailpit": {1025, 8025}, "jaeger": {4318, 16686},
               "prometheus": {9090}}
# Read by prometheus-client, not by config/settings.py: where a process writes its metrics.
METRICS_VARIABLES = {"PROMETHEUS_MULTIPROC_DIR"}
ADMIN = "admin"
LOCAL_PASSWORDS = {s: f"{s}-local-only" for s in SERVICES}


def upper(service: str) -> str:
    return service.upper()


# --- loading ---------------------------------------------------------------------------------


@cache
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def services() -> dict[str, dict]:
    return compose()["services"]


def app_containers() -> dict[str, tuple[str, str, dict]]:
    """Compose service name -> (service, process, definition) for every container of a service."""
    found = {}
    for name, spec in services().items():
        module = spec.get("environment", {}).get("DJANGO_SETTINGS_MODULE")
        if module is None:
            continue
        service, _, process = name.partition("-")
        found[name] = (service, process, spec)
    return found


def long_running() -> dict[str, tuple[str, str, dict]]:
    return {name: found for name, found in app_containers().items() if found[1] not in ONE_SHOTS}


def command_segments(command: list[str] | str) -> list[list[str]]:
    """A command as argv lists; `sh -c "a && b"` gives one list per `&&` step."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if argv[:2] == ["sh", "-c"]:
        return [shlex.split(step) for step in argv[2].split("&&")]
    return [argv]


def ports_of(spec: dict) -> list[tuple[str, int, int]]:
    """(host ip or "", host port, container port) of each published port (short syntax)."""
    published = []
    for entry in spec.get("ports", []):
        parts = str(entry).split(":")
        host_ip = parts[0] if len(parts) == 3 else ""
        published.append((host_ip, int(parts[-2]), int(parts[-1])))
    return published


def mounts_of(spec: dict) -> dict[str, tuple[str, bool]]:
    """Container path -> (source, read-only) of each volume (short syntax)."""
    found = {}
    for entry in spec.get("volumes", []):
        source, target, *options = entry.split(":")
        found[target] = (source, "ro" in ",".join(options).split(","))
    return found


# Compose's interpolation, as far as this file uses it: ${VAR:-default}, ${VAR-default}, ${VAR}, $$.
REFERENCE = re.compile(r"\$(?:\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?-)(?P<default>[^}]*))?\}|(?P<escaped>\$))")


def references(value: object) -> list[tuple[str, str | None, str]]:
    """(variable, operator, default) of every ${...} in a value."""
    text = str(value)
    assert "${" not in REFERENCE.sub("", text), f"interpolation this test does not understand: {text!r}"
    return [(m["name"], m["op"], m["default"] or "") for m in REFERENCE.finditer(text) if m["name"]]


def interpolate(value: object, env: dict[str, str]) -> str:
    def substitute(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name, op = match["name"], match["op"]
        if op == ":-":
            return env.get(name) or match["default"]
        if op == "-":
            return env.get(name, match["default"])
        return env.get(name, "")

    return REFERENCE.sub(substitute, str(value))


def strings_in(node: object):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings_in(key)
            yield from strings_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings_in(item)
    elif isinstance(node, str):
        yield node


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
    return literal | {upper(service) + suffix for service in SERVICES for suffix in templated}


def compose_secrets() -> set[str]:
    """Passwords compose interpolates that are not settings: they create the users and roles."""
    return ({f"{upper(s)}_{kind}_PASSWORD" for s in SERVICES for kind in ("BROKER", "DATABASE")}
            | {"BROKER_ADMIN_PASSWORD", "POSTGRES_PASSWORD"})


@cache
def procfile() -> dict[str, tuple[dict[str, str], list[str]]]:
    """Procfile name -> (environment, argv with the venv's bin/ dropped): what `make run` runs."""
    found = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, command = line.partition(":")
        argv = shlex.split(command)
        env = {}
        while argv and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", argv[0]):
            key, _, value = argv.pop(0).partition("=")
            env[key] = value
        argv[0] = argv[0].removeprefix(".venv/bin/")
        found[name.strip()] = (env, argv)
    return found


def rabbit_allows(regex: str, name: str) -> bool:
    """RabbitMQ checks a permission with an unanchored search (Erlang re:run), hence the ^...$ anchors."""
    return re.search(regex, name) is not None


def hash_matches(password_hash: str, password: str) -> bool:
    """rabbit_password_hashing_sha256: base64(4-byte salt + sha256(salt + password))."""
    raw = base64.b64decode(password_hash)
    salt, digest = raw[:4], raw[4:]
    return len(digest) == 32 and hashlib.sha256(salt + password.encode()).digest() == digest


@cache
def generated() -> dict:
    """The definitions of the compose stack's bus vhost, as bin/identities.py generates them."""
    return definitions(vhosts=["/"], passwords=dict(LOCAL_PASSWORDS))


def permissions(user: str, vhost: str = "/") -> dict:
    (entry,) = [p for p in generated()["permissions"] if p["user"] == user and p["vhost"] == vhost]
    return entry


def own_names(service: str) -> list[str]:
    """Every queue and exchange the event bus declares for a service (config/eventbus/broker.py)."""
    topology = Topology(service=service, consumes=(), retry_delays=RETRY_DELAYS)
    # <s>.unroutable is a queue and an exchange of that name.
    return sorted({topology.queue, topology.dead_queue, topology.unroutable_queue, topology.holding_queue,
            *(topology.retry_queue(n) for n in range(1, len(RETRY_DELAYS) + 1)), topology.retry_queue(12),
            topology.exchange, topology.retry_exchange, topology.unroutable_exchange})


# --- processes, ports, commands --------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_runs_its_processes(service):
    expected = [*ONE_SHOTS, *LONG_RUNNING, *(["beat"] if service in BEAT else [])]
    missing = [f"{service}-{p}" for p in expected if f"{service}-{p}" not in services()]
    assert not missing, f"docker-compose.yml lacks {missing}"


def test_long_running_containers_are_the_procfiles_processes():
    """`make run` runs the Procfile: compose runs the same processes with the same commands, except
    that gunicorn listens on every interface of the container instead of the host's loopback."""
    assert set(long_running()) == set(procfile()), "docker-compose.yml and the Procfile list different processes"
    for name, (_, _, spec) in long_running().items():
        env, argv = procfile()[name]
        assert env.get("DJANGO_SETTINGS_MODULE") == spec["environment"]["DJANGO_SETTINGS_MODULE"], name
        expected = [re.sub(r"^127\.0\.0\.1:", "0.0.0.0:", arg) for arg in argv]
        assert spec["command"] == expected, f"{name} runs {spec['command']}, the Procfile {expected}"


@pytest.mark.parametrize("service", SERVICES)
def test_web_port_matches_design_and_settings(service):
    port = WEB_PORTS[service]
    web = services()[f"{service}-web"]
    assert f"0.0.0.0:{port}" in web["command"]
    assert ports_of(web) == [("127.0.0.1", port, port)], "the web port is published on loopback only"
    assert f"http://127.0.0.1:{port}/healthz" in " ".join(web["healthcheck"]["test"])
    settings = (ROOT / service / "settings.py").read_text()
    assert re.search(rf"^WEB_PORT = {port}$", settings, re.M), f"{service}/settings.py disagrees on the port"


def test_every_port_is_published_on_loopback_only():
    for name, ports in INFRA_PORTS.items():
        published = ports_of(services()[name])
        assert {container for _, _, container in published} == ports, name
        assert all(ip == "127.0.0.1" and host == container for ip, host, container in published), published
    for name, spec in services().items():
        for ip, host, _ in ports_of(spec):
            assert ip == "127.0.0.1", f"{name} publishes {host} on every interface"


def test_consumers_and_relays_scale():
    """`docker compose up --scale publishing-consumer=2 --scale publishing-relay=2` needs replicas
    that do not collide: no fixed container name, no published port."""
    for name, (_, process, spec) in app_containers().items():
        assert "container_name" not in spec, f"{name} has a container_name"
        if process in ("consumer", "relay"):
            assert not spec.get("ports"), f"{name} publishes ports"
            assert "hostname" not in spec, name
    header = re.sub(r"\n#\s*", " ", (ROOT / "docker-compose.yml").read_text().split("\nx-", 1)[0])
    assert "--scale publishing-consumer=2 --scale publishing-relay=2" in header
    assert "advisory lock" in header and "compete" in header


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
            # The two passes of `make topology`: every producer's exchanges, then every consumer's queues.
            "migrate": ["python manage.py migrate --noinput", "python manage.py topology --exchanges"],
            "topology": ["python manage.py topology"],
            "consumer": ["python manage.py consume"],
            "relay": ["python manage.py relay"],
            "worker": [f"celery -A config.celery worker -n {service}@%h -Q {service}.tasks --concurrency 2 --loglevel INFO"],
            "beat": ["celery -A config.celery beat --loglevel INFO"],
            "web": [f"gunicorn {service}.wsgi -b 0.0.0.0:{WEB_PORTS[service]} --workers 2 --access-logfile -"],
        }[process]
        assert flat == expected, name
    # The worker's queue is the one the service's tasks are sent to.
    assert 'f"{service}.tasks"' in settings_source()
    # The same two passes as the Makefile's topology target.
    makefile = (ROOT / "Makefile").read_text()
    first, second = makefile.find("manage.py topology --exchanges"), makefile.find("manage.py topology ||")
    assert 0 <= first < second, "the Makefile no longer runs `topology --exchanges` for every service first"


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
            else:
                # .env holds every password: compose reads it for ${...}, no container gets it whole.
                assert env_file["path"] != ".env", f"{name} would see every service's passwords"


def test_env_var_names_are_spelled_as_settings_reads_them():
    read = env_names_read_by_settings()
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_HOST_URL", "PUBLISHING_BROKER_URL", "PUBLISHING_BROKER_PASSWORD",
            "PUBLISHING_CELERY_BROKER_URL", *(f"{upper(s)}_DATABASE_URL" for s in SERVICES)} <= read
    django_settings = set(re.findall(r"^([A-Z][A-Z0-9_]*) =", (
        Path(importlib.util.find_spec("django").submodule_search_locations[0]) / "conf" / "global_settings.py"
    ).read_text(), re.M))
    for name, (service, _, spec) in app_containers().items():
        for var, value in spec["environment"].items():
            if var == "DJANGO_SETTINGS_MODULE" or var in (*TRACING_VARIABLES, *METRICS_VARIABLES):
                continue
            if var not in read:
                # EMAIL_HOST / EMAIL_PORT: Django's own setting names, for notifications' SMTP
                # settings to read; anything else unknown is a typo of a name settings reads.
                close = difflib.get_close_matches(var, read, n=1, cutoff=0.75)
                assert var in django_settings and not close, f"{name}: {var} is not read by config/settings.py ({close})"
            if re.search(r"_(BROKER|DATABASE)_(URL|PASSWORD)$", var):
                assert var.startswith(upper(service) + "_"), f"{name} sets another service's {var}"
            for interpolated, _, _ in references(value):
                assert interpolated in read | compose_secrets(), f"{name}: ${{{interpolated}}} is read by nobody"


def test_every_interpolation_has_one_local_default():
    """`docker compose up` without a .env works, and a variable means the same wherever it is used."""
    defaults: dict[str, set[str]] = {}
    for text in strings_in(compose()):
        for name, op, default in references(text):
            assert op == ":-" and default, f"${{{name}}} has no default"
            defaults.setdefault(name, set()).add(default)
    assert compose_secrets() <= set(defaults), f"not set anywhere: {compose_secrets() - set(defaults)}"
    for name, found in defaults.items():
        assert len(found) == 1, f"${{{name}}} has different defaults {found}"
        if name.endswith("_PASSWORD"):
            owner = {"BROKER_ADMIN_PASSWORD": ADMIN, "POSTGRES_PASSWORD": "postgres"}.get(
                name, re.sub(r"_(BROKER|DATABASE)_PASSWORD$", "", name).lower())
            assert found == {f"{owner}-local-only"}, name
    assert not any("guest" in text for text in strings_in(compose())), "guest no longer exists"


@pytest.mark.parametrize("dotenv", [{}, {f"{upper(s)}_BROKER_PASSWORD": f"real-{s}-9Xq" for s in SERVICES}],
                         ids=["defaults", "dotenv"])
def test_each_container_talks_to_rabbitmq_as_its_own_user(dotenv):
    definitions_env = services()["broker-definitions"]["environment"]
    for name, (service, _, spec) in app_containers().items():
        env = spec["environment"]
        assert [v for v in env if v.endswith("_BROKER_URL")] == [f"{upper(service)}_BROKER_URL"], name
        raw = env[f"{upper(service)}_BROKER_URL"]
        assert [ref for ref, _, _ in references(raw)] == [f"{upper(service)}_BROKER_PASSWORD"], name
        url = urlparse(interpolate(raw, dotenv))
        assert (url.scheme, url.hostname, url.port, url.path) == ("amqp", "rabbitmq", 5672, "/"), name
        assert unquote(url.username) == service, f"{name} connects as {url.username}"
        # The password broker-definitions gives the service's user, .env or not.
        assert unquote(url.password) == interpolate(definitions_env[f"{upper(service)}_BROKER_PASSWORD"], dotenv), name
        # Celery's URL is derived (settings.service_celery_broker_url): its vhost is the one created.
        assert f"{upper(service)}_CELERY_BROKER_URL" not in env and "BROKER_URL" not in env, name
        assert {"name": celery_vhost("/", service)} in generated()["vhosts"]
        assert env["EMAIL_HOST"] in services() and str(env["EMAIL_PORT"]) == "1025", name
    assert "celery_vhost(" in settings_source()


@pytest.mark.parametrize("dotenv", [{}, {f"{upper(s)}_DATABASE_PASSWORD": f"real-{s}-7Zk" for s in SERVICES}],
                         ids=["defaults", "dotenv"])
def test_each_container_uses_its_own_database_role(dotenv):
    postgres_env = services()["postgres"]["environment"]
    for name, (service, _, spec) in app_containers().items():
        env = spec["environment"]
        assert "DATABASE_HOST_URL" not in env, name
        assert [v for v in env if v.endswith("_DATABASE_URL")] == [f"{upper(service)}_DATABASE_URL"], name
        raw = env[f"{upper(service)}_DATABASE_URL"]
        assert [ref for ref, _, _ in references(raw)] == [f"{upper(service)}_DATABASE_PASSWORD"], name
        url = urlparse(interpolate(raw, dotenv))
        assert (url.scheme, url.hostname, url.port) == ("postgres", "postgres", 5432), name
        assert unquote(url.username) == service and url.path == f"/{service}", f"{name} uses {url.username} {url.path}"
        # The password docker/postgres-init.sh gives the service's role.
        assert unquote(url.password) == interpolate(postgres_env[f"{upper(service)}_DATABASE_PASSWORD"], dotenv), name


@pytest.mark.parametrize("dotenv", [{}, {f"{upper(s)}_SECRET_KEY": f"real-{s}-" + "k" * 50 for s in SERVICES}],
                         ids=["defaults", "dotenv"])
def test_each_container_gets_its_own_secret_key(dotenv):
    """Settings refuse, with DEBUG off, a key under 50 characters or one another service has: each
    container gets its own service's key from .env (a placeholder of its own without one), no other."""
    keys = {}
    for name, (service, _, spec) in app_containers().items():
        env = spec["environment"]
        assert [v for v in env if v.endswith("SECRET_KEY")] == [f"{upper(service)}_SECRET_KEY"], name
        raw = env[f"{upper(service)}_SECRET_KEY"]
        assert [ref for ref, _, _ in references(raw)] == [f"{upper(service)}_SECRET_KEY"], name
        keys.setdefault(service, set()).add(interpolate(raw, dotenv))
    assert all(len(found) == 1 for found in keys.values()), keys
    values = [found.pop() for found in keys.values()]
    assert len(set(values)) == len(SERVICES), "two services share a key"
    assert all(len(value) >= 50 for value in values), values
    if dotenv:
        assert sorted(values) == sorted(dotenv.values())


@pytest.mark.parametrize("dotenv", [{}, {"ALLOWED_HOSTS": "news.example.org", "SECURE": "true"}], ids=["defaults", "dotenv"])
def test_allowed_hosts_and_secure_come_from_the_environment(dotenv):
    for name, (_, _, spec) in app_containers().items():
        env = spec["environment"]
        hosts = interpolate(env["ALLOWED_HOSTS"], dotenv).split(",")
        assert "*" not in hosts and "127.0.0.1" in hosts, f"{name}: the healthcheck's host is refused"
        assert (dotenv.get("ALLOWED_HOSTS", "localhost") in hosts), name
        assert interpolate(env["SECURE"], dotenv) == dotenv.get("SECURE", "false"), name
        assert "DEBUG" not in env, f"{name} would run with DEBUG"


def test_postgres_requires_passwords():
    env = services()["postgres"]["environment"]
    assert "POSTGRES_HOST_AUTH_METHOD" not in env, "no trust: every connection needs a password"
    assert references(env["POSTGRES_PASSWORD"]) == [("POSTGRES_PASSWORD", ":-", "postgres-local-only")]
    assert set(env) == {"POSTGRES_PASSWORD", *(f"{upper(s)}_DATABASE_PASSWORD" for s in SERVICES)}


@pytest.fixture
def fake_psql(tmp_path):
    """A `psql` that records its arguments and its standard input, one JSON line per call."""
    log = tmp_path / "psql.log"
    fake = tmp_path / "bin" / "psql"
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\nimport json, sys\n"
                    f"with open({str(log)!r}, 'a') as f:\n"
                    "    f.write(json.dumps({'args': sys.argv[1:], 'stdin': sys.stdin.read()}) + '\\n')\n")
    fake.chmod(0o755)
    return fake.parent, log


@pytest.mark.skipif(shutil.which("bash") is None, reason="docker/postgres-init.sh is a bash script")
def test_postgres_init_creates_one_owning_role_and_database_per_service(fake_psql):
    mounts = mounts_of(services()["postgres"])
    (target,) = [t for t, (source, _) in mounts.items() if source == "./docker/postgres-init.sh"]
    assert target.startswith("/docker-entrypoint-initdb.d/") and target.endswith(".sh")
    script = ROOT / "docker" / "postgres-init.sh"
    # The image's entrypoint runs an executable *.sh (and sources any other).
    assert os.access(script, os.X_OK), "docker/postgres-init.sh must be executable"

    bin_dir, log = fake_psql
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "POSTGRES_USER": "postgres", "POSTGRES_DB": "postgres",
           "MODERATION_DATABASE_PASSWORD": "it's \"odd\"; DROP ROLE x"}
    subprocess.run(["bash", str(script)], env=env, check=True, capture_output=True, timeout=30)
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    created = []
    for call in calls:
        args = call["args"]
        variables = dict(a.removeprefix("--set=").split("=", 1) for a in args if a.startswith("--set="))
        assert "ON_ERROR_STOP=1" in args and args[args.index("--username") + 1] == "postgres", args
        statements = [s.strip() for s in call["stdin"].split(";") if s.strip()]
        assert statements == ['CREATE ROLE :"service" LOGIN PASSWORD :\'password\'',
                              'CREATE DATABASE :"service" OWNER :"service"',
                              'REVOKE ALL ON DATABASE :"service" FROM PUBLIC']
        created.append((variables["service"], variables["password"]))
    assert created == [("publishing", "publishing-local-only"), ("moderation", "it's \"odd\"; DROP ROLE x"),
                       ("notifications", "notifications-local-only"), ("search_indexer", "search_indexer-local-only")]
    assert sorted(service for service, _ in created) == sorted(SERVICES)


# --- broker identities -----------------------------------------------------------------------


def test_broker_definitions_job_runs_identities_definitions():
    job = services()["broker-definitions"]
    assert job["build"] == "." and job["image"] == services()["publishing-web"]["image"], "our image"
    argv = job["command"]
    assert argv[:3] == ["python", "bin/identities.py", "definitions"] and (ROOT / "bin" / "identities.py").is_file()
    options = dict(zip(argv[3::2], argv[4::2], strict=True))
    assert options == {"--out": options["--out"], "--admin": ADMIN}
    assert set(job["environment"]) == {f"{upper(s)}_BROKER_PASSWORD" for s in SERVICES} | {"BROKER_ADMIN_PASSWORD"}
    assert job["restart"] == "no" and "DJANGO_SETTINGS_MODULE" not in job["environment"]


def test_rabbitmq_loads_the_generated_definitions():
    job, rabbitmq = services()["broker-definitions"], services()["rabbitmq"]
    out = PurePosixPath(job["command"][job["command"].index("--out") + 1])
    written = {source: target for target, (source, _) in mounts_of(job).items() if out.is_relative_to(target)}
    ((volume, job_target),) = written.items()
    assert volume in compose()["volumes"], "the definitions go through a named volume"
    ((rabbit_target, read_only),) = [(t, ro) for t, (source, ro) in mounts_of(rabbitmq).items() if source == volume]
    assert read_only, "rabbitmq mounts the definitions read-only"
    conf = (ROOT / "docker" / "rabbitmq.conf").read_text()
    (path,) = re.findall(r"^load_definitions\s*=\s*(\S+)$", conf, re.M)
    assert PurePosixPath(path) == PurePosixPath(rabbit_target) / out.relative_to(job_target)
    assert rabbitmq["depends_on"]["broker-definitions"]["condition"] == "service_completed_successfully"
    conf_target = [t for t, (source, _) in mounts_of(rabbitmq).items() if source == "./docker/rabbitmq.conf"][0]
    assert conf_target == "/etc/rabbitmq/rabbitmq.conf" or re.fullmatch(r"/etc/rabbitmq/conf\.d/[\w.-]+\.conf", conf_target)
    assert not (ROOT / "docker" / "rabbitmq-definitions.json").exists(), "nothing hand-written may drift from the catalog"
    settings_lines = [line for line in conf.splitlines() if not line.lstrip().startswith("#")]
    assert not any("guest" in line for line in settings_lines), "guest no longer exists"


@pytest.mark.parametrize("dotenv", [{}, {**{f"{upper(s)}_BROKER_PASSWORD": f"real-{s}-3Wp" for s in SERVICES},
                                         "BROKER_ADMIN_PASSWORD": "real-admin-5Yt"}], ids=["defaults", "dotenv"])
def test_the_job_writes_definitions_rabbitmq_can_load(tmp_path, dotenv):
    """bin/identities.py run as the job runs it: the file's shape, passwords that open exactly the
    users the containers connect as, an administrator, and no var/secrets.env (every password set)."""
    job = services()["broker-definitions"]
    env = {var: interpolate(value, dotenv) for var, value in job["environment"].items()}
    argv = [a if a != job["command"][job["command"].index("--out") + 1] else str(tmp_path / "out" / "definitions.json")
            for a in job["command"][1:]]
    secrets = tmp_path / "secrets.env"
    subprocess.run([sys.executable, *argv], cwd=ROOT, check=True, capture_output=True, timeout=60,
                   env={"PATH": os.environ["PATH"], "PLATFORM_SECRETS_FILE": str(secrets), **env})
    assert not secrets.exists(), "with every password in the environment, identities.py generates none"
    doc = json.loads((tmp_path / "out" / "definitions.json").read_text())

    assert set(doc) == {"users", "vhosts", "permissions", "topic_permissions"}
    for user in doc["users"]:
        assert set(user) == {"name", "password_hash", "hashing_algorithm", "tags"}, user
        assert user["hashing_algorithm"] == "rabbit_password_hashing_sha256" and isinstance(user["tags"], list)
    users = {u["name"]: u for u in doc["users"]}
    vhosts = [v["name"] for v in doc["vhosts"]]
    assert all(set(v) == {"name"} for v in doc["vhosts"]) and len(set(vhosts)) == len(vhosts)
    assert set(users) == {*SERVICES, ADMIN}
    for entry in doc["permissions"]:
        assert set(entry) == {"user", "vhost", "configure", "write", "read"}, entry
        assert entry["user"] in users and entry["vhost"] in vhosts, entry
    for entry in doc["topic_permissions"]:
        assert set(entry) == {"user", "vhost", "exchange", "write", "read"}, entry
        assert entry["user"] in users and entry["vhost"] in vhosts, entry
    for entry in doc["permissions"] + doc["topic_permissions"]:
        for kind in ("configure", "write", "read"):
            if kind in entry:
                re.compile(entry[kind])

    for name, (service, _, spec) in app_containers().items():
        url = urlparse(interpolate(spec["environment"][f"{upper(service)}_BROKER_URL"], dotenv))
        assert hash_matches(users[service]["password_hash"], unquote(url.password)), f"{name} could not log in"
        assert not hash_matches(users[service]["password_hash"], "guest")
    assert users[ADMIN]["tags"] == ["administrator"]
    assert hash_matches(users[ADMIN]["password_hash"], env["BROKER_ADMIN_PASSWORD"])
    admin = {p["vhost"]: p for p in doc["permissions"] if p["user"] == ADMIN}
    assert set(admin) == set(vhosts)
    # What the services get is exactly what the library generates (checked below), admin aside.
    library = definitions(vhosts=["/"], passwords={s: "x" for s in SERVICES})
    assert [p for p in doc["permissions"] if p["user"] != ADMIN] == library["permissions"]
    assert doc["topic_permissions"] == library["topic_permissions"]
    assert vhosts == [v["name"] for v in library["vhosts"]]


def test_users_and_vhosts():
    doc = generated()
    users = {u["name"]: u for u in doc["users"]}
    assert set(users) == set(SERVICES), "one broker user per service, named after it"
    assert sorted({producer_of(t) for t in event_types()}) == sorted(SERVICES), "every service produces events"
    for service, user in users.items():
        assert user["tags"] in ([], ""), f"{service} has tags {user['tags']}"
        assert hash_matches(user["password_hash"], LOCAL_PASSWORDS[service])
    assert sorted(v["name"] for v in doc["vhosts"]) == sorted(["/", *(f"{s}-tasks" for s in SERVICES)])
    for service in SERVICES:
        vhosts = {p["vhost"] for p in doc["permissions"] if p["user"] == service}
        assert vhosts == {"/", f"{service}-tasks"}, f"{service} has permissions on {sorted(vhosts)}"


@pytest.mark.parametrize("service", SERVICES)
def test_service_permissions_fit_its_own_names_only(service):
    perms = permissions(service)
    own = own_names(service)
    assert own == sorted({service, f"{service}.dead", f"{service}.unroutable", f"{service}.retry",
                                  *(f"{service}.retry.{n}" for n in (1, 2, 3, 4, 12)),
                                  f"{service}.events", f"{service}.moving"})
    producers = sorted({exchange_of(t) for t in event_types()})
    for kind in ("configure", "write", "read"):
        regex = perms[kind]
        assert regex.startswith("^") and regex.endswith("$"), f"{service} {kind} is not anchored"
        denied = [n for n in own if not rabbit_allows(regex, n)]
        assert not denied, f"{service} lacks {kind} on {denied}"
        # Anchored for real (not `^a|b$`), and the dots are literal.
        near = [v for n in own for v in (f"x{n}", f"{n}x", f"{n}.x", f"other.{n}", n.replace(".", "X"))
                if v != n and v not in own]
        loose = [n for n in near if rabbit_allows(regex, n)]
        assert not loose, f"{service} {kind} also allows {loose}"
        # No default exchange (no dropping a message into a queue by name), no amq.* exchange;
        # Celery is on the service's own vhost, not on the bus.
        for name in ("amq.default", "", "amq.topic", "amq.direct", "amq.fanout", "amq.headers",
                     "celery", "celeryev", "celery.pidbox", f"{service}.tasks"):
            assert not rabbit_allows(regex, name), f"{service} may {kind} {name!r}"
    # Its queue binds to any producer's events exchange.
    assert all(rabbit_allows(perms["read"], exchange) for exchange in producers), f"{service} cannot bind"

    for other in SERVICES:
        if other == service:
            continue
        theirs = own_names(other)
        for kind in ("configure", "write"):
            allowed = [n for n in theirs if rabbit_allows(perms[kind], n)]
            assert not allowed, f"{service} may {kind} {other}'s {allowed}"
        readable = [n for n in theirs if rabbit_allows(perms["read"], n)]
        assert readable == [f"{other}.events"], f"{service} may read {other}'s {readable}"


@pytest.mark.parametrize("service", SERVICES)
def test_topic_permission_limits_publishing_to_owned_types(service):
    topics = [t for t in generated()["topic_permissions"] if t["user"] == service]
    assert [(t["vhost"], t["exchange"]) for t in topics] == [("/", f"{service}.events")]
    write = topics[0]["write"]
    assert write.startswith("^") and write.endswith("$")
    owned = sorted(t for t in event_types() if producer_of(t) == service)
    assert owned, f"{service} owns no event type"
    allowed = sorted(t for t in event_types() if rabbit_allows(write, t))
    assert allowed == owned, f"{service} may publish {allowed} on {service}.events, owns {owned}"
    near = [v for t in owned for v in (f"x{t}", f"{t}x", f"{t}.x", t.replace(".", "X"))]
    assert not [v for v in near if rabbit_allows(write, v)], f"{service}'s routing keys are not anchored"


@pytest.mark.parametrize("service", SERVICES)
def test_celery_vhost_belongs_to_its_service_alone(service):
    vhost = celery_vhost("/", service)
    assert vhost == f"{service}-tasks"
    entries = [p for p in generated()["permissions"] if p["vhost"] == vhost]
    assert [p["user"] for p in entries] == [service], f"{vhost} is open to {[p['user'] for p in entries]}"
    assert not [t for t in generated()["topic_permissions"] if t["vhost"] == vhost]


def test_publishing_may_not_touch_moderations_queue():
    """The brief's example, spelled out."""
    perms = permissions("publishing")
    for kind in ("configure", "write", "read"):
        assert rabbit_allows(perms[kind], "publishing")
        assert not rabbit_allows(perms[kind], "moderation")
        assert re.fullmatch(perms[kind], "publishing") and not re.fullmatch(perms[kind], "moderation")


# --- startup order and restarts --------------------------------------------------------------


def one_shot(name: str) -> bool:
    return name == "broker-definitions" or name.endswith(tuple(f"-{p}" for p in ONE_SHOTS))


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
                assert one_shot(target) and services()[target].get("restart") == "no", f"{name} waits for {target}"
            else:
                assert condition == "service_started"
    for name, spec in services().items():
        assert spec.get("restart") == ("no" if one_shot(name) else "unless-stopped"), name
    for name in ("rabbitmq", "postgres"):
        assert services()[name]["healthcheck"]["test"], name
    assert "rabbitmq-diagnostics -q ping" in " ".join(services()["rabbitmq"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services()["postgres"]["healthcheck"]["test"])


def test_start_order_binds_every_queue_before_any_producer_starts():
    """broker-definitions -> rabbitmq; every <s>-migrate (its exchanges) -> every <s>-topology (its
    queues and bindings) -> every long-running process of every service."""
    completed = {"condition": "service_completed_successfully"}
    infra = {"rabbitmq": {"condition": "service_healthy"}, "postgres": {"condition": "service_healthy"}}
    migrated = {f"{s}-migrate": completed for s in SERVICES}
    bound = {f"{s}-topology": completed for s in SERVICES}
    assert services()["rabbitmq"]["depends_on"] == {"broker-definitions": completed}
    assert "depends_on" not in services()["broker-definitions"]
    for name, (service, process, spec) in app_containers().items():
        depends = spec["depends_on"]
        if process == "migrate":
            assert depends == infra, name
        elif process == "topology":
            assert depends == {**infra, **migrated}, name
        else:
            extra = {"mailpit": {"condition": "service_started"}} if service == "notifications" else {}
            assert depends == {**infra, **bound, **extra}, name


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
            *sources, destination = [a for a in shlex.split(arg) if not a.startswith("--")]
            for source in sources:
                assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"
                assert destination.rstrip("/") in (".", source.rstrip("/")), f"{source} lands in {destination}"
                copied.append(source.rstrip("/"))
    assert "requirements.txt" in copied
    # bin/ for the broker-definitions job; identities.py finds config/ as its parent's sibling.
    assert {"manage.py", "bin", "config", *SERVICES} <= set(copied), "the image lacks code the stack runs"
    envs = " ".join(arg for op, arg in instructions if op == "ENV")
    assert re.search(r"\bPYTHONUNBUFFERED=1\b", envs)
    users = [arg for op, arg in instructions if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert [op for op, _ in instructions].count("CMD") == 1
    assert "DJANGO_SETTINGS_MODULE" not in envs, "one image for all services: the container picks the service"
    # The job writes as that user into a new named volume, which takes the image directory's owner.
    job = services()["broker-definitions"]
    out_dir = str(PurePosixPath(job["command"][job["command"].index("--out") + 1]).parent)
    assert any(re.search(rf"mkdir -p .*{re.escape(out_dir)}\b", r) and re.search(
        rf"chown {re.escape(users[-1])}(:\w+)? .*{re.escape(out_dir)}\b", r) for r in runs), f"{out_dir} is not writable"


def test_every_process_exports_its_traces_to_jaeger():
    jaeger = services()["jaeger"]
    assert re.fullmatch(r"jaegertracing/all-in-one:\d+\.\d+\.\d+", jaeger["image"]), "pin Jaeger's version"
    for name, (_, _, spec) in app_containers().items():
        endpoint = urlparse(spec["environment"].get("OTEL_EXPORTER_OTLP_ENDPOINT", ""))
        assert (endpoint.scheme, endpoint.hostname, endpoint.port) == ("http", "jaeger", 4318), name


# --- metrics: Prometheus and the services' metrics volumes --------------------------------------


def prometheus_config() -> dict:
    return yaml.safe_load((ROOT / "docker" / "prometheus" / "prometheus.yml").read_text())


def alert_rules() -> list[dict]:
    doc = yaml.safe_load((ROOT / "docker" / "prometheus" / "alerts.yml").read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def test_prometheus_is_pinned_and_reads_the_repositorys_config():
    spec = services()["prometheus"]
    image, _, tag = spec["image"].partition(":")
    assert image == "prom/prometheus" and re.fullmatch(r"v\d+\.\d+\.\d+", tag), spec["image"]
    assert "./docker/prometheus:/etc/prometheus:ro" in spec["volumes"]
    assert prometheus_config()["rule_files"] == ["alerts.yml"]  # relative to /etc/prometheus


def test_prometheus_scrapes_every_web_by_a_name_it_answers_to():
    from django.http.request import host_validation_re

    targets = {}
    for job in prometheus_config()["scrape_configs"]:
        assert job.get("metrics_path", "/metrics") == "/metrics"
        for static in job["static_configs"]:
            [target] = static["targets"]
            targets[static["labels"]["service"]] = target
    assert set(targets) == set(SERVICES)
    for service, target in targets.items():
        host, _, port = target.partition(":")
        assert int(port) == WEB_PORTS[service], target
        web = services()[f"{service}-web"]
        aliases = web.get("networks", {}).get("default", {}).get("aliases", [])
        assert host in (f"{service}-web", *aliases), f"{target} is not {service}-web's name on the network"
        assert host_validation_re.match(host), f"Django refuses the Host {host!r}: every scrape would be a 400"
        assert host in interpolate(web["environment"]["ALLOWED_HOSTS"], {}).split(","), f"{host} not in ALLOWED_HOSTS"


def test_every_process_of_a_service_writes_its_metrics_where_its_web_reads_them():
    for name, (service, _process, spec) in long_running().items():
        folder = spec["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        mounts = [v for v in spec.get("volumes", []) if v.endswith("-metrics:" + folder)]
        assert mounts == [f"{service}-metrics:{folder}"], f"{name} writes its metrics into no shared volume"
        assert folder == "/app/var/metrics"  # the Dockerfile makes it the app user's


def test_the_alert_rules_are_there_and_name_documented_metrics():
    rules = {rule["alert"]: rule for rule in alert_rules()}
    assert {"OutboxNotDraining", "DeadLetters", "EventLagHigh", "FlowsStuck"} <= set(rules)
    readme = (ROOT / "README.md").read_text()
    for name, rule in rules.items():
        assert rule["expr"] and rule["annotations"]["summary"], name
        for metric in re.findall(r"\b((?:eventbus|publishing|moderation|search|notifications|flows)_[a-z_]+)", rule["expr"]):
            base = re.sub(r"_(bucket|count|sum)$", "", metric)
            assert f"`{base}" in readme, f"{name} uses {metric}, which the README's Metrics section does not list"


def test_the_image_carries_gunicorns_hooks_where_the_webs_start():
    """gunicorn reads ./gunicorn.conf.py (child_exit drops a dead worker's metrics) from WORKDIR."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    workdir = re.findall(r"^WORKDIR (\S+)", dockerfile, re.M)[-1]
    copied = [line.split()[1:-1] for line in dockerfile.splitlines() if line.startswith("COPY ")]
    assert any("gunicorn.conf.py" in sources for sources in copied) and workdir == "/app"
    for name, (_service, process, spec) in long_running().items():
        if process == "web":
            assert spec["command"][0] == "gunicorn" and "-c" not in spec["command"], name
