"""The throttles' counters (config.throttling): one row per client and scope, in every service's database.

A table of its own rather than the database cache: a request is decided and counted by one atomic upsert
on its row, which a pickled history in the cache cannot be.
"""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("eventbus", "0003_cache_table"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE TABLE platform_throttle (key text PRIMARY KEY, tat double precision NOT NULL, "
            "allowed boolean NOT NULL)",
            "DROP TABLE platform_throttle",
        ),
    ]
