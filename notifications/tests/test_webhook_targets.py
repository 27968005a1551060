"""Webhook targets: https and public addresses only, every resolved address checked, and the connection
made to the address that was checked (no DNS rebinding), with the host's name in Host, SNI and the certificate."""
from __future__ import annotations

import socket

import pytest

from notifications.models import Delivery, DeliveryStatus
from notifications.services import delivery_attempt
from notifications.tests.conftest import event_raw
from notifications.tests.factories import AuthorContactFactory, WebhookSubscriptionFactory, published_data
from notifications.webhook_targets import TargetRefused, TargetUnresolved, webhook_target

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.216.34"


@pytest.fixture
def allow(settings):
    """allow(http=..., private=...): the two local-use settings, both off unless a test turns one on."""
    def _allow(*, http: bool = False, private: bool = False) -> None:
        settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "WEBHOOK_ALLOW_HTTP": http, "WEBHOOK_ALLOW_PRIVATE": private}
    _allow()
    return _allow


@pytest.fixture
def names(dns):
    dns.answers |= {
        "hooks.example.com": [[PUBLIC]],
        "rebound.example.com": [["127.0.0.1"]],
        "mixed.example.com": [[PUBLIC, "10.0.0.1"]],  # a public first answer does not excuse a private second
        "dual.example.com": [[PUBLIC, "::ffff:169.254.169.254"]],
        "gone.example.com": [[]],
    }
    return dns


@pytest.mark.parametrize(("url", "reason"), [
    ("https://127.0.0.1/hook", "127.0.0.1 is a loopback address"),
    ("https://[::1]/hook", "::1 is a loopback address"),
    ("https://10.1.2.3/hook", "10.1.2.3 is a private address"),
    ("https://172.16.5.4/hook", "private address"),
    ("https://192.168.0.10/hook", "private address"),
    ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("https://[fe80::1]/hook", "link-local address"),
    ("https://[::ffff:127.0.0.1]/hook", "::ffff:127.0.0.1 is a loopback address"),
    ("https://[64:ff9b::7f00:1]/hook", "loopback address"),  # NAT64 of 127.0.0.1
    ("https://[2002:7f00:1::]/hook", "loopback address"),  # 6to4 of 127.0.0.1
    ("https://0.0.0.0/hook", "0.0.0.0 is an unspecified address"),
    ("https://[::]/hook", "an unspecified address"),
    ("https://224.0.0.1/hook", "multicast address"),
    ("https://240.0.0.1/hook", "reserved address"),
    ("https://100.64.0.1/hook", "non-global address"),
    ("https://[fc00::1]/hook", "private address"),
    ("https://localhost/hook", "localhost (127.0.0.1) is a loopback address"),  # the real resolver
    ("https://rebound.example.com/hook", "rebound.example.com (127.0.0.1) is a loopback address"),
    ("https://mixed.example.com/hook", "mixed.example.com (10.0.0.1) is a private address"),
    ("https://dual.example.com/hook", "link-local address"),
    ("http://hooks.example.com/hook", "only https URLs may receive webhooks"),
    ("notaurl://x/", "only https URLs"),
    ("https:///hook", "bad URL: no host"),
    ("https://hooks.example.com:99999/hook", "bad URL"),
    ("https://hooks.example.com/a b", "bad URL"),
])
def test_refused_targets(allow, names, url, reason) -> None:
    with pytest.raises(TargetRefused) as refused:
        webhook_target(url=url)
    assert reason in str(refused.value)


def test_a_public_target_is_resolved_once_to_the_address_to_connect_to(allow, names) -> None:
    target = webhook_target(url="https://hooks.example.com/x?y=1")
    assert (target.scheme, target.host, target.port, target.path, target.addresses) == (
        "https", "hooks.example.com", 443, "/x?y=1", (PUBLIC,))
    assert names.lookups == ["hooks.example.com"]
    assert webhook_target(url="https://[2606:4700:4700::1111]:8443/").addresses == ("2606:4700:4700::1111",)


def test_the_local_use_settings_allow_http_and_private_addresses(allow, names) -> None:
    allow(http=True)
    assert webhook_target(url="http://hooks.example.com/").port == 80
    with pytest.raises(TargetRefused):
        webhook_target(url="http://127.0.0.1:8080/")
    allow(private=True)
    assert webhook_target(url="https://127.0.0.1:8443/").addresses == ("127.0.0.1",)
    with pytest.raises(TargetRefused, match="only https"):
        webhook_target(url="http://127.0.0.1:8080/")


def test_a_name_that_does_not_resolve_may_resolve_later(allow, names) -> None:
    with pytest.raises(TargetUnresolved, match="gone.example.com does not resolve"):
        webhook_target(url="https://gone.example.com/")


# --- at delivery time -------------------------------------------------------------------------


@pytest.fixture
def delivery_to(apply, queued):
    """A pending webhook delivery of an article.published to `url`, not attempted yet."""
    def _delivery_to(url: str, secret: str = "s") -> Delivery:
        WebhookSubscriptionFactory(url=url, secret=secret)
        apply(event_raw("article.published", published_data(author=AuthorContactFactory(preferences={"email": False}))))
        return Delivery.objects.get(channel="webhook")
    return _delivery_to


@pytest.mark.parametrize("url", ["https://127.0.0.1/hook", "https://169.254.169.254/latest/meta-data/",
                                 "http://hooks.example.com/hook"])
def test_a_refused_target_fails_the_delivery_at_once_with_the_reason(allow, names, delivery_to, url) -> None:
    # A subscription from before the checks (or written around the admin) is refused when it is sent to.
    delivery = delivery_to(url)
    assert delivery_attempt(delivery=delivery).status == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.last_error.startswith("PermanentFailure: refused target: ")


def test_the_connection_goes_to_the_checked_address_not_to_a_second_answer(allow, dns, delivery_to, monkeypatch) -> None:
    allow(http=True)
    # Rebinding: the first answer is public (and checked), any later one points inside.
    dns.answers["hooks.example.com"] = [[PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"], ["127.0.0.1"]]
    connects = []

    def create_connection(address, *args, **kwargs):
        connects.append(address)
        raise ConnectionRefusedError("no network in tests")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    delivery = delivery_to("http://hooks.example.com:8080/hook")
    assert delivery_attempt(delivery=delivery).status == DeliveryStatus.PENDING
    # Each checked address in turn (the resolver's order), and no second look-up of the name.
    assert connects == [(PUBLIC, 8080), ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", 8080)]
    assert dns.lookups == ["hooks.example.com"]
    delivery.refresh_from_db()
    assert delivery.last_error == "ConnectionRefusedError: no network in tests"


def test_the_request_names_the_host_while_going_to_its_checked_address(dns, receiver, delivery_to) -> None:
    dns.answers["hooks.example.com"] = [["127.0.0.1"], ["127.0.0.2"]]  # a later look-up would miss the receiver
    port = receiver.base_url.rsplit(":", 1)[1]
    delivery = delivery_to(f"http://hooks.example.com:{port}/hook", secret=receiver.secret)
    assert delivery_attempt(delivery=delivery).status == DeliveryStatus.SENT
    [request] = receiver.requests
    assert request.headers["Host"] == f"hooks.example.com:{port}" and request.signature_valid


def test_tls_checks_the_certificate_and_sends_sni_for_the_host_name(allow, dns, tls_receiver, delivery_to) -> None:
    allow(private=True)  # https, to 127.0.0.1
    # Any later look-up would answer 127.0.0.2, where nothing listens: only the checked address reaches the receiver.
    dns.answers["hooks.example.com"] = [["127.0.0.1"], ["127.0.0.2"]]
    delivery = delivery_to(f"https://hooks.example.com:{tls_receiver.port}/hook", secret=tls_receiver.receiver.secret)
    assert delivery_attempt(delivery=delivery).status == DeliveryStatus.SENT
    [request] = tls_receiver.receiver.requests
    assert request.headers["Host"] == f"hooks.example.com:{tls_receiver.port}" and request.signature_valid
    assert tls_receiver.server_names == ["hooks.example.com"]


def test_tls_refuses_a_certificate_for_another_name(allow, dns, tls_receiver, delivery_to) -> None:
    allow(private=True)
    dns.answers["other.example.com"] = [["127.0.0.1"]]  # the receiver's certificate is for hooks.example.com
    delivery = delivery_to(f"https://other.example.com:{tls_receiver.port}/hook", secret=tls_receiver.receiver.secret)
    assert delivery_attempt(delivery=delivery).status == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("SSLCertVerificationError") and "other.example.com" in delivery.last_error
    assert tls_receiver.receiver.requests == []


def test_a_redirect_is_not_followed(receiver, delivery_to) -> None:
    receiver.status["/moved"] = 307
    delivery = delivery_to(receiver.url("/moved"), secret=receiver.secret)
    assert delivery_attempt(delivery=delivery).status == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert delivery.last_error == "HTTPError: HTTP Error 307: Temporary Redirect"
    assert len(receiver.requests) == 1
