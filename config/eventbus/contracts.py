"""The JSON Schemas in config/contracts: which event types exist, who produces them, and validation."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

CONTRACTS_DIR = Path(__file__).resolve().parent.parent / "contracts"


class ContractViolation(ValueError):
    """An event does not match its contract; the message names the field and the rule."""


@cache
def _documents() -> dict[str, dict[str, Any]]:
    """Every schema by file stem: 'envelope', 'defs' and one per event type."""
    docs = {}
    for path in sorted(CONTRACTS_DIR.glob("*.schema.json")) + sorted(CONTRACTS_DIR.glob("defs.json")):
        docs[path.name.removesuffix(".json").removesuffix(".schema")] = json.loads(path.read_text())
    for path in sorted((CONTRACTS_DIR / "events").glob("*.json")):
        docs[path.name.removesuffix(".json")] = json.loads(path.read_text())
    return docs


@cache
def _registry() -> Registry:
    resources = [(doc["$id"], Resource.from_contents(doc)) for doc in _documents().values() if "$id" in doc]
    return Registry().with_resources(resources)


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(
        _documents()[name], registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def event_types() -> list[str]:
    return sorted(name for name, doc in _documents().items() if "x-producer" in doc)


def event_schema(event_type: str) -> dict[str, Any]:
    if event_type not in event_types():
        raise ContractViolation(f"unknown event type {event_type!r}")
    return _documents()[event_type]


def producer_of(event_type: str) -> str:
    return event_schema(event_type)["x-producer"]


def dataschema_of(event_type: str) -> str:
    return event_schema(event_type)["$id"]


def exchange_of(event_type: str) -> str:
    return f"{producer_of(event_type)}.events"


def envelope_schema() -> dict[str, Any]:
    return _documents()["envelope"]


def _check(name: str, instance: Any, what: str) -> None:
    error = best_match(_validator(name).iter_errors(instance))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        raise ContractViolation(f"{what} at {where}: {error.message}")


def envelope_validate(doc: dict[str, Any]) -> None:
    """Check the envelope and then its data against the schema of its type."""
    _check("envelope", doc, "envelope")
    event_type = doc["type"]
    event_schema(event_type)
    _check(event_type, doc["data"], f"{event_type} data")
