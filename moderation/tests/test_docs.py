"""moderation serves its API docs itself: Swagger UI and Redoc from its own static files, no CDN."""
from __future__ import annotations

import pytest

from config.testing import assert_api_docs_self_hosted

pytestmark = pytest.mark.django_db


def test_swagger_ui_and_redoc_load_only_the_services_own_files(client) -> None:
    assert_api_docs_self_hosted(client)
