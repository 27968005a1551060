"""A real SMTP server (aiosmtpd) and real HTTP and HTTPS receivers that check signatures, a fake DNS,
Celery run eagerly, and `apply` to feed events through the consumer's own path (message_apply)."""
from __future__ import annotations

import email
import email.policy
import json
import socket
import ssl
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller

from config.celery import app as celery_app
from config.eventbus.envelope import Event
from config.eventbus.inbox import Outcome, message_apply
from notifications.handlers import EVENT_HANDLERS
from notifications.mail import session_close
from notifications.webhooks import SIGNATURE_HEADER, signature_verify


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.sessions: list[Any] = []  # per message, the client's address of the SMTP session it came on

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        self.sessions.append(session.peer)
        return "250 OK"


@pytest.fixture
def smtp(settings: Any) -> Iterator[_Inbox]:
    """Mail goes over real SMTP to a local aiosmtpd; `smtp.messages` is what arrived."""
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False

    def restart() -> None:  # as a server restart or its idle timeout does: every session it had is gone
        nonlocal controller
        controller.stop()
        controller = Controller(inbox, hostname="127.0.0.1", port=controller.port)
        controller.start()

    inbox.restart = restart
    yield inbox
    session_close()  # the process's kept session was to this server
    controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each path with `status[path]` (200 by default) and records whether the signature held."""

    base_url: str
    secret: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: dict[str, int] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def to(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


@pytest.fixture
def local_webhooks(settings: Any) -> None:
    """Webhooks to http:// and to private addresses such as the local receiver's: for local use only."""
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "WEBHOOK_ALLOW_HTTP": True, "WEBHOOK_ALLOW_PRIVATE": True}


def _serve(*, tls: ssl.SSLContext | None = None) -> tuple[ThreadingHTTPServer, Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    scheme = "https" if tls else "http"
    state = Receiver(base_url=f"{scheme}://127.0.0.1:{server.server_address[1]}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            valid = signature_verify(secret=state.secret, body=body, header=self.headers.get(SIGNATURE_HEADER, ""))
            state.requests.append(Received(self.path, dict(self.headers), body, valid))
            self.send_response(state.status.get(self.path, 200) if valid else 401)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, state


@pytest.fixture
def receiver(local_webhooks: None) -> Iterator[Receiver]:
    """A plain-http receiver on 127.0.0.1, so its tests allow http and private addresses (local_webhooks)."""
    server, state = _serve()
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class TLSReceiver:
    receiver: Receiver
    port: int
    # The names clients asked for in TLS SNI.
    server_names: list[str | None]


@pytest.fixture
def tls_receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[TLSReceiver]:
    """An https receiver on 127.0.0.1 with a certificate for hooks.example.com from a CA the sender trusts."""
    from notifications import webhook_targets

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("hooks.example.com").configure_cert(server_context)
    server_names: list[str | None] = []
    server_context.sni_callback = lambda sock, name, context: server_names.append(name)

    def trusting() -> ssl.SSLContext:
        context = ssl.create_default_context()
        ca.configure_trust(context)
        return context

    monkeypatch.setattr(webhook_targets, "tls_context", trusting)
    server, state = _serve(tls=server_context)
    yield TLSReceiver(receiver=state, port=server.server_address[1], server_names=server_names)
    server.shutdown()
    server.server_close()


@dataclass
class FakeDNS:
    """`answers[name]` is a list of answers, one per look-up (the last one repeats; [] is "no such name");
    `lookups` the names asked."""

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    """Host names resolve as the test says (any other name, and IP literals, as usual)."""
    fake = FakeDNS()
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list:
        if host not in fake.answers:
            return real(host, port, *args, **kwargs)
        fake.lookups.append(host)
        queue = fake.answers[host]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if not answer:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port, 0, 0)) if ":" in ip
                else (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port)) for ip in answer]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return fake


@pytest.fixture(autouse=True)
def delivery_settings(settings: Any) -> None:
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "MAX_ATTEMPTS": 3, "WEBHOOK_TIMEOUT_SECONDS": 5.0,
                              "SITE_URL": "https://news.example.com"}


@pytest.fixture(autouse=True)
def inline_resumed() -> Iterator[None]:
    """Each test starts with inline sending on, as a fresh consumer does (a failed attempt pauses it)."""
    from notifications import services

    services._inline_paused_until, services._inline_warm = 0.0, False
    yield
    services._inline_paused_until, services._inline_warm = 0.0, False


@pytest.fixture
def eager() -> Iterator[None]:
    """Tasks run in-process at once; a retry runs at once too (its countdown is not waited out)."""
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    # Not propagating is what lets an eager task's Retry run the retry (propagating would raise it).
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = True, False
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """No worker: what would be sent to Celery is recorded instead, and the test drives the attempts."""
    from notifications.tasks import delivery_send

    calls: list[dict[str, Any]] = []
    def record(*args: Any, **kwargs: Any) -> None:
        assert kwargs.pop("retry") is True and kwargs.pop("retry_policy")  # a broker restart is ridden out
        calls.append(kwargs)

    monkeypatch.setattr(delivery_send, "apply_async", record)
    return calls


def event_raw(event_type: str, data: dict[str, Any], *, source: str = "publishing", **envelope: Any) -> bytes:
    subject = f"article/{data['article_id']}" if "article_id" in data else f"author/{data.get('author_id')}"
    event = Event(type=event_type, source=source, subject=subject, data=data, correlationid=str(uuid.uuid4()),
                  dataschema=f"urn:contract:{event_type}:v1", **envelope)
    return json.dumps(event.to_dict()).encode()


@pytest.fixture
def apply(django_capture_on_commit_callbacks: Any) -> Callable[..., Outcome]:
    """Apply raw event bytes as the consumer does, then run what was scheduled on commit."""
    def _apply(raw: bytes) -> Outcome:
        with django_capture_on_commit_callbacks(execute=True):
            return message_apply(raw, EVENT_HANDLERS)
    return _apply
