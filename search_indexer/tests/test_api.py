"""The public API and page answer anonymous readers; the schema documents the API."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_api_searches_anonymously(api, publish_article) -> None:
    article = publish_article(title="Event sourcing explained", tags=["design"], body="What the relay does.")
    response = api.get("/api/search/", {"q": "event sourcing"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["suggestion"] is None
    hit = body["results"][0]
    assert hit["article_id"] == article["article_id"]
    assert hit["url"] == article["url"] and hit["tags"] == ["design"]
    assert hit["author"]["username"] == article["author"]["username"]
    assert set(hit) == {"article_id", "title", "url", "snippet", "rank", "tags", "author", "published_at"}


def test_the_api_filters_and_pages(api, publish_article) -> None:
    publish_article(title="Fox one", tags=["a"], published_at="2026-01-01T10:00:00Z")
    publish_article(title="Fox two", tags=["b"], published_at="2026-02-01T10:00:00Z")
    body = api.get("/api/search/", {"q": "fox", "tag": "b", "from": "2026-01-15", "to": "2026-02-01"}).json()
    assert [hit["title"] for hit in body["results"]] == ["Fox two"]
    assert api.get("/api/search/", {"q": "fox", "page": 2}).json()["results"] == []


def test_the_api_suggests(api, publish_article) -> None:
    publish_article(title="Choreography")
    assert api.get("/api/search/", {"q": "choreografy"}).json()["suggestion"] == "choreography"


@pytest.mark.parametrize("params", [{"page": "0"}, {"page": "x"}, {"from": "yesterday"}, {"q": "x" * 501}])
def test_the_api_rejects_malformed_parameters(api, params) -> None:
    assert api.get("/api/search/", params).status_code == 400


def test_the_api_is_throttled(api, settings) -> None:
    statuses = {api.get("/api/search/").status_code for _ in range(61)}
    assert 429 in statuses


def test_the_schema_documents_the_search(api) -> None:
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    operation = response.json()["paths"]["/api/search/"]["get"]
    assert {"q", "tag", "author", "from", "to", "page"} <= {param["name"] for param in operation["parameters"]}


def test_the_page_shows_highlighted_results_linking_to_the_article(client, publish_article) -> None:
    publish_article(title="Reading <em>list</em>", url="/articles/reading-list/", body="A relay & <b>more</b>.")
    response = client.get("/", {"q": "relay"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="/articles/reading-list/">Reading &lt;em&gt;list&lt;/em&gt;</a>' in html
    assert "<mark>relay</mark>" in html and "<b>more</b>" not in html


def test_the_page_answers_without_a_query_and_with_pages(client, publish_article) -> None:
    for n in range(12):
        publish_article(title=f"Item {n}", tags=["t"])
    html = client.get("/", {"tag": "t"}).content.decode()
    assert "12 articles" in html and "page=2" in html and "page 1 of 2" in html


def test_the_page_suggests(client, publish_article) -> None:
    publish_article(title="Choreography")
    assert "Did you mean" in client.get("/", {"q": "choreografy"}).content.decode()


def test_the_page_reports_bad_input(client) -> None:
    assert client.get("/", {"from": "nope"}).status_code == 400


def test_a_script_url_is_never_linked(client, publish_article) -> None:
    publish_article(title="Sneaky", url="javascript:alert(1)")
    assert "javascript:" not in client.get("/", {"q": "sneaky"}).content.decode()
