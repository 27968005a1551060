"""The JSON Schemas in config/contracts: which event types exist, who produces them, and validation."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
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


def _inline(schema: Any, base: str) -> Any:
    """Replace every $ref by what it points to: the contracts have no recursive references, and an
    inlined schema validates about twice as fast as one resolved through the registry each time."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            ref = schema["$ref"]
            target = ref if not ref.startswith("#") else f"{base}{ref}"
            resolved = _registry().resolver(base_uri=base).lookup(target)
            return _inline(resolved.contents, target.partition("#")[0])
        return {key: _inline(value, base) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inline(item, base) for item in schema]
    return schema


@cache
def _validator(name: str) -> jsonschema_rs.Draft202012Validator:
    """Compiled once: every message is checked twice (publish and consume), so this is the hot path."""
    document = _documents()[name]
    return jsonschema_rs.Draft202012Validator(_inline(document, document["$id"]), validate_formats=True)


@cache
def _definition_validator(name: str) -> jsonschema_rs.Draft202012Validator:
    base = _documents()["defs"]["$id"]
    return jsonschema_rs.Draft202012Validator(_inline({"$ref": f"{base}#/$defs/{name}"}, base), validate_formats=True)


def definition_valid(name: str, instance: Any) -> bool:
    """Whether `instance` is a valid `urn:contract:defs#/$defs/<name>` (an author, a reason, ...)."""
    return _definition_validator(name).is_valid(instance)


@cache
def event_types() -> tuple[str, ...]:
    return tuple(sorted(name for name, doc in _documents().items() if "x-producer" in doc))


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
    validator = _validator(name)
    if validator.is_valid(instance):
        return
    error = next(iter(validator.iter_errors(instance)))
    where = "/".join(str(part) for part in error.instance_path) or "(root)"
    raise ContractViolation(f"{what} at {where}: {error.message}")


def envelope_validate(doc: dict[str, Any]) -> None:
    """Check the envelope and then its data against the schema of its type."""
    _check("envelope", doc, "envelope")
    event_type = doc["type"]
    event_schema(event_type)
    _check(event_type, doc["data"], f"{event_type} data")
