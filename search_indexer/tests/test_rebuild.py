"""A rebuild fills a new generation from snapshots while searches keep answering from the old one."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from config.eventbus.models import OutboxMessage
from search_indexer import services
from search_indexer.models import Document, Generation, GenerationStatus
from search_indexer.selectors import document_search, generation_active
from search_indexer.tests.factories import message, unpublished_data

pytestmark = pytest.mark.django_db


def _titles(q: str = "") -> list[str]:
    return sorted(hit.title for hit in document_search(q=q).results)


def test_reindex_asks_publishing_for_snapshots() -> None:
    generation = services.rebuild_request()
    request = json.loads(OutboxMessage.objects.get(event_type="search.reindex_requested").body)
    assert request["data"]["rebuild_id"] == str(generation.rebuild_id)
    assert generation.status == GenerationStatus.BUILDING and generation.number == 2


def test_a_second_rebuild_waits_for_the_first() -> None:
    services.rebuild_request()
    with pytest.raises(services.RebuildInProgress):
        services.rebuild_request()


def test_searches_keep_answering_during_a_rebuild_and_switch_when_it_finishes(
    publish_article, unpublish_article, apply
) -> None:
    kept = publish_article(title="Kept article")
    gone = publish_article(title="Gone article")
    services.rebuild_request()

    # Snapshots fill the new generation; searches still read the complete old one.
    apply(message("article.snapshot", kept))
    assert _titles("article") == ["Gone article", "Kept article"]
    assert generation_active() == 1

    # Live events during the rebuild reach both generations.
    publish_article(title="Fresh article")
    unpublish_article(gone)
    assert _titles("article") == ["Fresh article", "Kept article"]

    services.rebuild_finish()
    assert generation_active() == 2
    assert _titles("article") == ["Fresh article", "Kept article"]
    services.generation_prune()
    assert set(Document.objects.values_list("generation", flat=True)) == {2}


def test_an_article_missing_from_the_snapshots_is_gone_after_the_switch(publish_article, apply) -> None:
    """The point of a rebuild: the index forgets what publishing no longer has (e.g. a lost unpublish)."""
    stale = publish_article(title="Stale article")
    live = publish_article(title="Live article")
    services.rebuild_request()
    apply(message("article.snapshot", live))
    assert _titles("article") == ["Live article", "Stale article"]
    services.rebuild_finish()
    assert _titles("article") == ["Live article"]
    assert stale  # still in the retired generation until pruned, never searched


def test_a_late_snapshot_cannot_resurrect_an_article_removed_during_the_rebuild(publish_article, apply) -> None:
    article = publish_article(title="Removed meanwhile")
    services.rebuild_request()
    apply(message("article.unpublished", unpublished_data(article)))
    apply(message("article.snapshot", article))  # sent before the removal, arrives after it
    services.rebuild_finish()
    assert _titles() == []


def test_the_switch_happens_once_all_announced_snapshots_arrived(publish_article, apply) -> None:
    first, second = publish_article(), publish_article()
    generation = services.rebuild_request()
    extra = {"rebuild_id": str(generation.rebuild_id), "rebuild_total": 2}
    apply(message("article.snapshot", {**first, **extra}))
    assert generation_active() == 1
    apply(message("article.snapshot", {**second, **extra}))
    assert generation_active() == generation.number


def test_the_switch_happens_when_snapshots_stop_coming(publish_article, apply) -> None:
    article = publish_article()
    generation = services.rebuild_request()
    apply(message("article.snapshot", article))
    assert services.rebuild_finish_if_quiet(quiet_seconds=60) is None
    Generation.objects.filter(pk=generation.pk).update(last_snapshot_at=timezone.now() - timedelta(seconds=61))
    assert services.rebuild_finish_if_quiet(quiet_seconds=60).number == generation.number


def test_no_switch_to_an_empty_generation_on_silence(publish_article) -> None:
    publish_article()
    generation = services.rebuild_request()
    Generation.objects.filter(pk=generation.pk).update(requested_at=timezone.now() - timedelta(days=1))
    assert services.rebuild_finish_if_quiet(quiet_seconds=0) is None
    assert document_search().count == 1


def test_an_abandoned_rebuild_leaves_the_index_as_it_was(publish_article, apply) -> None:
    publish_article(title="Still searchable")
    services.rebuild_request()
    services.rebuild_abandon()
    services.generation_prune()
    assert _titles() == ["Still searchable"]
    services.rebuild_request()  # and a new one may start


def test_reindex_command_requests_finishes_and_reports(publish_article, apply, capsys) -> None:
    article = publish_article(title="Through the command")
    call_command("reindex", "--no-wait")
    apply(message("article.snapshot", article))
    call_command("reindex", "--status")
    call_command("reindex", "--finish")
    out = capsys.readouterr().out
    assert "filling generation 2" in out and "1 snapshots" in out and "switched to generation 2" in out
    assert _titles() == ["Through the command"]


def test_reindex_command_waits_for_quiet_and_switches(publish_article, apply, monkeypatch, capsys) -> None:
    article = publish_article(title="Waited for")
    request = services.rebuild_request

    def answered_at_once():
        generation = request()
        apply(message("article.snapshot", article))  # stand-in for publishing's answer
        return generation

    monkeypatch.setattr(services, "rebuild_request", answered_at_once)
    call_command("reindex", "--quiet-seconds", "0", "--timeout", "10")
    assert "searches now use generation 2" in capsys.readouterr().out
    assert generation_active() == 2 and _titles() == ["Waited for"]


def test_reindex_command_gives_up_without_answers_and_searches_still_work(publish_article) -> None:
    publish_article(title="Old index")
    with pytest.raises(CommandError, match="no switch"):
        call_command("reindex", "--quiet-seconds", "0", "--timeout", "0.3")
    assert generation_active() == 1 and _titles() == ["Old index"]
