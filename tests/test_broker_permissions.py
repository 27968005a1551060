"""The broker is a trust boundary: each service's user, on the real local RabbitMQ, may publish only
its own event types on its own exchange and read only its own queues (bin/identities.py set them up).

No Django: `python -m pytest -p no:django tests/test_broker_permissions.py`.
"""
from __future__ import annotations

import uuid

import amqp
import pytest

from config.eventbus.broker import Topology, broker_connect, exchanges_declare, topology_declare
from config.eventbus.identities import celery_vhost, owned_types, services
from config.settings import broker_url_as
from tests.conftest import BROKER_URL

SERVICES = services()


def _connect(service: str, url: str = BROKER_URL) -> amqp.Connection:
    return broker_connect(broker_url_as(service, url), name=f"pytest-permissions-{service}")


@pytest.fixture(scope="module", autouse=True)
def topology() -> None:
    """Every service's own exchanges and queues, declared by the service's own user."""
    for service in SERVICES:
        conn = _connect(service)
        exchanges_declare(conn.channel(), Topology(service=service, consumes=(), retry_delays=(1,)))
        conn.close()
    for service in SERVICES:
        conn = _connect(service)
        topology_declare(conn.channel(), Topology(service=service, consumes=(), retry_delays=(1,)))
        conn.close()


def _publish(service: str, *, exchange: str, routing_key: str, **properties) -> None:
    conn = _connect(service)
    try:
        channel = conn.channel()
        channel.confirm_select()
        channel.basic_publish_confirm(amqp.Message(b"{}", message_id=str(uuid.uuid4()), **properties),
                                      exchange=exchange, routing_key=routing_key, confirm_timeout=10)
    finally:
        _close(conn)


def _others(service: str) -> list[str]:
    return [other for other in SERVICES if other != service]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_may_publish_its_own_types_on_its_own_exchange(service) -> None:
    for event_type in owned_types(service):
        _publish(service, exchange=f"{service}.events", routing_key=event_type, user_id=service)


@pytest.mark.parametrize("service", SERVICES)
def test_publishing_to_another_services_exchange_is_refused(service) -> None:
    for other in _others(service):
        with pytest.raises(amqp.exceptions.AccessRefused, match="ACCESS_REFUSED"):
            _publish(service, exchange=f"{other}.events", routing_key=owned_types(other)[0])
        with pytest.raises(amqp.exceptions.AccessRefused, match="ACCESS_REFUSED"):
            _publish(service, exchange=f"{other}.retry", routing_key=other)


@pytest.mark.parametrize("service", SERVICES)
def test_publishing_to_the_default_exchange_is_refused(service) -> None:
    for queue in (service, *_others(service)):
        with pytest.raises(amqp.exceptions.AccessRefused, match="ACCESS_REFUSED.*amq.default"):
            _publish(service, exchange="", routing_key=queue)


@pytest.mark.parametrize("service", SERVICES)
def test_another_services_event_type_on_its_own_exchange_is_refused(service) -> None:
    # Topic permissions: the routing key (the event type) must be one the service produces.
    foreign = owned_types(_others(service)[0])[0]
    with pytest.raises(amqp.exceptions.AccessRefused, match="ACCESS_REFUSED"):
        _publish(service, exchange=f"{service}.events", routing_key=foreign)


@pytest.mark.parametrize("service", SERVICES)
def test_reading_another_services_queue_is_refused(service) -> None:
    for other in _others(service):
        for queue in (other, f"{other}.dead", f"{other}.unroutable"):
            conn = _connect(service)
            with pytest.raises(amqp.exceptions.AccessRefused, match="ACCESS_REFUSED"):
                conn.channel().basic_get(queue)
            conn.close()


@pytest.mark.parametrize("service", SERVICES)
def test_claiming_another_user_id_is_refused(service) -> None:
    # RabbitMQ validates user_id: this is what lets consumers believe it.
    with pytest.raises(amqp.exceptions.PreconditionFailed, match="user_id"):
        _publish(service, exchange=f"{service}.events", routing_key=owned_types(service)[0],
                 user_id=_others(service)[0])


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_reaches_another_services_celery_vhost(service) -> None:
    base = BROKER_URL.rsplit("/", 1)[0]
    vhost = BROKER_URL.rsplit("/", 1)[1] or "/"
    _connect(service, f"{base}/{celery_vhost(vhost, service)}").close()
    for other in _others(service):
        with pytest.raises((amqp.exceptions.AccessRefused, amqp.exceptions.NotAllowed, ConnectionError)):
            _connect(service, f"{base}/{celery_vhost(vhost, other)}")


def _close(conn: amqp.Connection) -> None:
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - the refusal may have closed it already
        pass
