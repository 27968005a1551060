"""The admin: rules, thresholds and reason codes are editable and checked; cases and the audit log are read-only."""
from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from moderation.admin import RuleForm
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


def _rule_post(patterns: list[str]) -> dict:
    return {"code": "earn_fast", "kind": "banned_terms", "enabled": "on", "action": "reject", "weight": "10",
            "message": "No {term}", "params": json.dumps({"terms": ["viagra"], "patterns": patterns})}


@pytest.mark.parametrize(("pattern", "reason"), [
    (r"earn (?<=\$)\d+", "(?<="),  # lookbehind
    (r"free(?! shipping)", "(?!"),  # lookahead
    (r"(\w+) \1", r"\1"),  # backreference
])
def test_the_admin_refuses_a_pattern_re2_cannot_run_and_says_why(client, pattern: str, reason: str) -> None:
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "correct-horse-42"))
    response = client.post("/admin/moderation/rule/add/", _rule_post(["viagra+", pattern]))
    assert response.status_code == 200  # the form again, not a redirect
    [error] = response.context["adminform"].form.errors["params"]
    assert reason in error and "RE2" in error and pattern in error
    assert not Rule.objects.filter(code="earn_fast").exists()


def test_the_admin_saves_a_pattern_re2_can_run(client) -> None:
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "correct-horse-42"))
    response = client.post("/admin/moderation/rule/add/", _rule_post([r"\bearn \$\d+ (?:a|per) day\b"]))
    assert response.status_code == 302
    assert Rule.objects.get(code="earn_fast").params["patterns"] == [r"\bearn \$\d+ (?:a|per) day\b"]


@pytest.mark.parametrize(("params", "valid"), [
    ({"terms": ["viagra"], "patterns": ["ok"]}, True),
    ({"patterns": ["(?<=a)b"]}, False),
    ({"patterns": "a string, not a list"}, False),
    ({"patterns": [""]}, False),
    ({"terms": "viagra"}, False),
    ({"terms": ["viagra", 7]}, False),
    ({"max_links": 5}, True),
])
def test_the_rule_form_checks_terms_and_patterns(params: dict, valid: bool) -> None:
    form = RuleForm(data=_rule_post([]) | {"params": json.dumps(params)})
    assert form.is_valid() is valid
    assert ("params" in form.errors) is not valid
