"""What an email costs the sender, Django's session per message against notifications.mail's kept one (not a test).

Sends N messages of the size notifications sends to a local aiosmtpd server, each way in turns, and prints
per message the CPU of this process and the wall time (the server runs in this process's thread too, so
both count its work). Run:

    DJANGO_SETTINGS_MODULE=notifications.settings .venv/bin/python -m notifications.bench_mail --messages 300
"""
from __future__ import annotations

import argparse
import logging
import os
import socket
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "notifications.settings")

import django  # noqa: E402

django.setup()

from aiosmtpd.controller import Controller  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.mail import EmailMultiAlternatives  # noqa: E402

from notifications.mail import message_send, session_close  # noqa: E402


class _Sink:
    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        return "250 OK"


def _message(n: int) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(f"Your article “Garden soil {n}” is live", "Hello,\n\nyour article is live.\n" * 4,
                                     to=[f"author{n}@example.org"])
    message.attach_alternative("<p>Hello,</p><p>your article is live.</p>" * 4, "text/html")
    return message


def _round(send, messages: int) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for n in range(messages):
        send(_message(n))
    return (time.process_time() - cpu) / messages * 1000, (time.perf_counter() - wall) / messages * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line per SMTP command
    controller = Controller(_Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    figures: dict[str, list[tuple[float, float]]] = {"session per message": [], "kept session": []}
    try:
        for _ in range(args.rounds):
            figures["session per message"].append(_round(lambda message: message.send(), args.messages))
            figures["kept session"].append(_round(message_send, args.messages))
            session_close()
    finally:
        controller.stop()
    for name, rounds in figures.items():
        print(f"{name:20} cpu ms per message {statistics.median(c for c, _ in rounds):6.3f}   "
              f"wall ms {statistics.median(w for _, w in rounds):6.3f}   (median of {args.rounds} rounds)")
    per_message, kept = (statistics.median(c for c, _ in rounds) for rounds in figures.values())
    print(f"kept session: {100 * kept / per_message:.0f} % of the CPU of a session per message")


if __name__ == "__main__":
    main()
