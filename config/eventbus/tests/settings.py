"""A stand-in service for testing the event bus on its own: it plays `publishing` in a test vhost.

It publishes publishing's event types and consumes two of them with the probe handlers, which
record what they applied and can be told to fail.
"""
from __future__ import annotations

from config.settings import *  # noqa: F403
from config.settings import BASE_APPS, broker_url_as, env, service_database, service_eventbus, service_secret_key

SERVICE_NAME = "publishing"
# The administrator of the test vhost: only tests use it (tap queues, forged events, clean-up).
EVENTBUS_TEST_ADMIN_URL = env.str("EVENTBUS_TEST_BROKER_URL", default="amqp://guest:guest@127.0.0.1:5672/platform_test_bus")
INSTALLED_APPS = [*BASE_APPS, "config.eventbus.tests.probe"]
ROOT_URLCONF = "config.eventbus.tests.urls"
DATABASES = {"default": service_database("eventbus_test")}
SECRET_KEY = service_secret_key(SERVICE_NAME)
EVENTBUS = {
    **service_eventbus(SERVICE_NAME, handlers="config.eventbus.tests.probe.handlers.EVENT_HANDLERS"),
    # A vhost of its own: the probe's queue names are the real publishing's, and so is its broker user.
    "BROKER_URL": env.str("EVENTBUS_TEST_SERVICE_BROKER_URL", default=broker_url_as(SERVICE_NAME, EVENTBUS_TEST_ADMIN_URL)),
    "RETRY_DELAYS": env.list("EVENTBUS_RETRY_DELAYS", cast=float, default=[0.2, 0.4]),
    "RELAY_POLL_SECONDS": 1.0,
}
