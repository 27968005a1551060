"""The docs in the repository stay true to the code: every event type, every broker name, the links.

No Django: `python -m pytest -p no:django tests/test_docs.py`.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from config.eventbus.broker import Topology

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "architecture.md"
OPERATIONS = ROOT / "docs" / "operations.md"
README = ROOT / "README.md"
SKIP_DIRS = {".git", ".venv", "var", "__pycache__", "staticfiles", "node_modules"}
# Spelled in two parts so that this file does not match itself.
OUTSIDE = ("../" + "shared", "DESIGN" + ".md")


def event_types() -> list[str]:
    return sorted(json.loads(path.read_text())["title"] for path in (ROOT / "config/contracts/events").glob("*.json"))


def links(path: Path) -> list[str]:
    """The targets of the Markdown links of a document (inline links; no code spans)."""
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return re.findall(r"\]\(([^)\s]+)\)", text)


def test_the_contracts_have_event_types():
    assert len(event_types()) >= 15


@pytest.mark.parametrize("event_type", event_types())
def test_every_event_type_is_in_the_architecture_doc(event_type):
    text = ARCHITECTURE.read_text()
    assert f"`{event_type}`" in text, f"docs/architecture.md does not mention {event_type}"
    assert f"### {event_type}\n" in text, f"docs/architecture.md has no section for {event_type}"


def test_every_payload_field_is_in_the_architecture_doc():
    text = ARCHITECTURE.read_text()
    for path in sorted((ROOT / "config/contracts/events").glob("*.json")):
        contract = json.loads(path.read_text())
        section = text.split(f"### {contract['title']}\n", 1)[1].split("\n### ", 1)[0]
        for field in contract["properties"]:
            assert f"| `{field}` |" in section, f"{contract['title']}.{field} is not in docs/architecture.md"


def test_the_event_catalog_in_the_architecture_doc_is_current():
    """The catalog section is generated; edit the contracts, then `python bin/docs_catalog.py --write`."""
    result = subprocess.run([sys.executable, str(ROOT / "bin" / "docs_catalog.py"), "--check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def broker_names() -> list[str]:
    topology = Topology(service="<s>", consumes=(), retry_delays=(1.0,))
    return [topology.exchange, topology.retry_exchange, topology.unroutable_exchange, topology.queue,
            topology.retry_queue("N"), topology.dead_queue, topology.unroutable_queue, topology.holding_queue]


@pytest.mark.parametrize("name", broker_names())
def test_every_exchange_and_queue_name_is_in_the_architecture_doc(name):
    topology_section = ARCHITECTURE.read_text().split("## Topology", 1)[1].split("\n## ", 1)[0]
    assert f"| `{name}` |" in topology_section, f"the topology table of docs/architecture.md lacks {name}"


@pytest.mark.parametrize("doc", ["docs/architecture.md", "docs/operations.md"])
def test_the_readme_links_the_docs(doc):
    assert doc in links(README), f"README.md does not link {doc}"


@pytest.mark.parametrize("path", [README, ARCHITECTURE, OPERATIONS], ids=lambda p: p.name)
def test_relative_links_stay_in_the_repository_and_exist(path):
    for target in links(path):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        resolved = (path.parent / target.split("#", 1)[0]).resolve()
        assert resolved.is_relative_to(ROOT), f"{path.name} links {target}, outside the repository"
        assert resolved.exists(), f"{path.name} links {target}, which does not exist"


@pytest.mark.parametrize("path", [README, ARCHITECTURE, OPERATIONS], ids=lambda p: p.name)
def test_web_links_are_only_to_the_local_services(path):
    for target in links(path):
        if re.match(r"^https?:", target):
            assert re.match(r"^https?://(127\.0\.0\.1|localhost)[:/]", target), f"{path.name} links {target}"


def repository_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if path.is_file() and not parts & SKIP_DIRS and path.suffix != ".pyc":
            files.append(path)
    return files


def test_nothing_in_the_repository_points_outside_it():
    offenders = []
    for path in repository_files():
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        offenders += [f"{path.relative_to(ROOT)}: {needle}" for needle in OUTSIDE if needle in text]
    assert not offenders, f"references to files outside the repository: {offenders}"


def documented_metrics() -> list[str]:
    section = OPERATIONS.read_text().split("## Metrics", 1)[1].split("\n## ", 1)[0]
    return sorted(set(re.findall(r"`((?:eventbus|publishing|moderation|search|notifications|flows|celery)_[a-z_]+)", section)))


def test_the_operations_doc_covers_the_metrics_the_issue_names():
    required = {"eventbus_outbox_pending", "eventbus_outbox_oldest_age_seconds", "eventbus_events_published_total",
                "eventbus_events_unroutable_total", "eventbus_publish_confirm_seconds", "eventbus_events_handled_total",
                "eventbus_handler_duration_seconds", "eventbus_event_lag_seconds", "eventbus_queue_messages",
                "publishing_articles", "moderation_queue_size", "moderation_queue_oldest_seconds", "search_documents",
                "search_index_lag_seconds", "notifications_deliveries", "flows_stuck"}
    assert required <= set(documented_metrics()), sorted(required - set(documented_metrics()))


@pytest.mark.parametrize("metric", documented_metrics())
def test_every_metric_in_the_operations_doc_is_defined_in_the_code(metric):
    sources = [path for package in ("config", "publishing", "moderation", "notifications", "search_indexer")
               for path in (ROOT / package).rglob("*.py") if "tests" not in path.parts]
    assert any(f'"{metric}"' in path.read_text() for path in sources), f"no service defines {metric}"


def test_every_metric_of_the_readme_says_what_to_do_in_the_operations_doc():
    table = README.read_text().split("## Metrics", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.M))
    assert listed, "the README has no metrics table"
    assert listed <= set(documented_metrics()), f"docs/operations.md lacks {sorted(listed - set(documented_metrics()))}"


def alert_names() -> list[str]:
    groups = yaml.safe_load((ROOT / "docker" / "prometheus" / "alerts.yml").read_text())["groups"]
    return sorted(rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule)


@pytest.mark.parametrize("alert", alert_names())
def test_every_example_alert_says_what_to_do_in_the_operations_doc(alert):
    section = OPERATIONS.read_text().split("## Alerts", 1)[1].split("\n## ", 1)[0]
    assert f"| `{alert}` |" in section, f"docs/operations.md does not say what to do about {alert}"
