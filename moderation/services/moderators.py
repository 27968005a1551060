"""Moderator accounts: users in the `moderators` group, and `moderation admins` who edit the rulebook."""
from __future__ import annotations

from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from moderation.selectors import MODERATION_ADMINS_GROUP, MODERATORS_GROUP


@transaction.atomic
def moderator_create(*, username: str, email: str, password: str) -> User:
    """A moderator may also use the admin (staff) to read the rulebook and the audit log; the group grants the queue.

    Raises django's ValidationError when AUTH_PASSWORD_VALIDATORS refuse the password.
    """
    validate_password(password, User(username=username, email=email))
    user = User.objects.create_user(username=username, email=email, password=password, is_staff=True)
    user.groups.add(moderators_group_get())
    return user


# Moderators decide cases and may read everything in the admin; only moderation admins change the
# rulebook (rules, thresholds, reason codes), and every such change is audited. Migration 0005 holds a
# frozen copy of these lists for existing databases.
RULEBOOK_MODELS = ("rule", "policy", "reasoncode")
MODERATOR_PERMISSIONS = tuple(f"view_{model}" for model in (*RULEBOOK_MODELS, "case", "auditentry", "livearticle"))
ADMIN_PERMISSIONS = (*(f"{verb}_{model}" for model in RULEBOOK_MODELS for verb in ("add", "change", "delete", "view")),
                     "view_auditentry")


def moderators_group_get() -> Group:
    return _group_get(MODERATORS_GROUP, MODERATOR_PERMISSIONS)


def moderation_admins_group_get() -> Group:
    return _group_get(MODERATION_ADMINS_GROUP, ADMIN_PERMISSIONS)


def _group_get(name: str, codenames: tuple[str, ...]) -> Group:
    group, created = Group.objects.get_or_create(name=name)
    if created:  # the migration made both; this is a database that was flushed since
        group.permissions.set(Permission.objects.filter(content_type__app_label="moderation", codename__in=codenames))
    return group


@transaction.atomic
def moderation_admin_grant(*, user: User) -> User:
    """Make a moderator a moderation admin too: they may edit the rulebook as well as decide cases."""
    user.groups.add(moderators_group_get(), moderation_admins_group_get())
    return user
