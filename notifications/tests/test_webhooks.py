"""The webhook signature: what receivers verify, including refusing old (replayed) requests."""
from __future__ import annotations

import time

import pytest

from notifications.webhooks import signature_header, signature_verify

BODY = b'{"id":"1"}'


def test_a_fresh_signature_verifies() -> None:
    header = signature_header(secret="s", body=BODY, timestamp=int(time.time()))
    assert signature_verify(secret="s", body=BODY, header=header)


@pytest.mark.parametrize(("secret", "body", "age", "valid"), [
    ("s", BODY, 0, True),
    ("s", BODY, 299, True),
    ("s", BODY, 301, False),  # a replay of an old request
    ("other", BODY, 0, False),
    ("s", b'{"id":"2"}', 0, False),
])
def test_signature_table(secret, body, age, valid) -> None:
    now = 1_800_000_000
    header = signature_header(secret="s", body=BODY, timestamp=now - age)
    assert signature_verify(secret=secret, body=body, header=header, now=now) is valid


@pytest.mark.parametrize("header", ["", "t=abc,v1=00", "v1=00", "garbage"])
def test_a_malformed_header_does_not_verify(header) -> None:
    assert not signature_verify(secret="s", body=BODY, header=header)
