"""The rulebook (rules, thresholds, reason codes): only moderation admins change it, and every change is audited."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from moderation.models import AuditEntry, Policy, ReasonCode, Rule
from moderation.selectors import MODERATION_ADMINS_GROUP, MODERATORS_GROUP, is_moderator
from moderation.services import rulebook_delete, rulebook_save
from moderation.tests.factories import ModeratorFactory

pytestmark = pytest.mark.django_db


def _rule_form(rule: Rule, **changes: str) -> dict:
    return {"code": rule.code, "kind": rule.kind, "action": rule.action, "weight": str(rule.weight),
            "message": rule.message, "params": '{"max_links": 5, "internal_domains": []}',
            **({"enabled": "on"} if rule.enabled else {}), **changes}


@pytest.fixture
def plain_moderator():
    """A moderator as `create_moderator` makes one: staff, so the admin opens, but only in the moderators group."""
    return ModeratorFactory(is_staff=True)


def test_the_migration_splits_the_groups_permissions() -> None:
    perms = {name: set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
             for name in (MODERATORS_GROUP, MODERATION_ADMINS_GROUP)}
    assert perms[MODERATION_ADMINS_GROUP] == {
        f"{verb}_{model}" for model in ("rule", "policy", "reasoncode") for verb in ("add", "change", "delete", "view")
    } | {"view_auditentry"}
    assert perms[MODERATORS_GROUP] == {f"view_{model}" for model in (
        "rule", "policy", "reasoncode", "case", "auditentry", "livearticle")}


def test_an_admin_change_of_a_rule_records_who_before_and_after(client, moderation_admin) -> None:
    rule = Rule.objects.get(code="too_many_links")
    client.force_login(moderation_admin)
    response = client.post(f"/admin/moderation/rule/{rule.pk}/change/", _rule_form(rule, weight="1.5"))
    assert response.status_code == 302, response.content
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.target_model, entry.target_id) == ("changed", "rule", str(rule.pk))
    assert (entry.actor, entry.actor_name, entry.article_id) == (moderation_admin, moderation_admin.username, None)
    assert entry.before["weight"] == 4 and entry.after["weight"] == 1.5
    assert entry.before["code"] == entry.after["code"] == "too_many_links"
    assert {key for key in entry.before if entry.before[key] != entry.after[key]} == {"weight"}


def test_changing_the_thresholds_and_adding_a_reason_code_are_audited(client, moderation_admin) -> None:
    client.force_login(moderation_admin)
    client.post("/admin/moderation/policy/1/change/", {"review_threshold": "2", "reject_threshold": "10"})
    client.post("/admin/moderation/reasoncode/add/", {"code": "scam", "message": "This is a scam.", "active": "on"})
    policy, created = AuditEntry.objects.order_by("at", "pk")
    assert (policy.action, policy.target_model, policy.before["review_threshold"], policy.after["review_threshold"]) == (
        "changed", "policy", 3, 2)
    assert (created.action, created.target_model, created.before) == ("created", "reasoncode", None)
    assert created.after == {"id": ReasonCode.objects.get(code="scam").pk, "code": "scam",
                             "message": "This is a scam.", "active": True}


def test_an_admin_delete_records_what_was_deleted(client, moderation_admin) -> None:
    rule = Rule.objects.get(code="shouting")
    client.force_login(moderation_admin)
    assert client.post(f"/admin/moderation/rule/{rule.pk}/delete/", {"post": "yes"}).status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.target_model, entry.target_id, entry.after) == ("deleted", "rule", str(rule.pk), None)
    assert entry.before["code"] == "shouting" and entry.before["params"]["max_ratio"] == 0.7
    assert entry.actor == moderation_admin


def test_deleting_a_selection_in_the_admin_records_each_one(client, moderation_admin) -> None:
    codes = ["spam", "off_topic"]
    client.force_login(moderation_admin)
    response = client.post("/admin/moderation/reasoncode/", {
        "action": "delete_selected", "post": "yes",
        "_selected_action": list(ReasonCode.objects.filter(code__in=codes).values_list("pk", flat=True))})
    assert response.status_code == 302
    assert not ReasonCode.objects.filter(code__in=codes).exists()
    assert sorted(e.before["code"] for e in AuditEntry.objects.filter(action="deleted")) == sorted(codes)


def test_a_change_in_the_rule_list_is_audited_too(client, moderation_admin) -> None:
    rules = list(Rule.objects.order_by("code"))
    form = {"form-TOTAL_FORMS": str(len(rules)), "form-INITIAL_FORMS": str(len(rules)), "_save": "Save"}
    for index, rule in enumerate(rules):
        form |= {f"form-{index}-id": str(rule.pk), f"form-{index}-action": rule.action,
                 f"form-{index}-weight": str(rule.weight),
                 **({f"form-{index}-enabled": "on"} if rule.code != "shouting" else {})}
    client.force_login(moderation_admin)
    assert client.post("/admin/moderation/rule/", form).status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.before["code"], entry.before["enabled"], entry.after["enabled"]) == ("shouting", True, False)


def test_a_save_that_changes_nothing_is_not_logged(moderation_admin) -> None:
    rulebook_save(entry=Rule.objects.get(code="shouting"), user=moderation_admin)
    assert not AuditEntry.objects.exists()


def test_the_service_audits_a_change_made_outside_the_admin(moderation_admin) -> None:
    policy = Policy.objects.get()
    policy.reject_threshold = 12
    rulebook_save(entry=policy, user=moderation_admin)
    rulebook_delete(entries=[ReasonCode.objects.get(code="legal")], user=moderation_admin)
    assert [(e.action, e.target_model) for e in AuditEntry.objects.order_by("at", "pk")] == [
        ("changed", "policy"), ("deleted", "reasoncode")]


@pytest.mark.parametrize(("method", "url"), [
    ("post", "/admin/moderation/rule/{rule}/change/"),
    ("get", "/admin/moderation/rule/add/"),
    ("post", "/admin/moderation/rule/{rule}/delete/"),
    ("post", "/admin/moderation/policy/1/change/"),
    ("get", "/admin/moderation/reasoncode/add/"),
])
def test_a_plain_moderator_may_not_change_the_rulebook(client, plain_moderator, method: str, url: str) -> None:
    rule = Rule.objects.get(code="too_many_links")
    client.force_login(plain_moderator)
    body = _rule_form(rule, weight="0") if "rule" in url else {"post": "yes", "review_threshold": "99"}
    response = getattr(client, method)(url.format(rule=rule.pk), body)
    assert response.status_code == 403
    rule.refresh_from_db()
    assert rule.weight == 4 and Policy.objects.get().review_threshold == 3
    assert not AuditEntry.objects.exists()


def test_a_plain_moderator_may_read_the_rules_but_the_page_has_no_save(client, plain_moderator) -> None:
    rule = Rule.objects.get(code="too_many_links")
    client.force_login(plain_moderator)
    response = client.get(f"/admin/moderation/rule/{rule.pk}/change/")
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()


def test_the_policy_cannot_be_added_by_a_plain_moderator_even_when_missing(client, plain_moderator) -> None:
    Policy.objects.all().delete()
    client.force_login(plain_moderator)
    assert client.post("/admin/moderation/policy/add/", {"review_threshold": "0", "reject_threshold": "99"}
                       ).status_code == 403
    assert not Policy.objects.exists()


def test_rule_audit_entries_are_read_only(client, moderation_admin) -> None:
    rulebook_save(entry=ReasonCode(code="scam", message="A scam."), user=moderation_admin)
    entry = AuditEntry.objects.get()
    client.force_login(moderation_admin)
    assert client.get(f"/admin/moderation/auditentry/{entry.pk}/change/").status_code == 200
    assert client.post(f"/admin/moderation/auditentry/{entry.pk}/change/", {"note": "x"}).status_code == 403
    assert client.post(f"/admin/moderation/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get().note == ""


def test_create_moderator_admin_makes_a_moderation_admin(monkeypatch) -> None:
    monkeypatch.setenv("MODERATOR_PASSWORD", "correct-horse-42")
    call_command("create_moderator", "ann", "--email", "ann@example.com", "--admin")
    call_command("create_moderator", "mia", "--email", "mia@example.com")
    ann, mia = User.objects.get(username="ann"), User.objects.get(username="mia")
    assert is_moderator(ann) and ann.has_perm("moderation.change_rule") and ann.has_perm("moderation.delete_reasoncode")
    assert is_moderator(mia) and not mia.has_perm("moderation.change_rule") and mia.has_perm("moderation.view_rule")
