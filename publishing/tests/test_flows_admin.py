"""The editors' admin of the flow watch: the list of steps with its filters, and the flag on the articles."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from publishing.services import article_submit
from publishing.tests.factories import ArticleFactory, moderation_raw

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "correct-horse-42"))
    return client


@pytest.fixture
def stuck_and_fine(author, apply, settings):
    """One article waiting for search with no time allowed for it (stuck), one just submitted (not due)."""
    settings.PUBLISHING_FLOWS = {**settings.PUBLISHING_FLOWS, "INDEXED_SECONDS": -1}
    stuck = article_submit(article=ArticleFactory(author=author, title="Never indexed"))
    apply(moderation_raw("moderation.approved", stuck))
    fine = article_submit(article=ArticleFactory(author=author, title="Just submitted"))
    return stuck, fine


@pytest.mark.parametrize(("query", "shown", "hidden"), [
    ("?state=stuck", ["Never indexed"], ["Just submitted"]),
    ("?state=stuck&step=indexed", ["Never indexed"], ["Just submitted"]),
    ("?state=stuck&step=decision", [], ["Never indexed", "Just submitted"]),
    ("?state=waiting&step=decision", ["Just submitted"], ["Never indexed"]),
    ("?state=met&step=live", ["Never indexed"], ["Just submitted"]),
    ("?state=met&step=decision", ["Never indexed"], ["Just submitted"]),
    ("?step=decision", ["Never indexed", "Just submitted"], []),
])
def test_the_list_of_flow_steps_filters_by_state_and_step(admin_client, stuck_and_fine, query, shown, hidden) -> None:
    response = admin_client.get(f"/admin/publishing/flowstep/{query}")
    assert response.status_code == 200
    page = response.content.decode()
    assert all(title in page for title in shown) and not any(title in page for title in hidden)


def test_the_article_list_flags_and_filters_stuck_flows(admin_client, stuck_and_fine) -> None:
    response = admin_client.get("/admin/publishing/article/?flow=stuck")
    page = response.content.decode()
    assert response.status_code == 200 and "Never indexed" in page and "Just submitted" not in page
    assert 'class="column-flow_stuck' in page
    everything = admin_client.get("/admin/publishing/article/").content.decode()
    # One article flagged: Django draws a boolean column as an icon with alt="True" / "False".
    assert everything.count('alt="True"') == 1
