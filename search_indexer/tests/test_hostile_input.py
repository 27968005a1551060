"""Any query string a reader sends is searched, or refused with a 400 naming the parameter: never a 500."""
from __future__ import annotations

import pytest

from config.testing import assert_admin_lists_take_nul, assert_admin_pages_take_nul

pytestmark = pytest.mark.django_db

NUL = "\x00"


@pytest.mark.parametrize("params", [{"to": "9999-12-31"}, {"from": "0001-01-01", "to": "9999-12-31"}, {"from": "9999-12-31"}])
def test_the_first_and_last_days_are_searchable(api, client, publish_article, params) -> None:
    publish_article(title="Fox", published_at="2026-01-01T10:00:00Z")
    response = api.get("/api/search/", params)
    assert response.status_code == 200
    assert response.json()["count"] == (0 if params.get("from") == "9999-12-31" else 1)
    assert client.get("/", params).status_code == 200


def test_blank_days_are_no_filter(api, client, publish_article) -> None:
    publish_article(title="Fox")
    assert api.get("/api/search/", {"q": "fox", "from": "", "to": ""}).json()["count"] == 1
    assert client.get("/", {"q": "fox", "from": "", "to": ""}).status_code == 200  # the page's form sends both


@pytest.mark.parametrize("params", [{"q": f"fox{NUL}"}, {"author": NUL}, {"tag": f"a{NUL}"}, {"q": "\x1b[31mfox\x07"}])
def test_control_characters_are_cleaned_out(api, client, publish_article, params) -> None:
    publish_article(title="Fox")
    assert api.get("/api/search/", params).status_code == 200
    assert client.get("/", params).status_code == 200


@pytest.mark.parametrize(("params", "field"), [({"tag": ""}, "tag"), ({"tag": NUL}, "tag"), ({"tag": ["a"] * 21}, "tag"),
                                               ({"to": "10000-01-01"}, "to"), ({"page": "9" * 40}, "page")])
def test_bad_parameters_are_a_400_naming_them(api, params, field) -> None:
    response = api.get("/api/search/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_a_path_under_the_api_that_matches_nothing_is_a_json_404(api) -> None:
    response = api.get("/api/search/x/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("app_label", ("search_indexer",))
def test_the_admin_takes_a_nul_anywhere(admin_client, app_label) -> None:
    assert_admin_lists_take_nul(admin_client, app_label)
    assert_admin_pages_take_nul(admin_client, app_label)
