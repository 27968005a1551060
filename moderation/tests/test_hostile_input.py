"""Bad input to the queue page, its forms and the API is a 400 with field messages, a JSON 404 or cleaned,
never a server error."""
from __future__ import annotations

import pytest

from config.testing import assert_admin_lists_take_nul, assert_admin_pages_take_nul
from moderation.models import Case, CaseStatus
from moderation.tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

NUL = "\x00"


@pytest.mark.parametrize("query", [{"q": f"a{NUL}b"}, {"rule": NUL}, {"claimed": NUL, "over_sla": NUL},
                                   {"page": "9" * 40}, {"page": NUL}])
def test_the_queue_page_takes_any_filter(client, moderator, query) -> None:
    CaseFactory(title="ab")
    client.force_login(moderator)
    assert client.get("/queue/", query).status_code == 200


@pytest.mark.parametrize("query", [{"q": f"a{NUL}b"}, {"rule": f"{NUL}links"}, {"claimed": "mine", "over_sla": "true"}])
def test_the_queue_api_takes_control_characters_in_filters(api, moderator, query) -> None:
    api.force_authenticate(moderator)
    assert api.get("/api/queue/", query).status_code == 200


@pytest.mark.parametrize(("query", "field"), [({"claimed": "everyone"}, "claimed"), ({"over_sla": "maybe"}, "over_sla"),
                                              ({"q": "x" * 301}, "q"), ({"page": "0"}, "page")])
def test_a_bad_queue_filter_is_a_400_naming_it(api, moderator, query, field) -> None:
    api.force_authenticate(moderator)
    response = api.get("/api/queue/", query)
    assert response.status_code == 400
    assert field in response.json()


def test_a_note_with_control_characters_is_cleaned_on_the_page(client, moderator, emitted) -> None:
    case = CaseFactory()
    client.force_login(moderator)
    response = client.post(f"/queue/{case.pk}/approve/", {"note": f"fine{NUL}\x07 by me", "f_q": NUL})
    assert response.status_code == 302 and response["Location"] == "/queue/"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.APPROVED
    assert NUL not in str(emitted())


@pytest.mark.parametrize("form", [{"reasons": [f"spam{NUL}"], "note": NUL}, {"reasons": [NUL * 3]}])
def test_nul_in_reasons_on_the_page_is_no_server_error(client, moderator, form) -> None:
    case = CaseFactory()
    client.force_login(moderator)
    assert client.post(f"/queue/{case.pk}/reject/", form).status_code == 302


@pytest.mark.parametrize("form", [{"ids": [NUL, "not-an-id"]}, {"article_id": NUL, "reason": NUL, "note": NUL}])
def test_nul_in_bulk_approval_and_takedown_forms_is_no_server_error(client, moderator, form) -> None:
    client.force_login(moderator)
    url = "/queue/bulk-approve/" if "ids" in form else "/queue/takedown/"
    assert client.post(url, form).status_code == 302


def test_a_note_with_control_characters_is_cleaned_in_the_api(api, moderator) -> None:
    case = CaseFactory()
    api.force_authenticate(moderator)
    response = api.post(f"/api/queue/{case.pk}/reject/", {"reasons": ["spam"], "note": f"no{NUL}pe"}, format="json")
    assert response.status_code in (200, 400), response.content  # 400 only for an unknown reason code, named
    assert NUL not in response.content.decode()


@pytest.mark.parametrize(("url", "body", "field"), [
    ("/api/queue/approve/", {"ids": [False]}, "ids"),  # DRF would read `false` as the UUID 0
    ("/api/queue/approve/", {"ids": [5]}, "ids"),
    ("/api/takedowns/", {"article_id": 0, "reason": "legal"}, "article_id"),
    ("/api/takedowns/", {"article_id": "00000000-0000-0000-0000-000000000000", "reason": f"legal{NUL}"}, "reason"),
])
def test_bad_ids_and_codes_in_bodies_are_a_400_naming_the_field(api, moderator, url, body, field) -> None:
    api.force_authenticate(moderator)
    response = api.post(url, body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_lists_go_to_the_api_as_json(api, moderator) -> None:
    api.force_authenticate(moderator)
    assert api.post("/api/queue/approve/", {"ids": []}).status_code == 415


@pytest.mark.parametrize("path", ["/api/queue/null/claim/", "/api/queue/1,2/approve/", "/api/nothing/"])
def test_a_malformed_id_is_a_json_404(api, moderator, path) -> None:
    api.force_authenticate(moderator)
    response = api.post(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("app_label", ("moderation",))
def test_the_admin_takes_a_nul_anywhere(admin_client, app_label) -> None:
    assert_admin_lists_take_nul(admin_client, app_label)
    assert_admin_pages_take_nul(admin_client, app_label)


def test_the_schema_documents_the_queue_filters_and_conflicts(client) -> None:
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    queue = paths["/api/queue/"]["get"]
    assert {"q", "rule", "claimed", "over_sla", "page"} <= {parameter["name"] for parameter in queue["parameters"]}
    assert {"200", "400", "401", "403", "404", "429"} <= set(queue["responses"])
    assert {"200", "401", "403", "404", "409", "429"} <= set(paths["/api/queue/{id}/claim/"]["post"]["responses"])
    assert {"202", "400", "404", "409"} <= set(paths["/api/takedowns/"]["post"]["responses"])
