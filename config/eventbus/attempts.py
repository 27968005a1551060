"""Deliveries that may have crashed the consumer, counted in the database.

A quorum queue counts every return of a message (a consumer restart, a lost channel) as a
delivery, so its delivery limit would dead-letter innocent messages. Instead, a redelivered
message is handled alone and its start is committed here first; a message that keeps killing the
consumer before it finishes piles up starts and is dead-lettered as poison after CRASH_LIMIT.
"""
from __future__ import annotations

import hashlib

import amqp
from django.db import connection

CRASH_LIMIT = 5

START = """
INSERT INTO eventbus_deliveryattempt (message_key, starts, first_started_at, last_started_at)
VALUES (%s, 1, now(), now())
ON CONFLICT (message_key) DO UPDATE SET starts = eventbus_deliveryattempt.starts + 1, last_started_at = now()
RETURNING starts
"""
CLEAR = "DELETE FROM eventbus_deliveryattempt WHERE message_key = %s"


def message_key(message: amqp.Message) -> str:
    message_id = message.properties.get("message_id")
    if message_id:
        return str(message_id)[:200]
    body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
    return "sha256:" + hashlib.sha256(body).hexdigest()


def attempt_start(key: str) -> int:
    """Commit one more start of this delivery (outside any transaction) and return how many so far."""
    with connection.cursor() as cursor:
        cursor.execute(START, [key])
        return cursor.fetchone()[0]


def attempt_clear(key: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(CLEAR, [key])
