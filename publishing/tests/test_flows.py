"""The flow watch (publishing.services.flows): each event makes its step due, the following event meets it,
in time, late or before its cause, and beat flags what is overdue on the timeline."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from publishing.models import Article, Author, FlowStep, TimelineEntry
from publishing.selectors import flow_steps_overdue, flow_steps_stuck
from publishing.services import (
    article_reschedule,
    article_submit,
    article_withdraw,
    articles_publish_due,
    flows_flag_overdue,
)
from publishing.tasks import flag_stuck_flows
from publishing.tests.factories import ArticleFactory, article_in, indexed_raw, moderation_raw, notice_raw

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)
Apply = Callable[[bytes], object]


def _fresh(article: Article) -> Article:
    return Article.objects.get(pk=article.pk)


def _event_id(raw: bytes) -> str:
    return json.loads(raw)["id"]


# --- causes: each brings a new article to where one step is owed --------------------------------


def _submitted(author: Author, apply: Apply) -> Article:
    return article_submit(article=ArticleFactory(author=author))


def _scheduled(author: Author, apply: Apply) -> Article:
    article = article_in("in_review", author=author, publish_at=timezone.now() + timedelta(hours=1))
    apply(moderation_raw("moderation.approved", article))
    return article


def _published(author: Author, apply: Apply) -> Article:
    article = _submitted(author, apply)
    apply(moderation_raw("moderation.approved", article))
    return article


def _rejected(author: Author, apply: Apply) -> Article:
    article = _submitted(author, apply)
    apply(moderation_raw("moderation.rejected", article))
    return article


def _taken_down(author: Author, apply: Apply) -> Article:
    article = article_in("published", author=author)
    apply(moderation_raw("moderation.takedown", article))
    return article


# --- what follows: the event that meets the step ------------------------------------------------


def _decided(article: Article, step: FlowStep, apply: Apply) -> None:
    apply(moderation_raw("moderation.review_requested", _fresh(article)))


def _goes_live(article: Article, step: FlowStep, apply: Apply) -> None:
    articles_publish_due(now=_fresh(article).publish_at)


def _indexed(article: Article, step: FlowStep, apply: Apply) -> None:
    apply(indexed_raw(article))


def _told(article: Article, step: FlowStep, apply: Apply) -> None:
    apply(notice_raw("notification.sent", article, cause_id=str(step.cause_event_id)))


# The specification: what makes each step due, from which event and how long it may take, what meets it.
CASES = [
    pytest.param("decision", _submitted, "article.submitted", "DECISION_SECONDS", _decided, id="submitted-decision"),
    pytest.param("live", _scheduled, "moderation.approved", "LIVE_SECONDS", _goes_live, id="scheduled-live"),
    pytest.param("indexed", _published, "article.published", "INDEXED_SECONDS", _indexed, id="live-indexed"),
    pytest.param("notified", _published, "article.published", "NOTIFIED_SECONDS", _told, id="live-notified"),
    pytest.param("notified", _rejected, "moderation.rejected", "NOTIFIED_SECONDS", _told, id="rejected-notified"),
    pytest.param("notified", _taken_down, "article.unpublished", "NOTIFIED_SECONDS", _told, id="takedown-notified"),
]


def _step(article: Article, step: str) -> FlowStep:
    return FlowStep.objects.get(article=article, step=step)


def _overdue(step: FlowStep, *, now) -> bool:
    return flow_steps_overdue(now=now).filter(pk=step.pk).exists()


def _flagged(step: FlowStep, *, now) -> bool:
    """Sweep as beat does; True when `step` is among the steps it flagged."""
    return step in flows_flag_overdue(now=now)


def _notes(article: Article, step: str) -> list[TimelineEntry]:
    return list(TimelineEntry.objects.filter(article=article, type="flow.stuck", data__step=step))


@pytest.mark.parametrize(("step", "cause", "cause_type", "allowed", "follow"), CASES)
def test_the_cause_makes_the_step_due(author, apply, step, cause, cause_type, allowed, follow) -> None:
    article = cause(author, apply)
    owed = _step(article, step)
    entry = TimelineEntry.objects.get(article=article, type=cause_type)
    start = max(entry.time, article.publish_at) if step == "live" else entry.time
    assert (owed.cause_type, owed.revision, owed.met_at) == (cause_type, 1, None)
    assert owed.due_at == start + timedelta(seconds=settings.PUBLISHING_FLOWS[allowed])
    assert not _overdue(owed, now=owed.due_at - SECOND)
    assert _overdue(owed, now=owed.due_at + SECOND)


@pytest.mark.parametrize(("step", "cause", "cause_type", "allowed", "follow"), CASES)
def test_the_following_event_in_time_meets_the_step(author, apply, step, cause, cause_type, allowed, follow) -> None:
    article = cause(author, apply)
    owed = _step(article, step)
    follow(article, owed, apply)
    met = _step(article, step)
    assert met.met_at is not None and met.met_by_type
    assert not _flagged(owed, now=owed.due_at + SECOND)
    assert _notes(article, step) == []


@pytest.mark.parametrize(("step", "cause", "cause_type", "allowed", "follow"), CASES)
def test_an_overdue_step_is_flagged_once_on_the_timeline(author, apply, step, cause, cause_type, allowed,
                                                         follow) -> None:
    article = cause(author, apply)
    owed = _step(article, step)
    assert not _flagged(owed, now=owed.due_at - SECOND)
    assert _flagged(owed, now=owed.due_at + SECOND)
    assert not _flagged(owed, now=owed.due_at + 60 * SECOND)
    [note] = _notes(article, step)
    assert note.summary.startswith(f"stuck: {step} overdue since ")
    assert (note.source, note.revision, note.data["step"]) == ("publishing", 1, step)
    stuck = flow_steps_stuck(now=owed.due_at + SECOND).get(pk=owed.pk)
    assert stuck.last_event_type == cause_type


@pytest.mark.parametrize(("step", "cause", "cause_type", "allowed", "follow"), CASES)
def test_a_step_met_late_is_no_longer_stuck(author, apply, step, cause, cause_type, allowed, follow) -> None:
    article = cause(author, apply)
    owed = _step(article, step)
    flows_flag_overdue(now=owed.due_at + SECOND)
    follow(article, owed, apply)
    assert not _overdue(owed, now=owed.due_at + SECOND)
    assert _step(article, step).flagged_at is not None  # the stuck note stays as history


@pytest.mark.parametrize("decision", ["moderation.approved", "moderation.rejected", "moderation.review_requested"])
def test_every_decision_meets_the_decision_step(author, apply, decision) -> None:
    article = _submitted(author, apply)
    apply(moderation_raw(decision, article))
    assert _step(article, "decision").met_by_type == decision


def test_an_approval_that_publishes_at_once_meets_the_live_step_at_once(author, apply) -> None:
    article = _published(author, apply)
    assert _step(article, "live").met_by_type == "article.published"


@pytest.mark.parametrize(("channel", "met_by"), [("email", "notification.failed"), ("webhook", "")])
def test_a_notification_that_overtakes_its_cause_meets_the_step_when_the_cause_arrives(author, apply, channel,
                                                                                       met_by) -> None:
    article = _submitted(author, apply)
    rejected = moderation_raw("moderation.rejected", article)
    notice = notice_raw("notification.failed", article, cause_id=_event_id(rejected), channel=channel)
    apply(notice)
    apply(rejected)
    step = _step(article, "notified")
    assert step.met_by_type == met_by  # a subscriber's webhook is not the author's notice
    noticed = TimelineEntry.objects.get(event_id=_event_id(notice)).time
    assert step.met_at == (noticed if met_by else None)


@pytest.mark.parametrize(("raw", "meets"), [
    pytest.param(lambda article, cause: notice_raw("notification.sent", article, cause_id=cause), True, id="email"),
    pytest.param(lambda article, cause: notice_raw("notification.sent", article, cause_id=cause, channel="webhook"),
                 False, id="webhook-is-a-subscriber-not-the-author"),
    pytest.param(lambda article, cause: notice_raw("notification.sent", article,
                                                    cause_id="00000000-0000-4000-8000-000000000000"),
                 False, id="about-another-event"),
])
def test_only_the_authors_notice_of_that_event_meets_the_notified_step(author, apply, raw, meets) -> None:
    article = _rejected(author, apply)
    cause = str(_step(article, "notified").cause_event_id)
    apply(raw(article, cause))
    assert (_step(article, "notified").met_at is not None) is meets


def test_an_author_who_opted_out_of_that_email_is_owed_no_notice(author, apply) -> None:
    author.preferences = {"email": {"moderation.rejected": False}}
    author.save()
    article = _rejected(author, apply)
    assert not FlowStep.objects.filter(article=article, step="notified").exists()
    assert FlowStep.objects.filter(article=article, step="decision").exists()


def test_a_redelivered_event_opens_no_second_step(author, apply) -> None:
    article = _submitted(author, apply)
    raw = moderation_raw("moderation.rejected", article)
    apply(raw)
    apply(raw)
    assert FlowStep.objects.filter(article=article, step="notified").count() == 1


def test_a_stale_approval_owes_no_publication(author, apply) -> None:
    article = _submitted(author, apply)
    apply(moderation_raw("moderation.approved", article, revision=7))
    assert not FlowStep.objects.filter(article=article, step="live").exists()


def test_a_step_no_longer_owed_is_not_stuck(author, apply) -> None:
    submitted = _submitted(author, apply)
    article_withdraw(article=submitted)  # no decision is owed on what the author took back
    live = _published(author, apply)
    apply(moderation_raw("moderation.takedown", _fresh(live)))  # nothing to index once offline
    later = max(step.due_at for step in FlowStep.objects.all()) + SECOND
    assert {(s.article_id, s.step) for s in flow_steps_overdue(now=later)} == {
        (live.pk, "notified")}  # the notices of the publication and of the takedown are still owed
    assert flow_steps_overdue(now=later).count() == 2


def test_a_rescheduled_article_owes_going_live_from_its_new_time(author, apply) -> None:
    article = _scheduled(author, apply)
    later = _fresh(article).publish_at + timedelta(hours=3)
    article_reschedule(article=article, publish_at=later)
    assert _step(article, "live").due_at == later + timedelta(seconds=settings.PUBLISHING_FLOWS["LIVE_SECONDS"])


def test_the_sweep_meets_a_step_whose_following_event_it_missed(author, apply) -> None:
    # Two consumers committing the cause and the answer at once can each miss the other.
    article = _published(author, apply)
    apply(indexed_raw(article))
    FlowStep.objects.filter(step="indexed").update(met_at=None, met_by_type="")
    owed = _step(article, "indexed")
    assert not _flagged(owed, now=owed.due_at + SECOND)
    assert _step(article, "indexed").met_by_type == "search.indexed"


def test_beat_runs_the_sweep_often() -> None:
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "publishing.flag_stuck_flows"]
    assert entry["schedule"] <= 15


def test_the_flow_watch_takes_its_times_from_the_environment() -> None:
    script = ("import json, publishing.settings as s; "
              "print(json.dumps([s.PUBLISHING_FLOWS, s.CELERY_BEAT_SCHEDULE['flag-stuck-flows']['schedule']]))")
    env = {**os.environ, "FLOW_DECISION_SECONDS": "7", "FLOW_LIVE_SECONDS": "8", "FLOW_INDEXED_SECONDS": "3",
           "FLOW_NOTIFIED_SECONDS": "9", "FLOW_SWEEP_SECONDS": "1.5"}
    found = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    flows, sweep = json.loads(found.stdout.strip().splitlines()[-1])
    assert flows == {"DECISION_SECONDS": 7, "LIVE_SECONDS": 8, "INDEXED_SECONDS": 3, "NOTIFIED_SECONDS": 9}
    assert sweep == 1.5


def test_the_task_flags_what_is_overdue_now(author, apply, settings) -> None:
    settings.PUBLISHING_FLOWS = {**settings.PUBLISHING_FLOWS, "DECISION_SECONDS": -1}
    _submitted(author, apply)
    assert flag_stuck_flows() == 1


def test_metrics_count_stuck_steps_by_step(author, apply, settings, client) -> None:
    settings.PUBLISHING_FLOWS = {**settings.PUBLISHING_FLOWS, "INDEXED_SECONDS": -1}
    settings.METRICS_TOKEN = ""
    _published(author, apply)
    scraped = client.get("/metrics").content.decode()
    assert 'flows_stuck{step="indexed"} 1.0' in scraped and 'flows_stuck{step="decision"} 0.0' in scraped


def test_the_author_sees_the_stuck_note_on_their_timeline_without_internals(author, apply, as_user) -> None:
    article = _published(author, apply)
    owed = _step(article, "indexed")
    flows_flag_overdue(now=owed.due_at + SECOND)
    entries = as_user(author.user).get(f"/api/articles/{article.pk}/timeline/").json()["results"]
    [note] = [entry for entry in entries if entry["type"] == "flow.stuck"]
    assert set(note["data"]) == {"revision", "step", "due_at"} and note["data"]["step"] == "indexed"
    assert note["summary"].startswith("revision 1 is taking longer than it should: indexed was due at ")
