"""The table of the database cache (config.settings.CACHES: the throttles' shared counters).

Every service installs config.eventbus, so every service's database gets it by `migrate` alone, on every
path (make run, compose, tests). createcachetable skips a table that exists.
"""
from django.conf import settings
from django.core.management import call_command
from django.db import migrations


def cache_tables_create(apps, schema_editor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def cache_tables_drop(apps, schema_editor) -> None:
    for cache in settings.CACHES.values():
        if cache["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
            schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(cache['LOCATION'])}")


class Migration(migrations.Migration):

    dependencies = [
        ("eventbus", "0002_bus_trust"),
    ]

    operations = [
        migrations.RunPython(cache_tables_create, cache_tables_drop),
    ]
