"""Contract tests for config/contracts: pure jsonschema + referencing, no Django.

Run: python -m pytest -p no:django config/contracts/tests
"""

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

CONTRACTS = Path(__file__).resolve().parents[1]
EVENTS_DIR = CONTRACTS / "events"
EXAMPLES_DIR = CONTRACTS / "examples"

SERVICES = {"publishing", "moderation", "notifications", "search_indexer"}

# The v1 catalog (docs/architecture.md, "Event catalog"): type -> (producer, required data fields).
CATALOG = {
    "author.registered": ("publishing", ["author_id", "username", "display_name", "email", "preferences"]),
    "author.updated": ("publishing", ["author_id", "username", "display_name", "email", "preferences"]),
    "article.submitted": ("publishing", ["article_id", "revision", "title", "summary", "body", "tags", "author",
                                         "submitted_at"]),
    "article.published": ("publishing", ["article_id", "revision", "title", "summary", "body", "tags", "author",
                                         "slug", "url", "published_at"]),
    "article.unpublished": ("publishing", ["article_id", "revision", "reason", "unpublished_at"]),
    "article.snapshot": ("publishing", ["article_id", "revision", "title", "summary", "body", "tags", "author",
                                        "slug", "url", "published_at"]),
    "moderation.approved": ("moderation", ["article_id", "revision", "score", "reasons", "decided_by",
                                           "decided_at"]),
    "moderation.rejected": ("moderation", ["article_id", "revision", "score", "reasons", "decided_by",
                                           "decided_at"]),
    "moderation.review_requested": ("moderation", ["article_id", "revision", "score", "reasons", "queued_at"]),
    "moderation.takedown": ("moderation", ["article_id", "revision", "reason", "decided_by", "decided_at"]),
    "search.indexed": ("search_indexer", ["article_id", "revision", "indexed_at"]),
    "search.removed": ("search_indexer", ["article_id", "removed_at"]),
    "search.reindex_requested": ("search_indexer", ["requested_at", "rebuild_id"]),
    "notification.sent": ("notifications", ["notification_id", "article_id", "channel", "recipient", "event_id",
                                            "sent_at"]),
    "notification.failed": ("notifications", ["notification_id", "article_id", "channel", "recipient",
                                              "event_id", "failed_at", "error"]),
}
EVENT_TYPES = sorted(CATALOG)

# One UUID-typed field per event type, for the bad-uuid negative case.
UUID_FIELD = {
    t: ("author_id" if t.startswith("author.")
        else "rebuild_id" if t == "search.reindex_requested"
        else "notification_id" if t.startswith("notification.")
        else "article_id")
    for t in EVENT_TYPES
}
TYPES_WITH_REVISION = [t for t in EVENT_TYPES if "revision" in CATALOG[t][1]]


def _load(path):
    with path.open(encoding="utf-8") as f:
        return json.load(f)


DEFS = _load(CONTRACTS / "defs.json")
ENVELOPE = _load(CONTRACTS / "envelope.schema.json")
EVENT_SCHEMAS = {p.name[: -len(".json")]: _load(p) for p in sorted(EVENTS_DIR.glob("*.json"))}
EXAMPLES = {p.name[: -len(".json")]: _load(p) for p in sorted(EXAMPLES_DIR.glob("*.json"))}
ALL_SCHEMAS = [DEFS, ENVELOPE, *EVENT_SCHEMAS.values()]

REGISTRY = Registry().with_resources(
    (schema["$id"], Resource.from_contents(schema)) for schema in ALL_SCHEMAS
)


def validator(schema):
    return Draft202012Validator(
        schema, registry=REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def event_validator(event_type):
    return validator(EVENT_SCHEMAS[event_type])


def example(event_type):
    return copy.deepcopy(EXAMPLES[event_type])


def assert_invalid(event_type, data):
    errors = list(event_validator(event_type).iter_errors(data))
    assert errors, f"{event_type}: expected a validation error for {data!r}"


# --- catalog and metadata ------------------------------------------------------------------


def test_catalog_covers_exactly_the_v1_types():
    assert sorted(EVENT_SCHEMAS) == EVENT_TYPES
    assert sorted(EXAMPLES) == EVENT_TYPES


def test_schema_ids_are_unique():
    ids = [s["$id"] for s in ALL_SCHEMAS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("schema", ALL_SCHEMAS, ids=lambda s: s["$id"])
def test_schema_is_valid_draft_2020_12(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_event_schema_metadata(event_type):
    schema = EVENT_SCHEMAS[event_type]
    producer, required = CATALOG[event_type]
    assert schema["$id"] == f"urn:contract:{event_type}:v1"
    assert schema["title"] == event_type
    assert isinstance(schema["description"], str) and schema["description"].strip()
    assert schema["x-producer"] in SERVICES
    assert schema["x-producer"] == producer
    assert schema["type"] == "object"
    assert schema["required"] == required
    assert set(required) <= set(schema["properties"])
    assert schema.get("additionalProperties", True) is True


def _refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


@pytest.mark.parametrize("schema", ALL_SCHEMAS, ids=lambda s: s["$id"])
def test_every_ref_resolves(schema):
    resolver = REGISTRY.resolver(base_uri=schema["$id"])
    for ref in _refs(schema):
        resolver.lookup(ref)  # raises if unresolvable


def test_no_schema_forbids_extra_fields():
    for schema in ALL_SCHEMAS:
        for node in _walk(schema):
            assert node.get("additionalProperties", True) is not False, schema["$id"]
            assert node.get("unevaluatedProperties", True) is not False, schema["$id"]


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


# --- positive cases ------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_example_is_valid(event_type):
    event_validator(event_type).validate(example(event_type))


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_unknown_fields_are_tolerated(event_type):
    data = example(event_type)
    data["x_future_field"] = {"anything": [1, 2, 3]}
    event_validator(event_type).validate(data)


def test_uppercase_uuid_and_offset_datetime_accepted():
    data = example("search.indexed")
    data["article_id"] = data["article_id"].upper()
    data["indexed_at"] = "2025-03-14T10:30:13+01:00"
    event_validator("search.indexed").validate(data)


def test_notification_sent_error_may_be_absent_or_null():
    data = example("notification.sent")
    data["error"] = None
    event_validator("notification.sent").validate(data)
    del data["error"]
    event_validator("notification.sent").validate(data)


# --- negative cases ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "field"),
    [(t, f) for t in EVENT_TYPES for f in CATALOG[t][1]],
    ids=lambda v: v,
)
def test_missing_required_field_fails(event_type, field):
    data = example(event_type)
    assert field in data, f"example for {event_type} lacks {field}"
    del data[field]
    assert_invalid(event_type, data)


@pytest.mark.parametrize("event_type", TYPES_WITH_REVISION)
@pytest.mark.parametrize("bad", ["2", 1.5, True, None, 0, -1], ids=repr)
def test_bad_revision_fails(event_type, bad):
    data = example(event_type)
    data["revision"] = bad
    assert_invalid(event_type, data)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
@pytest.mark.parametrize(
    "bad",
    ["not-a-uuid", "3f2c9a7e5b1d4c8e9f6a2d7b8e4c1a90", "3f2c9a7e-5b1d-4c8e-9f6a-2d7b8e4c1a9", "", 42],
    ids=repr,
)
def test_bad_uuid_fails(event_type, bad):
    data = example(event_type)
    data[UUID_FIELD[event_type]] = bad
    assert_invalid(event_type, data)


def test_rejected_with_empty_reasons_fails():
    data = example("moderation.rejected")
    data["reasons"] = []
    assert_invalid("moderation.rejected", data)


@pytest.mark.parametrize("event_type", ["moderation.approved", "moderation.review_requested"])
def test_empty_reasons_allowed_when_not_rejected(event_type):
    data = example(event_type)
    data["reasons"] = []
    event_validator(event_type).validate(data)


@pytest.mark.parametrize(
    ("event_type", "mutate"),
    [
        ("article.submitted", lambda d: d["author"].pop("display_name")),
        ("article.submitted", lambda d: d.update(title="")),
        ("article.submitted", lambda d: d.update(title="x" * 301)),
        ("article.submitted", lambda d: d.update(tags=["ok", "x" * 51])),
        ("article.submitted", lambda d: d.update(tags=[""])),
        ("article.submitted", lambda d: d.update(tags=[f"t{i}" for i in range(21)])),
        ("article.submitted", lambda d: d.update(tags="gardening")),
        ("article.submitted", lambda d: d.update(submitted_at="yesterday")),
        ("article.submitted", lambda d: d.update(submitted_at="2025-03-14 09:12:03")),
        ("article.published", lambda d: d.update(published_at="2025-03-14")),
        ("article.unpublished", lambda d: d.update(reason="expired")),
        ("moderation.approved", lambda d: d.update(score="0.1")),
        ("moderation.approved", lambda d: d["decided_by"].update(kind="robot")),
        ("moderation.approved", lambda d: d["decided_by"].pop("name")),
        ("moderation.rejected", lambda d: d["reasons"][0].update(code="Banned Terms")),
        ("moderation.rejected", lambda d: d["reasons"][0].pop("message")),
        ("moderation.takedown", lambda d: d.update(reason="spam")),
        ("author.registered", lambda d: d.update(email="not-an-email")),
        ("author.updated", lambda d: d.update(preferences=[])),
        ("notification.sent", lambda d: d.update(channel="sms")),
        ("notification.failed", lambda d: d.update(error=None)),
        ("notification.failed", lambda d: d.update(article_id="nope")),
    ],
)
def test_invalid_field_values_fail(event_type, mutate):
    data = example(event_type)
    mutate(data)
    assert_invalid(event_type, data)


# --- envelope ------------------------------------------------------------------------------

ENVELOPE_EXAMPLE = {
    "specversion": "1.0",
    "id": "d4b1c2e3-f4a5-4b6c-9d7e-8f9a0b1c2d3e",
    "source": "publishing",
    "type": "article.published",
    "subject": "article/3f2c9a7e-5b1d-4c8e-9f6a-2d7b8e4c1a90",
    "time": "2025-03-14T09:30:12.481Z",
    "datacontenttype": "application/json",
    "dataschema": "urn:contract:article.published:v1",
    "correlationid": "0b9e8d7c-6f5a-4e3d-8c2b-1a0f9e8d7c6b",
    "causationid": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
    "data": {},
}


def envelope(**changes):
    env = copy.deepcopy(ENVELOPE_EXAMPLE)
    env["data"] = example("article.published")
    for key, value in changes.items():
        if value is _DROP:
            del env[key]
        else:
            env[key] = value
    return env


_DROP = object()


def test_envelope_example_is_valid_and_its_data_too():
    env = envelope()
    validator(ENVELOPE).validate(env)
    event_validator(env["type"]).validate(env["data"])
    assert env["dataschema"] == EVENT_SCHEMAS[env["type"]]["$id"]


TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_envelope_allows_null_causation_and_extensions():
    validator(ENVELOPE).validate(envelope(causationid=None, partitionkey="article/1"))


def test_envelope_carries_the_w3c_trace_context_through_json():
    env = envelope(traceparent=TRACEPARENT, tracestate="rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
    round_tripped = json.loads(json.dumps(env))
    validator(ENVELOPE).validate(round_tripped)
    assert (round_tripped["traceparent"], round_tripped["tracestate"]) == (env["traceparent"], env["tracestate"])


@pytest.mark.parametrize("changes", [
    {"traceparent": "00-abc-def-01"},
    {"traceparent": TRACEPARENT.upper()},
    {"traceparent": TRACEPARENT + "-"},
    {"traceparent": None},
    {"tracestate": 1},
    {"tracestate": "k=" + "v" * 600},
], ids=lambda c: next(iter(c)) + "=" + repr(next(iter(c.values())))[:20])
def test_envelope_bad_trace_context_fails(changes):
    assert list(validator(ENVELOPE).iter_errors(envelope(**changes)))


@pytest.mark.parametrize("field", ENVELOPE["required"])
def test_envelope_missing_required_field_fails(field):
    assert list(validator(ENVELOPE).iter_errors(envelope(**{field: _DROP})))


@pytest.mark.parametrize(
    "changes",
    [
        {"specversion": "0.3"},
        {"id": "not-a-uuid"},
        {"source": "billing"},
        {"type": "ArticlePublished"},
        {"type": "article.published.v2"},
        {"subject": ""},
        {"time": "14/03/2025 09:30"},
        {"datacontenttype": "text/plain"},
        {"dataschema": 1},
        {"correlationid": None},
        {"causationid": "nope"},
        {"data": []},
    ],
    ids=lambda c: next(iter(c)) + "=" + repr(next(iter(c.values()))),
)
def test_envelope_bad_values_fail(changes):
    assert list(validator(ENVELOPE).iter_errors(envelope(**changes)))


def test_every_event_type_matches_envelope_type_pattern():
    v = validator(ENVELOPE)
    for event_type in EVENT_TYPES:
        v.validate(envelope(type=event_type, source=CATALOG[event_type][0],
                            dataschema=f"urn:contract:{event_type}:v1",
                            data=example(event_type)))
