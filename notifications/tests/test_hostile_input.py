"""Notifications has no API: its admin is the input, and no query string makes it answer a server error."""
from __future__ import annotations

import pytest

from config.testing import assert_admin_lists_take_nul, assert_admin_pages_take_nul

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("app_label", ("notifications",))
def test_the_admin_takes_a_nul_anywhere(admin_client, app_label) -> None:
    assert_admin_lists_take_nul(admin_client, app_label)
    assert_admin_pages_take_nul(admin_client, app_label)
