"""The two ways out: email through Django's email backend, and signed webhook POSTs.

Each raises on failure; PermanentFailure means trying again cannot help.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from notifications.models import Delivery
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
    message.send()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirected POST would become a GET without the body: treat a redirect as the receiver's error.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def webhook_body(*, delivery: Delivery) -> bytes:
    """The CloudEvents envelope of the event, exactly the bytes that are signed."""
    return json.dumps(delivery.event, separators=(",", ":"), ensure_ascii=False).encode()


def webhook_post(*, delivery: Delivery, address: str) -> None:
    subscription = delivery.webhook
    if subscription is None:
        raise PermanentFailure("the webhook subscription was deleted")
    if not subscription.active:
        raise PermanentFailure("the webhook subscription is inactive")
    body = webhook_body(delivery=delivery)
    request = urllib.request.Request(address, data=body, method="POST", headers={
        "Content-Type": "application/cloudevents+json; charset=utf-8",
        "User-Agent": "platform-notifications/1",
        "X-Notification-Id": str(delivery.id),
        "X-Event-Type": delivery.event_type,
        SIGNATURE_HEADER: signature_header(secret=subscription.secret, body=body, timestamp=int(time.time())),
    })
    try:
        with _opener.open(request, timeout=settings.NOTIFICATIONS["WEBHOOK_TIMEOUT_SECONDS"]) as response:
            response.read(1024)
    except urllib.error.HTTPError as exc:
        # 408 and 429 ask to come back later; any other 4xx will answer the same next time.
        if 400 <= exc.code < 500 and exc.code not in (408, 429):
            raise PermanentFailure(f"HTTP {exc.code} from the receiver") from exc
        raise
    except ValueError as exc:  # not a URL urllib can open
        raise PermanentFailure(f"bad URL: {exc}") from exc


SENDERS = {"email": email_send, "webhook": webhook_post}


def channel_send(*, delivery: Delivery, address: str) -> None:
    SENDERS[delivery.channel](delivery=delivery, address=address)
