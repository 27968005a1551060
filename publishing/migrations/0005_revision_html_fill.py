"""Render the HTML of every revision submitted before revisions stored it (0004)."""
from django.db import migrations

from publishing.rendering import revision_html

BATCH = 500


def revisions_render(apps, schema_editor) -> None:
    # The current renderer, not a frozen copy: what it produces is what new revisions get too.
    # iterator() streams the rows (a server-side cursor) and bulk_update writes a batch at a time, so a
    # large table never sits in memory at once.
    Revision = apps.get_model("publishing", "Revision")
    batch = []
    for revision in Revision.objects.only("pk", "summary", "body").order_by("pk").iterator(chunk_size=BATCH):
        for field, html in revision_html(summary=revision.summary, body=revision.body).items():
            setattr(revision, field, html)
        batch.append(revision)
        if len(batch) == BATCH:
            Revision.objects.bulk_update(batch, ["body_html", "excerpt_html"])
            batch = []
    if batch:
        Revision.objects.bulk_update(batch, ["body_html", "excerpt_html"])


class Migration(migrations.Migration):

    dependencies = [
        ('publishing', '0004_revision_html'),
    ]

    # Going back drops the columns in 0004; nothing to undo here.
    operations = [migrations.RunPython(revisions_render, migrations.RunPython.noop, elidable=True)]
