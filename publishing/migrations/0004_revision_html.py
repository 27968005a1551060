from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('publishing', '0003_snapshot_runs'),
    ]

    operations = [
        migrations.AddField(
            model_name='revision',
            name='body_html',
            field=models.TextField(blank=True, default='', editable=False, help_text='The body as sanitised HTML.'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='revision',
            name='excerpt_html',
            field=models.TextField(blank=True, default='', editable=False, help_text="The summary, or the body's first 500 characters when there is none, as sanitised HTML: the feed's entry."),
            preserve_default=False,
        ),
    ]
