"""Bad input of every shape is a 400 with field messages, a JSON 404 or cleaned, never a server error."""
from __future__ import annotations

import pytest

from config.testing import assert_admin_lists_take_nul, assert_admin_pages_take_nul
from publishing.models import Article
from publishing.tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

NUL = "\x00"


@pytest.mark.parametrize("query", [{"tag": NUL}, {"search": f"a{NUL}b"}, {"status": "", "tag": "\x07news\x1b"}])
def test_control_characters_in_filters_are_cleaned_out(as_user, author, query) -> None:
    ArticleFactory(author=author, tags=["news"])
    response = as_user(author.user).get("/api/articles/", query)
    assert response.status_code == 200, response.content


# The bus's and the tokens' admin pages are every service's; publishing's tests try them.
@pytest.mark.parametrize("app_label", ("publishing", "eventbus", "knox"))
def test_the_admin_takes_a_nul_anywhere(admin_client, app_label) -> None:
    assert_admin_lists_take_nul(admin_client, app_label)
    assert_admin_pages_take_nul(admin_client, app_label)


@pytest.mark.parametrize("page", ["", "x", "0", "-1", "1.5", "１"])
def test_a_page_that_is_no_positive_number_is_a_400_that_says_so(as_user, author, page) -> None:
    response = as_user(author.user).get("/api/articles/", {"page": page})
    assert response.status_code == 400
    assert "page" in response.json()


@pytest.mark.parametrize("page", ["2", "9" * 30, "9" * 5000])
def test_a_page_past_the_last_is_a_json_404(as_user, author, page) -> None:
    response = as_user(author.user).get("/api/articles/", {"page": page})
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


@pytest.mark.parametrize("path", ["/api/articles/null/", "/api/articles/1%2C2/submit/", f"/api/articles/{NUL}/"])
def test_a_malformed_id_is_a_json_404(as_user, author, path) -> None:
    response = as_user(author.user).get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_outside_the_api_a_missing_page_stays_html(client) -> None:
    response = client.get("/articles/no-such-thing/x/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_control_characters_in_an_article_are_removed(as_user, author) -> None:
    response = as_user(author.user).post("/api/articles/", {"title": f"On{NUL} choreography\x07", "body": "a\tb\nc\x00"},
                                         format="json")
    assert response.status_code == 201, response.content
    article = Article.objects.get(pk=response.json()["id"])
    assert (article.title, article.body) == ("On choreography", "a\tb\nc")


@pytest.mark.parametrize(("body", "field"), [
    ({"title": NUL}, "title"),  # blank once cleaned
    ({"title": " " + "t" * 300}, "title"),  # too long as sent, whatever trimming leaves
    ({"title": 5}, "title"),  # not a string
    ({"title": "T", "tags": [0]}, "tags"),
    ({"title": "T", "tags": [" news"]}, "tags"),
    ({"title": "T", "tags": [f"news{NUL}"]}, "tags"),
    ({"title": "T", "publish_at": "9999-12-31T23:00:00-05:00"}, "publish_at"),  # past the last datetime in UTC
])
def test_bad_article_fields_are_a_400_naming_the_field(as_user, author, body, field) -> None:
    response = as_user(author.user).post("/api/articles/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_articles_are_sent_as_json(as_user, author) -> None:
    response = as_user(author.user).post("/api/articles/", {"title": "T", "publish_at": ""})
    assert response.status_code == 415


def test_an_edit_without_updated_at_is_refused(as_user, author) -> None:
    article = ArticleFactory(author=author)
    response = as_user(author.user).patch(f"/api/articles/{article.pk}/", {"title": "New"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"updated_at": ["Send the updated_at you last read, to protect other edits."]}


def test_an_edit_changes_only_the_fields_sent(as_user, author) -> None:
    article = ArticleFactory(author=author, summary="Kept.", tags=["kept"])
    response = as_user(author.user).patch(f"/api/articles/{article.pk}/", {
        "title": "New", "updated_at": article.updated_at.isoformat()}, format="json")
    assert response.status_code == 200, response.content
    article.refresh_from_db()
    assert (article.title, article.summary, article.tags) == ("New", "Kept.", ["kept"])


def _schema(client) -> dict:
    return client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


def test_the_schema_requires_updated_at_on_an_edit(client) -> None:
    schema = _schema(client)
    body = schema["paths"]["/api/articles/{id}/"]["patch"]["requestBody"]
    assert body["required"] is True
    assert list(body["content"]) == ["application/json"]
    component = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][component]["required"] == ["updated_at"]


@pytest.mark.parametrize(("method", "path", "codes"), [
    ("get", "/api/articles/", {"200", "400", "401", "403", "404", "429"}),  # 404: a page past the last
    ("post", "/api/articles/", {"201", "400", "401", "403", "415", "429"}),
    ("get", "/api/articles/{id}/", {"200", "401", "403", "404", "429"}),
    ("patch", "/api/articles/{id}/", {"200", "400", "401", "403", "404", "409", "415", "429"}),
])
def test_the_schema_documents_every_answer_as_json(client, method, path, codes) -> None:
    responses = _schema(client)["paths"][path][method]["responses"]
    assert codes <= set(responses)
    assert all(list(responses[code]["content"]) == ["application/json"] for code in codes - {"204"})
