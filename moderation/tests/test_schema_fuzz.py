"""schemathesis generates requests from /api/schema/ (valid and invalid ones) and sends them to the API as a
moderator, with every check it has: no 5xx, and every answer is one the schema documents; what the schema
allows is accepted and what it forbids is refused."""
from __future__ import annotations

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, settings
from knox.models import AuthToken

from config.testing import fuzzable_schema
from moderation.tests.factories import CaseFactory, ModeratorFactory
from moderation.wsgi import application

schema = fuzzable_schema(application)


@pytest.fixture
def moderator(transactional_db):
    CaseFactory()
    return ModeratorFactory()


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
# Derandomized: every run (and CI) sends the same examples; `schemathesis run` explores fresh ones.
@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_api_does_what_its_schema_says(case, moderator) -> None:
    cache.clear()  # the throttles would otherwise turn later examples into 429s
    token = AuthToken.objects.create(moderator)[1]
    case.call_and_validate(headers={"Authorization": f"Token {token}"})
