"""Each service's PostgreSQL role owns its own database and no other (bin/preflight.py database_roles),
on the real local PostgreSQL. No Django: `python -m pytest -p no:django tests/test_database_roles.py`."""
from __future__ import annotations

import sys

import psycopg
import pytest

from tests.conftest import DB_HOST, ROOT, SERVICES, _recreate_database

sys.path.insert(0, str(ROOT / "bin"))
import identities  # noqa: E402
import preflight  # noqa: E402

DATABASES = {service: f"roles_{service}" for service in SERVICES}


@pytest.fixture(scope="module", autouse=True)
def roles() -> dict[str, str]:
    for name in DATABASES.values():
        _recreate_database(name)
    with psycopg.connect(f"{DB_HOST}/{DATABASES['publishing']}", autocommit=True) as conn:
        conn.execute("CREATE TABLE made_by_a_superuser (id int)")  # what a migration run as postgres leaves
    found = identities.secrets_ensure("DATABASE")
    passwords = {service: found[f"{service.upper()}_DATABASE_PASSWORD"] for service in SERVICES}
    preflight.database_roles(DATABASES, passwords)
    return passwords


def _as(role: str, database: str, passwords: dict[str, str]) -> psycopg.Connection:
    host = DB_HOST.split("@")[-1]
    return psycopg.connect(f"postgres://{role}:{passwords[role]}@{host}/{database}", connect_timeout=5)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_role_owns_its_database(service, roles) -> None:
    with _as(service, DATABASES[service], roles) as conn:
        owner = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()")
        assert owner.fetchone()[0] == service
        conn.execute("CREATE TABLE mine (id int)")


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_role_cannot_connect_to_another_services_database(service, roles) -> None:
    for other in SERVICES:
        if other != service:
            with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
                _as(service, DATABASES[other], roles)


def test_objects_a_superuser_created_move_to_the_role(roles) -> None:
    with _as("publishing", DATABASES["publishing"], roles) as conn:
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'made_by_a_superuser'").fetchone()[0]
        assert owner == "publishing"
        conn.execute("INSERT INTO made_by_a_superuser VALUES (1)")
