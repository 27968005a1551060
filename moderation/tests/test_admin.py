"""The admin: rules, thresholds and reason codes are editable and checked; cases and the audit log are read-only."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from moderation.models import AuditEntry, Policy, Rule
from moderation.tests.factories import CaseFactory, LiveArticleFactory

pytestmark = pytest.mark.django_db


def test_a_fresh_install_has_the_default_rules_and_thresholds() -> None:
    assert set(Rule.objects.values_list("code", flat=True)) >= {
        "spam_terms", "too_many_links", "blocked_domain", "too_short", "too_long", "shouting", "near_duplicate",
        "new_author", "submission_rate"}
    assert {"viagra", "cialis", "casino bonus"} <= set(Rule.objects.get(code="spam_terms").params["terms"])
    policy = Policy.objects.get()
    assert (policy.review_threshold, policy.reject_threshold) == (3, 10)


@pytest.mark.parametrize("model", ["case", "auditentry", "livearticle", "rule", "policy", "reasoncode"])
def test_every_admin_page_opens(client, model) -> None:
    CaseFactory(), LiveArticleFactory()
    AuditEntry.objects.create(article_id=CaseFactory().article_id, action="approved", actor_kind="auto", actor_name="x")
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "correct-horse-42"))
    assert client.get(f"/admin/moderation/{model}/").status_code == 200
    assert client.get(f"/admin/moderation/{model}/1/change/").status_code in (200, 302)


def test_the_audit_log_is_read_only(client) -> None:
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "correct-horse-42"))
    assert client.get("/admin/moderation/auditentry/add/").status_code == 403


@pytest.mark.parametrize(("changes", "field"), [
    ({"code": "Bad Code"}, "code"),
    ({"params": {"patterns": ["(unclosed"]}}, "params"),
    ({"params": ["not", "an", "object"]}, "params"),
])
def test_rule_validation(changes, field) -> None:
    rule = Rule(code="ok", kind="banned_terms", message="m", params={})
    for name, value in changes.items():
        setattr(rule, name, value)
    with pytest.raises(ValidationError) as exc:
        rule.clean()
    assert field in exc.value.message_dict


def test_thresholds_must_be_in_order() -> None:
    with pytest.raises(ValidationError):
        Policy(review_threshold=11, reject_threshold=10).clean()
