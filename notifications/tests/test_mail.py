"""notifications.mail: one SMTP session per process for many messages, against a real SMTP server."""
from __future__ import annotations

import pytest
from django.core.mail import EmailMessage

from notifications import mail
from notifications.mail import message_send


def _message(n: int) -> EmailMessage:
    return EmailMessage(f"subject {n}", f"body {n}", to=[f"author{n}@example.org"])


def test_messages_share_one_session(smtp) -> None:
    for n in range(3):
        message_send(_message(n))
    assert [message["To"] for message in smtp.messages] == [f"author{n}@example.org" for n in range(3)]
    assert len(set(smtp.sessions)) == 1


def test_a_session_the_server_closed_is_replaced_before_the_next_message(smtp, monkeypatch) -> None:
    message_send(_message(1))
    smtp.restart()
    monkeypatch.setattr(mail, "IDLE_PROBE_SECONDS", 0.0)  # the kept session counts as idle: probed first
    message_send(_message(2))
    assert [message["Subject"] for message in smtp.messages] == ["subject 1", "subject 2"]  # each once
    assert len(set(smtp.sessions)) == 2


def test_a_failed_send_is_not_repeated_and_the_next_message_gets_a_new_session(smtp) -> None:
    message_send(_message(1))
    smtp.restart()  # not probed: the session was used a moment ago
    with pytest.raises(Exception):  # noqa: B017, PT011 - whichever way smtplib reports the lost session
        message_send(_message(2))
    message_send(_message(3))
    assert [message["Subject"] for message in smtp.messages] == ["subject 1", "subject 3"]
    assert len(set(smtp.sessions)) == 2


def test_other_backends_are_used_as_django_uses_them(settings, mailoutbox) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message_send(_message(1))
    assert [message.subject for message in mailoutbox] == ["subject 1"]
    assert mail._session is None
