from django.db import migrations, models
from django.db.models import Q

# A statement-level trigger wakes the relay on commit (NOTIFY is transactional), so no publisher
# pays an extra round trip and a rolled-back transaction wakes nobody.
NOTIFY_TRIGGER = """
CREATE OR REPLACE FUNCTION eventbus_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('eventbus_outbox', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER eventbus_outbox_notify AFTER INSERT ON eventbus_outboxmessage
    FOR EACH STATEMENT EXECUTE FUNCTION eventbus_outbox_notify();
"""
DROP_TRIGGER = """
DROP TRIGGER IF EXISTS eventbus_outbox_notify ON eventbus_outboxmessage;
DROP FUNCTION IF EXISTS eventbus_outbox_notify();
"""


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="OutboxMessage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("event_id", models.UUIDField(unique=True)),
                ("event_type", models.CharField(max_length=100)),
                ("subject", models.CharField(max_length=200)),
                ("correlation_id", models.UUIDField()),
                ("body", models.TextField(help_text="The CloudEvents JSON exactly as it goes on the wire.")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("available_at", models.DateTimeField(auto_now_add=True, help_text="Not retried before this time.")),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("last_error", models.TextField(blank=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["id"],
                "indexes": [
                    models.Index(condition=Q(sent_at__isnull=True), fields=["id"], name="eventbus_outbox_pending"),
                    models.Index(condition=Q(sent_at__isnull=False), fields=["sent_at"], name="eventbus_outbox_sent"),
                ],
            },
        ),
        migrations.CreateModel(
            name="InboxMessage",
            fields=[
                ("event_id", models.UUIDField(primary_key=True, serialize=False)),
                ("event_type", models.CharField(max_length=100)),
                ("correlation_id", models.UUIDField(null=True)),
                ("processed_at", models.DateTimeField(auto_now_add=True, db_index=True)),
            ],
        ),
        migrations.CreateModel(
            name="AppliedRevision",
            fields=[
                ("stream", models.CharField(max_length=200, primary_key=True, serialize=False)),
                ("revision", models.BigIntegerField()),
                ("applied_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name="UnroutableEvent",
            fields=[
                ("event_type", models.CharField(max_length=100, primary_key=True, serialize=False)),
                ("count", models.PositiveBigIntegerField(default=0)),
                ("last_event_id", models.UUIDField(null=True)),
                ("last_seen_at", models.DateTimeField(null=True)),
            ],
        ),
        migrations.CreateModel(
            name="DeadLetter",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            ],
            options={
                "managed": False,
                "verbose_name": "dead letter",
                "default_permissions": ("view", "change", "delete"),
            },
        ),
        migrations.RunSQL(NOTIFY_TRIGGER, DROP_TRIGGER),
    ]
