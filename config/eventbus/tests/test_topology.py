"""The topology a service declares on the real broker: its bindings follow its handler registry."""
from __future__ import annotations

import json

import pytest

from config.eventbus.broker import topology_declare
from config.eventbus.tests.conftest import envelope_bytes, queue_depth, queue_messages, raw_publish, wait_for

pytestmark = pytest.mark.django_db


def _unpublished_bytes() -> bytes:
    doc = json.loads(envelope_bytes())
    doc |= {"type": "article.unpublished", "dataschema": "urn:contract:article.unpublished:v1",
            "data": {"article_id": doc["data"]["article_id"], "revision": 1, "reason": "withdrawn",
                     "unpublished_at": "2026-11-25T10:00:00Z"}}
    return json.dumps(doc).encode()


def test_a_binding_an_older_release_made_for_a_type_without_a_handler_is_removed(channel, admin_channel,
                                                                                 topology) -> None:
    # The probe service handles article.submitted, not article.unpublished: what arrives for a type
    # without a handler is dead-lettered, so a binding left from a release that had one must go.
    assert "article.unpublished" not in topology.consumes
    admin_channel.queue_bind(topology.queue, "publishing.events", "article.unpublished")
    try:
        topology_declare(channel, topology)
        raw_publish(channel, _unpublished_bytes(), routing_key="article.unpublished")
        raw_publish(channel, envelope_bytes(), routing_key="article.submitted")  # behind it on the same channel
        wait_for(lambda: queue_depth(channel, topology.queue) >= 1, what="the submission in the queue")
        [only] = queue_messages(channel, topology.queue)
    finally:
        admin_channel.queue_unbind(topology.queue, "publishing.events", "article.unpublished")
    assert json.loads(only.body)["type"] == "article.submitted"


def test_only_the_catalogs_types_on_exchanges_the_service_binds_to_are_unbound(topology) -> None:
    # Unbinding from an exchange the service has no read permission on would close the channel.
    bound_exchanges = {exchange for exchange, _ in topology.bindings()}
    retired = topology.retired_bindings()
    assert ("publishing.events", "article.unpublished") in retired
    assert {exchange for exchange, _ in retired} <= bound_exchanges
    assert not set(retired) & set(topology.bindings())
