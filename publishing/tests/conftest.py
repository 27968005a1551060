from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from publishing.tests.factories import ArticleFactory, AuthorFactory, UserFactory


@pytest.fixture
def author():
    return AuthorFactory()


@pytest.fixture
def other_author():
    return AuthorFactory()


@pytest.fixture
def editor():
    return UserFactory(is_staff=True)


@pytest.fixture
def article(author):
    return ArticleFactory(author=author)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_user(api):
    def login(user):
        api.force_authenticate(user)
        return api

    return login
