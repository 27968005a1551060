"""schemathesis generates requests from /api/schema/ (valid and invalid ones) and sends them to the API with
every check it has: no 5xx, and every answer (status, content type, headers, body) is one the schema
documents; what the schema allows is accepted and what it forbids is refused."""
from __future__ import annotations

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, settings
from knox.models import AuthToken

from config.testing import fuzzable_schema
from publishing.tests.factories import ArticleFactory, AuthorFactory
from publishing.wsgi import application

schema = fuzzable_schema(application)


@pytest.fixture
def author(transactional_db):
    author = AuthorFactory()
    ArticleFactory(author=author)
    return author


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
# Derandomized: every run (and CI) sends the same examples; `schemathesis run` explores fresh ones.
@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_api_does_what_its_schema_says(case, author) -> None:
    cache.clear()  # the throttles would otherwise turn later examples into 429s
    token = AuthToken.objects.create(author.user)[1]  # one per example: an example may revoke it
    case.call_and_validate(headers={"Authorization": f"Token {token}"})
