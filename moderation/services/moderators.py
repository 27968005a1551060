"""Moderator accounts: users in the `moderators` group."""
from __future__ import annotations

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

from moderation.selectors import MODERATORS_GROUP


@transaction.atomic
def moderator_create(*, username: str, email: str, password: str) -> User:
    """A moderator may also use the admin (staff) to tune rules; the group grants the queue."""
    user = User.objects.create_user(username=username, email=email, password=password, is_staff=True)
    user.groups.add(moderators_group_get())
    return user


def moderators_group_get() -> Group:
    group, created = Group.objects.get_or_create(name=MODERATORS_GROUP)
    if created:
        # Moderators tune the rules, thresholds and reason codes in the admin and read the audit log.
        group.permissions.set(Permission.objects.filter(content_type__app_label="moderation"))
    return group
