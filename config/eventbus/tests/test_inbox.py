"""Which database errors mean "the database is gone" (wait, keep the message) and which are the handler's."""
from __future__ import annotations

import psycopg
import pytest
from django.db import InterfaceError, OperationalError
from psycopg import errors

from config.eventbus.inbox import database_outage


def _django_error(cause: Exception, kind: type = OperationalError) -> Exception:
    error = kind(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (_django_error(psycopg.OperationalError("server closed the connection unexpectedly")), True),
        (_django_error(errors.AdminShutdown("terminating connection")), True),  # admin shutdown: a restart
        (_django_error(errors.ConnectionFailure("lost")), True),  # connection failure
        (_django_error(psycopg.InterfaceError("the connection is closed"), InterfaceError), True),
        (_django_error(errors.SerializationFailure("retry")), False),  # serialization failure: the handler's, retried by the bus
        (_django_error(errors.QueryCanceled("statement timeout")), False),  # statement timeout
        (errors.AdminShutdown("terminating connection"), True),  # raw, from the inbox claim
        (psycopg.OperationalError("consuming input failed: server closed the connection"), True),
        (errors.UniqueViolation("duplicate key"), False),
        (ValueError("a handler bug"), False),
    ],
    ids=["closed", "admin-shutdown", "connection-failure", "interface", "serialization", "timeout",
         "raw-admin-shutdown", "raw-closed", "raw-unique", "bug"],
)
def test_database_outages_are_told_from_handler_errors(error: Exception, outage: bool) -> None:
    assert database_outage(error) is outage
