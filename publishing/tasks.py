"""Celery tasks of publishing: each calls a service function, nothing else."""
from __future__ import annotations

from celery import Task, shared_task

from publishing.services import (
    articles_publish_due,
    flows_flag_overdue,
    snapshot_chunk_send,
    snapshot_run_schedule,
    snapshot_runs_resume,
)


@shared_task(name="publishing.publish_due_articles", ignore_result=True)
def publish_due_articles() -> int:
    """Run every minute by beat (CELERY_BEAT_SCHEDULE): publish what is due, log what is late."""
    return len(articles_publish_due())


@shared_task(bind=True, name="publishing.snapshot_run_continue", ignore_result=True)
def snapshot_run_continue(self: Task, run_id: int) -> int:
    """One chunk of a snapshot run, then the next one as a task of its own until the run is done.

    One chunk per task keeps the worker's other jobs (scheduled publishing) going during a long run.
    Run eagerly (CELERY_TASK_ALWAYS_EAGER, no worker), queueing the next chunk would nest one call
    per chunk until Python's recursion limit: it goes on in place instead.
    """
    sent = 0
    while (progress := snapshot_chunk_send(run_id=run_id)) is not None:  # None: finished, or another worker has it
        sent += progress.sent
        if progress.done:
            break
        if not self.request.is_eager:
            snapshot_run_schedule(run_id=run_id)
            break
    return sent


@shared_task(name="publishing.resume_snapshot_runs", ignore_result=True)
def resume_snapshot_runs() -> int:
    """Run every minute by beat: a snapshot run whose chunk task was lost goes on where it stopped."""
    return len(snapshot_runs_resume())


@shared_task(name="publishing.flag_stuck_flows", ignore_result=True)
def flag_stuck_flows() -> int:
    """Run by beat every FLOW_SWEEP_SECONDS: each step newly overdue gets its "stuck" timeline entry."""
    return len(flows_flag_overdue())
