"""'Did you mean' is bounded: a long query costs a fixed number of trigram look-ups, not one per word."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from search_indexer.selectors import SUGGESTION_MAX_WORDS, term_suggestion

pytestmark = pytest.mark.django_db


def test_a_query_of_many_unknown_words_does_a_bounded_number_of_trigram_look_ups(api, publish_article) -> None:
    publish_article(title="Choreography")
    # 125 distinct unknown words: the most a 500-character query holds.
    words = [f"w{chr(97 + n // 26)}{chr(97 + n % 26)}" for n in range(125)]
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/search/", {"q": " ".join(words)[:500]})
    assert response.status_code == 200
    look_ups = [q["sql"] for q in queries.captured_queries if "SIMILARITY(" in q["sql"].upper()]
    assert 0 < len(look_ups) <= SUGGESTION_MAX_WORDS == 5


@pytest.mark.parametrize(("q", "suggestion"), [
    ("choreografy", "choreography"),
    # The first words of the query are the ones looked at, however many follow.
    ("choreografy or " + " or ".join(["waa", "wab", "wac", "wad", "wae", "waf"]),
     "choreography or " + " or ".join(["waa", "wab", "wac", "wad", "wae", "waf"])),
    ("waa or wab or wac or wad or wae or choreografy", None),  # the sixth word is past the bound
])
def test_the_first_words_of_a_query_are_corrected(publish_article, q, suggestion) -> None:
    publish_article(title="Choreography")
    assert term_suggestion(q=q) == suggestion
