"""config.prepared: statements on Django's connection, in its transaction, with its errors and wrappers."""
from __future__ import annotations

import uuid

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, IntegrityError, connection, transaction
from knox.models import AuthToken

from config.eventbus.models import AppliedRevision
from config.eventbus.tests.probe.models import Effect
from config.prepared import model_update, models_insert, prepared, prepared_models
from config.testing import statements_counted

pytestmark = pytest.mark.django_db(transaction=True)


class EffectProxy(Effect):
    class Meta:
        proxy = True
        app_label = "probe"


class GuardedEffect(Effect):
    class Meta:
        proxy = True
        app_label = "probe"

    def save(self, *args, **kwargs) -> None:
        raise AssertionError("the rule this save keeps")


class ChildEffect(Effect):  # multi-table inheritance: never migrated, only its options are read
    class Meta:
        app_label = "probe"
        managed = False

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


def test_a_statement_run_often_is_prepared_once_on_the_server_unless_prepared_statements_are_off() -> None:
    """DATABASE_PREPARED_STATEMENTS=false (behind PgBouncer in transaction mode) binds on the client, and
    then nothing is prepared here either."""
    connection.ensure_connection()
    for number in range(10):
        assert prepared("SELECT %s::int + 1", [number]).fetchone() == (number + 1,)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["SELECT $1::int + 1%"])
        on = connection.settings_dict.get("OPTIONS", {}).get("server_side_binding", False)
        assert cursor.fetchone() == (1 if on else 0,)


# --- models read along their foreign keys, inserted and updated as the ORM would ------------------------


@pytest.fixture
def user():
    return User.objects.create_user(username="alice", email="alice@example.org", password="x" * 12)


def test_a_model_is_read_with_what_it_points_to_in_one_statement(user) -> None:
    kind = ContentType.objects.get_for_model(User)
    entry = LogEntry.objects.create(user=user, content_type=kind, object_repr="alice", action_flag=1,
                                    change_message="added")
    with statements_counted() as count:
        [found] = prepared_models(LogEntry, "django_admin_log.id = %s", [entry.pk], related=("user", "content_type"))
        assert (found.user.username, found.content_type.model) == ("alice", "user")
    assert count[0] == 1
    assert found.action_time == LogEntry.objects.get(pk=entry.pk).action_time  # as the ORM reads the column
    assert found.user == user and found._state.adding is False


def test_a_nullable_foreign_key_that_points_nowhere_reads_as_none(user) -> None:
    entry = LogEntry.objects.create(user=user, content_type=None, object_repr="alice", action_flag=1)
    with statements_counted() as count:
        [found] = prepared_models(LogEntry, "django_admin_log.id = %s", [entry.pk], related=("content_type",))
        assert found.content_type is None
    assert count[0] == 1


def test_annotations_come_first_in_the_parameters(user) -> None:
    entry = LogEntry.objects.create(user=user, object_repr="alice", action_flag=2)
    [found] = prepared_models(LogEntry, "django_admin_log.id = %s", [7, entry.pk],
                              annotations={"doubled": "django_admin_log.action_flag * %s::int"})
    assert found.doubled == 14


def test_only_forward_foreign_keys_can_be_read_along() -> None:
    with pytest.raises(ValueError, match="forward foreign keys"):
        prepared_models(User, "auth_user.id = %s", [1], related=("logentry",))


def test_an_insert_sets_what_the_database_and_pre_save_make() -> None:
    event_id, correlation = uuid.uuid4(), uuid.uuid4()
    effects = [Effect(event_id=event_id, event_type="t", subject=f"s{n}", correlation_id=correlation) for n in range(2)]
    with statements_counted() as count:
        assert models_insert(effects) == effects
    assert count[0] == 1
    stored = {effect.pk: effect for effect in Effect.objects.all()}
    assert sorted(stored) == sorted(effect.pk for effect in effects) and None not in stored
    for effect in effects:
        assert effect._state.adding is False and effect.applied_at is not None
        assert (stored[effect.pk].subject, stored[effect.pk].applied_at) == (effect.subject, effect.applied_at)


def test_an_insert_skipping_conflicts_returns_only_the_rows_that_went_in() -> None:
    AppliedRevision.objects.create(stream="article:1", revision=1)
    rows = [AppliedRevision(stream="article:1", revision=2), AppliedRevision(stream="article:2", revision=1)]
    assert models_insert(rows, skip_conflicts=True) == rows[1:]
    assert dict(AppliedRevision.objects.values_list("stream", "revision")) == {"article:1": 1, "article:2": 1}


def test_skipping_conflicts_needs_the_primary_keys_set() -> None:
    with pytest.raises(ValueError, match="primary keys"):
        models_insert([Effect(event_id=uuid.uuid4(), event_type="t", subject="s", correlation_id=uuid.uuid4())],
                      skip_conflicts=True)


def test_an_update_writes_every_column_and_its_auto_now() -> None:
    row = AppliedRevision.objects.create(stream="article:1", revision=1)
    before = row.applied_at
    row.revision = 2
    with statements_counted() as count:
        model_update(row)
    assert count[0] == 1
    stored = AppliedRevision.objects.get(pk="article:1")
    assert (stored.revision, stored.applied_at) == (2, row.applied_at) and row.applied_at > before


def test_an_update_of_a_row_that_is_not_there_is_an_error(user) -> None:
    token = AuthToken.objects.create(user=user)[0]
    AuthToken.objects.filter(pk=token.pk).delete()
    with pytest.raises(DatabaseError, match="no row to update"):
        model_update(token)


def test_a_model_with_a_save_of_its_own_is_refused_and_so_is_a_stored_instance() -> None:
    guarded = GuardedEffect(event_id=uuid.uuid4(), event_type="t", subject="s", correlation_id=uuid.uuid4())
    with pytest.raises(ValueError, match="save"):
        models_insert([guarded])
    effect = Effect.objects.create(event_id=uuid.uuid4(), event_type="t", subject="s", correlation_id=uuid.uuid4())
    with pytest.raises(ValueError, match="stored already"):
        models_insert([effect])
    with pytest.raises(ValueError, match="not stored"):
        model_update(AppliedRevision(stream="article:9", revision=1))


def test_a_proxy_model_reads_and_writes_its_concrete_models_table() -> None:
    [effect] = models_insert([EffectProxy(event_id=uuid.uuid4(), event_type="t", subject="s", correlation_id=uuid.uuid4())])
    effect.subject = "changed"
    model_update(effect)
    [found] = prepared_models(EffectProxy, "probe_effect.id = %s", [effect.pk])
    assert isinstance(found, EffectProxy) and Effect.objects.get(pk=effect.pk).subject == found.subject == "changed"


def test_a_model_whose_rows_span_tables_is_refused() -> None:
    with pytest.raises(ValueError, match="span tables"):
        prepared_models(ChildEffect, "id = %s", [1])
