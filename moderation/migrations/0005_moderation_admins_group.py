"""Split who tunes the rulebook from who decides: `moderation admins` edit rules, thresholds and reason
codes; `moderators` (who had every moderation permission) keep read access only."""
from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen copies of moderation.services.moderators' lists, as a migration must not follow later code.
RULEBOOK = ("rule", "policy", "reasoncode")
ADMIN_PERMISSIONS = [f"{verb}_{model}" for model in RULEBOOK for verb in ("add", "change", "delete", "view")] + [
    "view_auditentry"]
MODERATOR_PERMISSIONS = [f"view_{model}" for model in (*RULEBOOK, "case", "auditentry", "livearticle")]


def forwards(apps, schema_editor):
    # Permissions are created after the last migration (post_migrate); a fresh database has none yet.
    app_config = apps.get_app_config("moderation")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("moderation admins", ADMIN_PERMISSIONS), ("moderators", MODERATOR_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.filter(content_type__app_label="moderation",
                                                        codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0004_audit_rulebook_case_takedown"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
