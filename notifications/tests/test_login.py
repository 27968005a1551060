"""The admin login locks out one account from one client address after repeated failures."""
from __future__ import annotations

import pytest

from config.testing import assert_admin_login_locks_out

pytestmark = pytest.mark.django_db


def test_the_admin_login_locks_out_one_account_from_one_address(client, settings) -> None:
    assert_admin_login_locks_out(client, settings)
