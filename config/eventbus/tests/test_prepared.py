"""config.prepared: statements on Django's connection, in its transaction, with its errors and wrappers."""
from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from config.eventbus.models import AppliedRevision
from config.prepared import prepared
from config.testing import statements_counted

pytestmark = pytest.mark.django_db(transaction=True)

INSERT = "INSERT INTO eventbus_appliedrevision (stream, revision, applied_at) VALUES (%s, %s, now())"


def test_a_statement_is_part_of_the_orms_transaction() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        prepared(INSERT, ["article:1", 1])
        assert AppliedRevision.objects.filter(stream="article:1").exists()
        raise RuntimeError("roll it back")
    assert not AppliedRevision.objects.exists()


def test_its_errors_are_djangos_and_the_transaction_can_go_on_after_them() -> None:
    AppliedRevision.objects.create(stream="article:1", revision=1)
    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic():
            prepared(INSERT, ["article:1", 2])
        prepared(INSERT, ["article:2", 1])
    assert sorted(AppliedRevision.objects.values_list("stream", flat=True)) == ["article:1", "article:2"]


def test_it_runs_through_the_connections_execute_wrappers() -> None:
    with statements_counted() as count:
        prepared("SELECT 1", [])
        prepared("SELECT %s::int", [2])
    assert count[0] == 2


def test_a_statement_run_often_is_prepared_once_on_the_server() -> None:
    connection.ensure_connection()
    for number in range(10):
        assert prepared("SELECT %s::int + 1", [number]).fetchone() == (number + 1,)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["SELECT $1::int + 1%"])
        assert cursor.fetchone() == (1,)
