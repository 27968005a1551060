"""A stamp that changes with every change to the rules or the thresholds, however it is made (admin, service,
a plain UPDATE): the consumer keeps the rulebook in memory and reads only the stamp per submission."""
from django.db import migrations

STAMP = """
CREATE TABLE moderation_rulebook_stamp (id smallint PRIMARY KEY CHECK (id = 1), token uuid NOT NULL);
INSERT INTO moderation_rulebook_stamp VALUES (1, gen_random_uuid());
CREATE FUNCTION moderation_rulebook_stamp_renew() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A fresh random token, not a counter: after a rollback or a truncation no old value can come back
    -- meaning other rules.
    INSERT INTO moderation_rulebook_stamp VALUES (1, gen_random_uuid())
    ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
    RETURN NULL;
END $$;
CREATE TRIGGER moderation_rule_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON moderation_rule
    FOR EACH STATEMENT EXECUTE FUNCTION moderation_rulebook_stamp_renew();
CREATE TRIGGER moderation_policy_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON moderation_policy
    FOR EACH STATEMENT EXECUTE FUNCTION moderation_rulebook_stamp_renew();
"""
UNSTAMP = """
DROP TRIGGER moderation_rule_stamp ON moderation_rule;
DROP TRIGGER moderation_policy_stamp ON moderation_policy;
DROP FUNCTION moderation_rulebook_stamp_renew();
DROP TABLE moderation_rulebook_stamp;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("moderation", "0006_case_trace_context"),
    ]

    operations = [migrations.RunSQL(STAMP, UNSTAMP)]
