"""The two ways out: email through Django's email backend, and signed webhook POSTs.

Each raises on failure; PermanentFailure means trying again cannot help.
"""
from __future__ import annotations

import json
import time
import urllib.error
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from notifications.mail import message_send
from notifications.models import Delivery
from notifications.webhook_targets import TargetRefused, webhook_target
from notifications.webhooks import SIGNATURE_HEADER, signature_header


class PermanentFailure(Exception):
    """The receiver refused for good (e.g. 4xx, a deleted subscription): no more attempts."""


def _template_context(delivery: Delivery) -> dict[str, Any]:
    return {"event": delivery.event, "data": delivery.event.get("data", {}), **delivery.context}


def email_render(*, delivery: Delivery) -> tuple[str, str, str]:
    """Subject, text and HTML from notifications/<event type>.subject.txt, .txt and .html."""
    context = _template_context(delivery)
    name = f"notifications/{delivery.event_type}"
    subject = " ".join(render_to_string(f"{name}.subject.txt", context).split())
    return subject, render_to_string(f"{name}.txt", context), render_to_string(f"{name}.html", context)


def email_send(*, delivery: Delivery, address: str) -> None:
    subject, text, html = email_render(delivery=delivery)
    message = EmailMultiAlternatives(
        subject, text, to=[address], headers={"X-Notification-Id": str(delivery.id)}
    )
    message.attach_alternative(html, "text/html")
    message_send(message)


def webhook_body(*, delivery: Delivery) -> bytes:
    """The CloudEvents envelope of the event, exactly the bytes that are signed."""
    return json.dumps(delivery.event, separators=(",", ":"), ensure_ascii=False).encode()


def webhook_post(*, delivery: Delivery, address: str) -> None:
    subscription = delivery.webhook
    if subscription is None:
        raise PermanentFailure("the webhook subscription was deleted")
    if not subscription.active:
        raise PermanentFailure("the webhook subscription is inactive")
    try:
        # Checked at every attempt: the subscription may predate the checks, and DNS answers change.
        target = webhook_target(url=address)
    except TargetRefused as exc:
        raise PermanentFailure(f"refused target: {exc}") from exc
    body = webhook_body(delivery=delivery)
    connection = target.connection(timeout=settings.NOTIFICATIONS["WEBHOOK_TIMEOUT_SECONDS"])
    try:
        connection.request("POST", target.path, body=body, headers={
            "Content-Type": "application/cloudevents+json; charset=utf-8",
            "User-Agent": "platform-notifications/1",
            "X-Notification-Id": str(delivery.id),
            "X-Event-Type": delivery.event_type,
            SIGNATURE_HEADER: signature_header(secret=subscription.secret, body=body, timestamp=int(time.time())),
        })
        response = connection.getresponse()
        response.read(1024)
    finally:
        connection.close()
    if response.status < 300:
        return
    # A redirect is never followed (it could point anywhere, and a redirected POST loses its body):
    # like a 5xx it is the receiver's error, tried again later.
    error = urllib.error.HTTPError(address, response.status, response.reason, response.headers, None)
    # 408 and 429 ask to come back later; any other 4xx will answer the same next time.
    if 400 <= response.status < 500 and response.status not in (408, 429):
        raise PermanentFailure(f"HTTP {response.status} from the receiver") from error
    raise error


SENDERS = {"email": email_send, "webhook": webhook_post}


def channel_send(*, delivery: Delivery, address: str) -> None:
    SENDERS[delivery.channel](delivery=delivery, address=address)
