"""The admin: the delivery log with its resend action, and who to tell."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from notifications.models import Delivery, DeliveryStatus, WebhookSubscription
from notifications.tests.conftest import event_raw
from notifications.tests.factories import AuthorContactFactory, WebhookSubscriptionFactory, published_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "correct-horse-42"))
    return client


def test_the_delivery_log_shows_status_attempts_and_last_error(staff, apply, queued) -> None:
    WebhookSubscriptionFactory(url="http://127.0.0.1:1/hook")
    apply(event_raw("article.published", published_data(author=AuthorContactFactory())))
    Delivery.objects.update(status=DeliveryStatus.FAILED, attempts=3, last_error="HTTPError: HTTP Error 500")
    response = staff.get("/admin/notifications/delivery/?status=failed")
    assert response.status_code == 200
    assert b"HTTPError: HTTP Error 500" in response.content
    delivery = Delivery.objects.first()
    assert staff.get(f"/admin/notifications/delivery/{delivery.pk}/change/").status_code == 200


def test_resend_requeues_failed_deliveries_but_never_a_sent_one(
    staff, apply, queued, django_capture_on_commit_callbacks
) -> None:
    WebhookSubscriptionFactory(url="http://127.0.0.1:1/hook")
    apply(event_raw("article.published", published_data(author=AuthorContactFactory())))
    failed, sent = Delivery.objects.order_by("channel")
    Delivery.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED, attempts=3)
    Delivery.objects.filter(pk=sent.pk).update(status=DeliveryStatus.SENT)
    queued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post("/admin/notifications/delivery/", {
            "action": "resend", "_selected_action": [str(failed.pk), str(sent.pk)]}, follow=True)
    assert b"1 queued to resend" in response.content and b"1 already sent" in response.content
    assert queued == [{"args": [str(failed.pk)], "countdown": 0}]
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.PENDING, 0)


def test_a_webhook_subscription_is_added_with_its_event_types(staff, dns) -> None:
    dns.answers["hooks.example.com"] = [["93.184.216.34"]]
    response = staff.post("/admin/notifications/webhooksubscription/add/", {
        "name": "chat", "url": "https://hooks.example.com/x", "secret": "s3cret", "active": "on",
        "event_types": ["article.published", "moderation.takedown"]})
    assert response.status_code == 302
    assert WebhookSubscription.objects.get().event_types == ["article.published", "moderation.takedown"]


@pytest.mark.parametrize(("url", "error"), [
    ("https://127.0.0.1/hook", "127.0.0.1 is a loopback address"),
    ("https://internal.example.com/hook", "internal.example.com (10.0.0.5) is a private address"),
    ("http://hooks.example.com/hook", "only https URLs may receive webhooks"),
    ("https://nowhere.invalid/hook", "nowhere.invalid does not resolve"),
])
def test_a_subscription_to_a_refused_target_is_a_field_error(staff, dns, url, error) -> None:
    dns.answers |= {"hooks.example.com": [["93.184.216.34"]], "internal.example.com": [["10.0.0.5"]],
                    "nowhere.invalid": [[]]}
    data = {"name": "chat", "url": url, "secret": "s3cret", "active": "on", "event_types": ["article.published"]}
    response = staff.post("/admin/notifications/webhooksubscription/add/", data)
    assert response.status_code == 200 and not WebhookSubscription.objects.exists()
    assert error in " ".join(response.context["adminform"].form.errors["url"])


def test_a_changed_subscription_is_checked_again(staff, dns) -> None:
    dns.answers["hooks.example.com"] = [["93.184.216.34"]]
    subscription = WebhookSubscriptionFactory(url="https://hooks.example.com/x")
    data = {"name": subscription.name, "url": "https://169.254.169.254/latest/meta-data/", "secret": "s",
            "active": "on", "event_types": ["article.published"]}
    response = staff.post(f"/admin/notifications/webhooksubscription/{subscription.pk}/change/", data)
    assert response.status_code == 200 and "link-local address" in " ".join(response.context["adminform"].form.errors["url"])
    subscription.refresh_from_db()
    assert subscription.url == "https://hooks.example.com/x"


def test_moderators_are_managed_in_the_admin(staff) -> None:
    response = staff.post("/admin/notifications/moderatorrecipient/add/",
                          {"name": "Sam", "email": "sam@example.com", "active": "on"})
    assert response.status_code == 302
