"""The default rule set, thresholds and reason codes: a fresh install moderates at once.

Scores: review at 3, reject at 10. A banned term rejects on its own; every other rule alone sends
the submission to a human; several together reach the reject threshold.
"""
from django.db import migrations

SPAM_TERMS = [
    "viagra", "cialis", "levitra", "casino bonus", "free spins", "payday loan", "crypto giveaway",
    "buy followers", "replica watches", "work from home and earn",
]

RULES = [
    dict(code="spam_terms", kind="banned_terms", action="reject", weight=10,
         message="Your article contains a term we do not allow: \"{term}\". Remove it and submit again.",
         params={"terms": SPAM_TERMS, "patterns": [r"\bearn \$?\d[\d,]* (?:per|a) (?:day|hour)\b"]}),
    dict(code="too_many_links", kind="link_limit", action="score", weight=4,
         message="Your article has {count} external links; at most {max_links} pass without a review.",
         params={"max_links": 5, "internal_domains": []}),
    dict(code="blocked_domain", kind="blocked_domains", action="score", weight=4,
         message="Links to {domain} are not allowed (link shorteners hide where a link goes).",
         params={"domains": ["bit.ly", "tinyurl.com", "goo.gl", "t.co", "is.gd"]}),
    dict(code="too_short", kind="min_length", action="score", weight=3,
         message="Your article is very short ({length} characters); a moderator will look at it.",
         params={"field": "body", "min_chars": 80}),
    dict(code="too_long", kind="max_length", action="score", weight=3,
         message="Your article is very long ({length} characters); a moderator will look at it.",
         params={"field": "body", "max_chars": 100000}),
    dict(code="shouting", kind="shouting", action="score", weight=3,
         message="Please do not write in capitals ({ratio} of the letters in the {field} are capitals).",
         params={"max_ratio": 0.7, "min_letters": 20}),
    dict(code="near_duplicate", kind="near_duplicate", action="score", weight=6,
         message="Your article is very similar ({similarity}) to content that was rejected before.",
         params={"threshold": 0.8, "lookback": 500}),
    dict(code="new_author", kind="new_author", action="review", weight=0,
         message="A moderator reviews the first articles of every new author.",
         params={"first_n": 1}),
    dict(code="submission_rate", kind="submission_rate", action="score", weight=3,
         message="You submitted {count} articles within {window_minutes} minutes; a moderator will look at them.",
         params={"max_submissions": 5, "window_minutes": 60}),
]

REASONS = [
    ("spam", "This is spam or advertising."),
    ("offensive", "This contains abusive, hateful or offensive content."),
    ("misleading", "This contains false or misleading claims."),
    ("off_topic", "This does not fit this publication."),
    ("low_quality", "This needs more work before it can be published: see the note."),
    ("copyright", "This appears to copy someone else's work."),
    ("legal", "This was removed for legal reasons."),
]


def forwards(apps, schema_editor):
    Rule = apps.get_model("moderation", "Rule")
    Policy = apps.get_model("moderation", "Policy")
    ReasonCode = apps.get_model("moderation", "ReasonCode")
    Case = apps.get_model("moderation", "Case")
    for rule in RULES:
        Rule.objects.get_or_create(code=rule["code"], defaults=rule)
    Policy.objects.get_or_create(pk=1, defaults={"review_threshold": 3, "reject_threshold": 10})
    for code, message in REASONS:
        ReasonCode.objects.get_or_create(code=code, defaults={"message": message})
    for case in Case.objects.filter(author_id=""):
        case.author_id = str((case.author or {}).get("id", ""))
        case.save(update_fields=["author_id"])


class Migration(migrations.Migration):
    dependencies = [("moderation", "0002_rules_queue_audit")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
