"""schemathesis generates requests from /api/schema/ and sends them to the API: none may answer 5xx."""
from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error

from publishing.tests.factories import ArticleFactory, AuthorFactory
from publishing.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def token(django_db_blocker) -> str:
    with django_db_blocker.unblock():
        author = AuthorFactory()
        ArticleFactory(author=author)
        return AuthToken.objects.create(user=author.user)[1]


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_never_answers_a_server_error(case, token) -> None:
    cache.clear()  # the throttles would otherwise turn later examples into 429s
    response = case.call(headers={"Authorization": f"Token {token}"})
    case.validate_response(response, checks=[not_a_server_error])
