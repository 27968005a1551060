"""Production settings: each service refuses the default or a shared SECRET_KEY with DEBUG off, SECURE=true
turns on HTTPS-only behaviour, and `manage.py check --deploy` finds nothing under the production settings.

Every check runs manage.py (or the settings) in a process of its own with an environment built here, and
a secrets file that does not exist, so neither var/secrets.env nor the caller's environment leaks in. No
database or broker is touched. No Django in this process: `python -m pytest -p no:django tests/test_deploy_settings.py`.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("publishing", "moderation", "notifications", "search_indexer")
# What the caller may have set that would change what these tests see.
SCRUBBED = re.compile(r"^(DEBUG|SECURE|SECURE_HSTS_SECONDS|ALLOWED_HOSTS|TRUSTED_PROXY_COUNT|(\w+_)?SECRET_KEY)$")


def key() -> str:
    return secrets.token_urlsafe(48)


def production(**overrides: str) -> dict[str, str]:
    """DEBUG off, SECURE on, a key of each service's own, the host the deployment answers to."""
    return {"DEBUG": "false", "SECURE": "true", "ALLOWED_HOSTS": "news.example.org",
            **{f"{service.upper()}_SECRET_KEY": key() for service in SERVICES}, **overrides}


def run(service: str, environment: dict[str, str], *argv: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if not SCRUBBED.match(name)}
    env |= {"DJANGO_SETTINGS_MODULE": f"{service}.settings", "PLATFORM_SECRETS_FILE": str(tmp_path / "absent.env"),
            "LOG_LEVEL": "WARNING", **environment}
    return subprocess.run([sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def settings_of(service: str, environment: dict[str, str], *names: str, tmp_path: Path) -> dict:
    script = ("import json; from django.conf import settings; "
              f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}))")
    result = run(service, environment, "-c", script, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- SECRET_KEY ------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_check_deploy_is_clean_under_the_production_settings(service, tmp_path):
    result = run(service, production(), "manage.py", "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("environment", [{}, {"SECRET_KEY": "insecure-local-development-key-change-me"}],
                         ids=["unset", "the-default"])
def test_the_default_key_is_refused_with_debug_off(environment, tmp_path):
    result = run("publishing", {"DEBUG": "false", **environment}, "manage.py", "check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured: PUBLISHING_SECRET_KEY (or SECRET_KEY) is unset or the insecure default" in result.stderr


def test_a_key_another_service_has_is_refused(tmp_path):
    shared = key()
    environment = production(PUBLISHING_SECRET_KEY=shared, SEARCH_INDEXER_SECRET_KEY=shared)
    result = run("publishing", environment, "manage.py", "check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "PUBLISHING_SECRET_KEY is the same key as SEARCH_INDEXER_SECRET_KEY" in result.stderr
    # The generic SECRET_KEY, when a service falls back on it, may not be another service's either.
    environment = {**production(MODERATION_SECRET_KEY=shared), "PUBLISHING_SECRET_KEY": "", "SECRET_KEY": shared}
    result = run("publishing", environment, "manage.py", "check", tmp_path=tmp_path)
    assert result.returncode != 0 and "SECRET_KEY is the same key as MODERATION_SECRET_KEY" in result.stderr


def test_a_short_key_is_refused(tmp_path):
    result = run("moderation", production(MODERATION_SECRET_KEY="k" * 49), "manage.py", "check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "MODERATION_SECRET_KEY has 49 characters: with DEBUG off it needs at least 50" in result.stderr


def test_debug_still_starts_on_the_default_key(tmp_path):
    result = run("publishing", {"DEBUG": "true"}, "manage.py", "check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    found = settings_of("publishing", {"DEBUG": "true"}, "SECRET_KEY", tmp_path=tmp_path)
    assert found == {"SECRET_KEY": "insecure-local-development-key-change-me"}


def test_each_service_reads_its_own_key_before_the_generic_one(tmp_path):
    environment = {**production(), "SECRET_KEY": key()}
    for service in SERVICES:
        found = settings_of(service, environment, "SECRET_KEY", tmp_path=tmp_path)
        assert found["SECRET_KEY"] == environment[f"{service.upper()}_SECRET_KEY"], service
    only_generic = {**production(), "PUBLISHING_SECRET_KEY": "", "SECRET_KEY": environment["SECRET_KEY"]}
    assert settings_of("publishing", only_generic, "SECRET_KEY", tmp_path=tmp_path) == {"SECRET_KEY": environment["SECRET_KEY"]}


# --- SECURE ----------------------------------------------------------------------------------

SECURITY_SETTINGS = ("SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_SSL_REDIRECT",
                     "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER", "SECURE_REDIRECT_EXEMPT",
                     "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE",
                     "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "CONTENT_SECURITY_POLICY")
ALWAYS = {"SESSION_COOKIE_HTTPONLY": True, "CSRF_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax",
          "CSRF_COOKIE_SAMESITE": "Lax", "SECURE_CONTENT_TYPE_NOSNIFF": True, "SECURE_REFERRER_POLICY": "same-origin"}


def test_secure_turns_on_hsts_secure_cookies_and_the_https_redirect(tmp_path):
    found = settings_of("publishing", production(), *SECURITY_SETTINGS, tmp_path=tmp_path)
    assert found["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert found["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is found["SECURE_HSTS_PRELOAD"] is True
    assert found["SECURE_SSL_REDIRECT"] is found["SESSION_COOKIE_SECURE"] is found["CSRF_COOKIE_SECURE"] is True
    assert found["SECURE_REDIRECT_EXEMPT"] == ["^healthz$", "^metrics$"], \
        "the healthchecks call /healthz, and Prometheus /metrics, over plain HTTP"
    # Without a trusted proxy, X-Forwarded-Proto is anyone's to send: it does not make a request secure.
    assert found["SECURE_PROXY_SSL_HEADER"] is None
    assert {name: found[name] for name in ALWAYS} == ALWAYS
    assert found["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["upgrade-insecure-requests"] is True


def test_the_forwarded_proto_counts_only_behind_a_trusted_proxy(tmp_path):
    found = settings_of("publishing", production(TRUSTED_PROXY_COUNT="1"), "SECURE_PROXY_SSL_HEADER", tmp_path=tmp_path)
    assert found == {"SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"]}


def test_without_secure_plain_http_still_works_with_safe_cookies(tmp_path):
    found = settings_of("publishing", production(SECURE="false"), *SECURITY_SETTINGS, tmp_path=tmp_path)
    assert found["SECURE_HSTS_SECONDS"] == 0 and found["SECURE_SSL_REDIRECT"] is False
    assert found["SESSION_COOKIE_SECURE"] is found["CSRF_COOKIE_SECURE"] is False
    assert {name: found[name] for name in ALWAYS} == ALWAYS
    assert found["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["upgrade-insecure-requests"] is False


def test_the_content_security_policy_allows_only_the_service_itself(tmp_path):
    directives = settings_of("publishing", production(), "CONTENT_SECURITY_POLICY",
                             tmp_path=tmp_path)["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert directives["default-src"] == directives["script-src"] == ["'self'"], "no inline or outside script"
    assert directives["object-src"] == directives["base-uri"] == directives["frame-ancestors"] == ["'none'"]
    sources = [source for value in directives.values() if isinstance(value, list) for source in value]
    assert not [s for s in sources if s == "*" or "://" in s or s.startswith(("http", "'unsafe-eval"))], sources


# --- the keys var/secrets.env holds ----------------------------------------------------------


def test_preflight_generates_one_key_per_service_and_keeps_what_is_there(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "bin"))
    import identities

    for name in [n for n in os.environ if SCRUBBED.match(n) or n.endswith("_PASSWORD")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(identities, "SECRETS", tmp_path / "var" / "secrets.env")
    passwords = identities.secrets_ensure("BROKER", "DATABASE")
    keys = identities.secret_keys_ensure()
    assert sorted(keys) == sorted(f"{service.upper()}_SECRET_KEY" for service in SERVICES)
    assert len(set(keys.values())) == len(SERVICES) and all(len(k) >= 50 for k in keys.values())
    assert stat.S_IMODE(identities.SECRETS.stat().st_mode) == 0o600
    assert identities.secret_keys_ensure() == keys and identities.secrets_ensure("BROKER", "DATABASE") == passwords
    # What settings read back from the file is what was generated.
    found = settings_of("notifications", {"DEBUG": "false", "PLATFORM_SECRETS_FILE": str(identities.SECRETS)},
                        "SECRET_KEY", tmp_path=tmp_path)
    assert found == {"SECRET_KEY": keys["NOTIFICATIONS_SECRET_KEY"]}


def test_preflight_writes_the_keys_in_both_modes():
    source = (ROOT / "bin" / "preflight.py").read_text()
    main = source[source.index("def main("):]
    assert main.index("identities.secret_keys_ensure()") < main.index('if mode == "run":'), "both modes need the keys"
