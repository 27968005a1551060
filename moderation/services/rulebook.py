"""The rulebook: rules, thresholds (the policy) and reason codes. Every change goes through here and into
the audit log with who made it and the fields before and after, whichever path it came by."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core import serializers
from django.db import transaction

from moderation.models import AuditAction, AuditEntry, Policy, ReasonCode, Rule
from moderation.services.decisions import moderator

RulebookEntry = Rule | Policy | ReasonCode


def snapshot(entry: RulebookEntry) -> dict[str, Any]:
    """The entry's fields as JSON-ready data: what the audit entry keeps as before or after."""
    [doc] = serializers.serialize("python", [entry])
    return {"id": entry.pk, **doc["fields"]}


@transaction.atomic
def rulebook_save(*, entry: RulebookEntry, user: AbstractBaseUser) -> RulebookEntry:
    """Create or change a rule, the thresholds or a reason code; a save that changes nothing is not logged."""
    entry.full_clean()
    model = type(entry)
    stored = model.objects.select_for_update().filter(pk=entry.pk).first() if entry.pk else None
    before = snapshot(stored) if stored is not None else None
    entry.save()
    # Read back, so `after` is what the database holds (types as stored), comparable with `before`.
    after = snapshot(model.objects.get(pk=entry.pk))
    if after != before:
        _audit(entry=entry, user=user, action=AuditAction.CREATED if before is None else AuditAction.CHANGED,
               before=before, after=after)
    return entry


@transaction.atomic
def rulebook_delete(*, entries: Iterable[RulebookEntry], user: AbstractBaseUser) -> int:
    """Delete rules or reason codes (one, or an admin's selection): each one logged with what it was."""
    deleted = 0
    for entry in entries:
        stored = type(entry).objects.select_for_update().filter(pk=entry.pk).first()
        if stored is None:  # gone already: nothing to delete, nothing to log
            continue
        before = snapshot(stored)
        stored.delete()
        _audit(entry=entry, user=user, action=AuditAction.DELETED, before=before, after=None)
        deleted += 1
    return deleted


def _audit(*, entry: RulebookEntry, user: AbstractBaseUser, action: str, before: dict | None,
           after: dict | None) -> AuditEntry:
    actor = moderator(user)
    return AuditEntry.objects.create(
        action=action, actor_kind=actor.kind, actor=user, actor_name=actor.name,
        target_model=entry._meta.model_name, target_id=str((after or before)["id"]), before=before, after=after)
