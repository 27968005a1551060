"""Revisions and timeline entries lose their single-column index on article: the unique (article, number)
and the (article, time) index serve every lookup by article, and each write paid for the extra index.

Only the index is dropped (Django's own AlterField would also drop and re-validate the foreign key, a scan
of the whole table under a lock)."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('publishing', '0006_flow_steps'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='revision',
                    name='article',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name='revisions', to='publishing.article'),
                ),
                migrations.AlterField(
                    model_name='timelineentry',
                    name='article',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name='timeline', to='publishing.article'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "publishing_revision_article_id_1acd00d1"',
                    'CREATE INDEX "publishing_revision_article_id_1acd00d1" ON "publishing_revision" ("article_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "publishing_timelineentry_article_id_d635d494"',
                    'CREATE INDEX "publishing_timelineentry_article_id_d635d494" ON "publishing_timelineentry" ("article_id")',
                ),
            ],
        ),
    ]
