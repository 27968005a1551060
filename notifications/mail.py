"""One SMTP session per process for all its mail, instead of Django's one per message.

`EmailMessage.send()` opens a connection, greets, (STARTTLS, AUTH,) sends and quits for every message:
several round trips and a TLS handshake each, inside the consumer's loop. Here the process keeps the
session open between messages. One idle for IDLE_PROBE_SECONDS is asked first whether it is still there
(NOOP), since servers close idle sessions; a message is never sent twice by this module: a failure closes
the session and is the delivery's to retry, as before. Other backends (the file, console and test ones)
are used as Django uses them.
"""
from __future__ import annotations

import os
import smtplib
import time
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.utils.module_loading import import_string

IDLE_PROBE_SECONDS = 10.0  # RFC 5321 asks servers to wait 5 minutes; some wait far less
_session: tuple[tuple, SmtpBackend] | None = None
_last_used = 0.0


def _config() -> tuple:
    """What a kept session depends on: a change (another process after fork, a test's settings) opens a new one."""
    return (os.getpid(), settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_HOST_USER,
            settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL)


def _alive(backend: SmtpBackend) -> bool:
    try:
        return backend.connection.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def _kept_session() -> SmtpBackend | None:
    """The open session (opened now when there is none, or the kept one is gone); None when mail does not
    go over SMTP."""
    global _session
    config = _config()
    if _session is not None and _session[0] == config:
        backend = _session[1]
        if time.monotonic() - _last_used < IDLE_PROBE_SECONDS or _alive(backend):
            return backend
    session_close()
    if not issubclass(import_string(settings.EMAIL_BACKEND), SmtpBackend):
        return None  # decided from the setting: no backend is made here that message.send() would make again
    connection: Any = get_connection()
    connection.open()
    _session = (config, connection)
    return connection


def session_close() -> None:
    global _session
    if _session is not None:
        _session, (_config_was, backend) = None, _session
        backend.close()  # Django's close ignores a session already gone


def message_send(message: EmailMessage) -> None:
    """Send `message` on the process's SMTP session (see the module), or as Django does for other backends."""
    global _last_used
    backend = _kept_session()
    if backend is None:
        message.send()
        return
    try:
        backend.send_messages([message])
    except BaseException:
        session_close()  # whatever state the session is in, the next message starts on a new one
        raise
    _last_used = time.monotonic()
