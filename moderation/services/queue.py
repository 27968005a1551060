"""The human side: claims, approvals and rejections by moderators, and the beat jobs on the queue."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from moderation.models import Case, CaseStatus, ReasonCode
from moderation.selectors import claim_held_by_other, sla
from moderation.services.decisions import case_record_decision, moderator
from moderation.services.errors import CaseNotFound, ClaimHeld, NotInQueue, UnknownReason

logger = logging.getLogger(__name__)


def _queued_for_update(case_id: object) -> Case:
    try:
        case_id = uuid.UUID(str(case_id))
    except ValueError as exc:  # a hand-made form or URL
        raise CaseNotFound("no such item") from exc
    case = Case.objects.select_for_update(of=("self",)).select_related("claimed_by").filter(pk=case_id).first()
    if case is None:
        raise CaseNotFound("no such item")
    if case.status != CaseStatus.QUEUED:
        raise NotInQueue("this item is no longer in the queue")
    return case


def _check_claim(case: Case, user: AbstractBaseUser) -> None:
    if claim_held_by_other(case, user):
        raise ClaimHeld(case.claimed_by.get_username(), case.claim_expires_at)


@transaction.atomic
def case_claim(*, case_id: object, user: AbstractBaseUser) -> Case:
    """Hold the case for MODERATION_CLAIM_MINUTES; claiming again renews one's own claim."""
    case = _queued_for_update(case_id)
    _check_claim(case, user)
    case.claimed_by = user
    case.claim_expires_at = timezone.now() + settings.MODERATION_CLAIM_TTL
    case.save(update_fields=["claimed_by", "claim_expires_at"])
    return case


@transaction.atomic
def case_release(*, case_id: object, user: AbstractBaseUser) -> Case:
    case = _queued_for_update(case_id)
    _check_claim(case, user)
    case.claimed_by, case.claim_expires_at = None, None
    case.save(update_fields=["claimed_by", "claim_expires_at"])
    return case


@transaction.atomic
def case_approve(*, case_id: object, user: AbstractBaseUser, note: str = "") -> Case:
    case = _queued_for_update(case_id)
    _check_claim(case, user)
    return case_record_decision(case=case, status=CaseStatus.APPROVED, actor=moderator(user), reasons=[], note=note)


def reasons_for(codes: list[str], note: str = "") -> list[dict]:
    """The author-facing reasons of the given codes, plus the note as a reason of its own."""
    known = {r.code: r.message for r in ReasonCode.objects.filter(code__in=codes, active=True)}
    unknown = [code for code in codes if code not in known]
    if unknown or not codes:
        raise UnknownReason(f"unknown reason codes: {', '.join(unknown)}" if unknown else "give at least one reason")
    reasons = [{"code": code, "message": known[code]} for code in dict.fromkeys(codes)]
    if note:
        reasons.append({"code": "moderator_note", "message": note})
    return reasons


@transaction.atomic
def case_reject(*, case_id: object, user: AbstractBaseUser, reasons: list[str], note: str = "") -> Case:
    case = _queued_for_update(case_id)
    _check_claim(case, user)
    return case_record_decision(case=case, status=CaseStatus.REJECTED, actor=moderator(user),
                                reasons=reasons_for(reasons, note), note=note)


@dataclass
class BulkResult:
    approved: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def cases_bulk_approve(*, case_ids: list, user: AbstractBaseUser, note: str = "") -> BulkResult:
    """Approve each case on its own: one held by someone else or gone is skipped, not fatal."""
    result = BulkResult()
    for case_id in case_ids:
        try:
            case_approve(case_id=case_id, user=user, note=note)
        except (ClaimHeld, NotInQueue, CaseNotFound) as exc:
            result.skipped[str(case_id)] = str(exc)
        else:
            result.approved.append(str(case_id))
    return result


@transaction.atomic
def claims_expire() -> int:
    """Release claims past their time (deciding checks the time too; this tidies the page)."""
    return Case.objects.filter(claim_expires_at__lte=timezone.now()).update(claimed_by=None, claim_expires_at=None)


@transaction.atomic
def cases_check_sla() -> int:
    """Mark queued cases waiting longer than the SLA, once each, and log them for whoever watches."""
    now = timezone.now()
    late = Case.objects.filter(status=CaseStatus.QUEUED, queued_at__lt=now - sla(), sla_breached_at__isnull=True)
    ids = list(late.values_list("pk", flat=True))
    for case_id in ids:
        logger.warning("moderation SLA breached case=%s", case_id)
    return Case.objects.filter(pk__in=ids).update(sla_breached_at=now)
