"""OpenAPI (JSON Schema) descriptions of the bodies the sidecar takes and gives, for /openapi.json and /docs.

They describe exactly what `wire.py` accepts and produces; the contract tests fuzz the server with them.
"""

from __future__ import annotations

from typing import Any, Final

from .wire import BASE64_PATTERN, MAX_LONG, MAX_PARTITION, MAX_TOPIC_LENGTH, NO_TIMESTAMP

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Schema, description: str) -> Schema:
    types = schema.pop("type")
    return {"type": [types, "null"], **schema, "description": description}


def _not_both(name: str) -> Schema:
    """JSON Schema for "not both `name` and `name_base64` non-null"."""
    return {
        "required": [name, f"{name}_base64"],
        "properties": {name: {"type": "string"}, f"{name}_base64": {"type": "string"}},
    }


_BASE64: Final[Schema] = {"type": "string", "pattern": BASE64_PATTERN, "contentEncoding": "base64"}

HEADER_IN: Final[Schema] = {
    "type": "object",
    "description": "A Kafka header. Give its value as text (`value`) or as base64 bytes (`value_base64`), "
    "not both; neither is a null header value.",
    "additionalProperties": False,
    "required": ["key"],
    "properties": {
        "key": {"type": "string", "description": "The header's name."},
        "value": _nullable({"type": "string"}, "The value as text (sent as UTF-8)."),
        "value_base64": _nullable(dict(_BASE64), "The value as bytes, standard base64 with padding."),
    },
    "not": _not_both("value"),
}

RECORD_IN: Final[Schema] = {
    "type": "object",
    "description": "One record to classify. Every field is optional: an empty object is a null (tombstone) "
    "value on the input binding's topic. Give the value as text or base64, not both (same for the key).",
    "additionalProperties": False,
    "properties": {
        "value": _nullable({"type": "string"}, "The value as text (sent as UTF-8), e.g. a timestamp."),
        "value_base64": _nullable(dict(_BASE64), "The value as bytes, standard base64 with padding."),
        "key": _nullable({"type": "string"}, "The key as text (UTF-8)."),
        "key_base64": _nullable(dict(_BASE64), "The key as bytes, standard base64 with padding."),
        "headers": _nullable({"type": "array", "items": _ref("HeaderIn")}, "Headers, in order."),
        "topic": _nullable(
            {"type": "string", "minLength": 1, "maxLength": MAX_TOPIC_LENGTH},
            "The topic the record was read from; default: the input binding's destination.",
        ),
        "partition": _nullable(
            {"type": "integer", "minimum": 0, "maximum": MAX_PARTITION}, "The partition it was read from."
        ),
        "offset": _nullable({"type": "integer", "minimum": 0, "maximum": MAX_LONG}, "Its offset."),
        "timestamp": _nullable(
            {"type": "integer", "minimum": NO_TIMESTAMP, "maximum": MAX_LONG},
            "Its timestamp, epoch milliseconds (-1: Kafka's NO_TIMESTAMP).",
        ),
    },
    "not": {"anyOf": [_not_both("value"), _not_both("key")]},
    "examples": [{"value": "05/17/19 17:56:36"}, {"value": "05/17/19 17:56:37", "key": "sensor-1"}],
}

BATCH_IN: Final[Schema] = {
    "type": "object",
    "description": "Many records, classified in order (the pump's remote mode sends a poll's worth).",
    "additionalProperties": False,
    "required": ["records"],
    "properties": {"records": {"type": "array", "items": _ref("RecordIn")}},
}

HEADER_OUT: Final[Schema] = {
    "type": "object",
    "description": "A header: `value` when its bytes are UTF-8 text, else `value_base64`; both null for a null.",
    "required": ["key", "value", "value_base64"],
    "properties": {
        "key": {"type": "string"},
        "value": {"type": ["string", "null"]},
        "value_base64": {"type": ["string", "null"]},
    },
}

ROUTE_ERROR: Final[Schema] = {
    "type": "object",
    "description": "Why the chain failed on the record, as Kafka Connect records it (`__connect.errors.*`).",
    "required": ["stage", "alias", "class_name", "exception_class", "message", "retriable"],
    "properties": {
        "stage": {"type": "string", "description": "Connect's stage, e.g. TRANSFORMATION or PREDICATE."},
        "alias": {"type": "string", "description": "The failing transform's or predicate's alias."},
        "class_name": {
            "type": "string",
            "description": "Its class, fully qualified (module.Class), as Connect names it.",
        },
        "exception_class": {"type": "string"},
        "message": {"type": "string"},
        "retriable": {"type": "boolean", "description": "Whether trying again may succeed."},
    },
}

ROUTE_RESULT: Final[Schema] = {
    "type": "object",
    "description": "What the chain does with a record. `routed`: `topic` is the destination and the other "
    "fields the record as it would be produced. `dropped`: a transform filtered it out (all null). "
    "`failed`: `error` says where and why; `dead_letter_topic` is set when `errors.tolerance=all` and a "
    "dead-letter topic is configured. Bytes that are UTF-8 come as text (`value`, `key`), others as "
    "base64 (`value_base64`, `key_base64`); both null is a null.",
    "required": [
        "status",
        "topic",
        "partition",
        "key",
        "key_base64",
        "value",
        "value_base64",
        "headers",
        "timestamp",
        "error",
        "dead_letter_topic",
    ],
    "properties": {
        "status": {"type": "string", "enum": ["routed", "dropped", "failed"]},
        "topic": {"type": ["string", "null"]},
        "partition": {"type": ["integer", "null"]},
        "key": {"type": ["string", "null"]},
        "key_base64": {"type": ["string", "null"]},
        "value": {"type": ["string", "null"]},
        "value_base64": {"type": ["string", "null"]},
        "headers": {"type": "array", "items": _ref("HeaderOut")},
        "timestamp": {"type": ["integer", "null"]},
        "error": {"anyOf": [_ref("RouteError"), {"type": "null"}]},
        "dead_letter_topic": {"type": ["string", "null"]},
    },
}

BATCH_RESULT: Final[Schema] = {
    "type": "object",
    "description": "One result per record, in the order of the request, and the bindings the chain routes for.",
    "required": ["results", "bindings"],
    "properties": {
        "results": {"type": "array", "items": _ref("RouteResult")},
        "bindings": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Binding name -> destination, as in /actuator/info: a pump checks they are its own.",
        },
    },
}

PROBLEM: Final[Schema] = {
    "type": "object",
    "description": "Why a request was refused (Spring Boot's error shape, plus the list of problems).",
    "required": ["timestamp", "status", "error", "message", "path"],
    "properties": {
        "timestamp": {"type": "string", "description": "When, ISO-8601 UTC."},
        "status": {"type": "integer", "description": "The HTTP status."},
        "error": {"type": "string", "description": "The HTTP status's reason phrase."},
        "message": {"type": "string", "description": "What was wrong and what to do."},
        "path": {"type": "string"},
        "problems": {"type": "array", "items": {"type": "string"}, "description": "Each problem found."},
    },
}

HEALTH_COMPONENT: Final[Schema] = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"type": "string", "enum": ["UP", "DOWN", "OUT_OF_SERVICE", "UNKNOWN"]},
        "details": {"type": "object"},
    },
}

HEALTH: Final[Schema] = {
    "type": "object",
    "description": "Spring Boot's health JSON. HTTP 503 when the status is DOWN or OUT_OF_SERVICE.",
    "required": ["status"],
    "properties": {
        "status": {"type": "string", "enum": ["UP", "DOWN", "OUT_OF_SERVICE", "UNKNOWN"]},
        "components": {"type": "object", "additionalProperties": _ref("HealthComponent")},
        "groups": {"type": "array", "items": {"type": "string"}},
    },
}

LINKS: Final[Schema] = {
    "type": "object",
    "description": "Spring Boot's actuator discovery page: a link per exposed endpoint.",
    "required": ["_links"],
    "properties": {
        "_links": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["href", "templated"],
                "properties": {"href": {"type": "string"}, "templated": {"type": "boolean"}},
            },
        }
    },
}

INFO: Final[Schema] = {
    "type": "object",
    "description": "The app, its stream, bindings, chain and runtime versions. Secrets are masked (******).",
    "required": ["app", "stream", "bindings", "chain", "runtime"],
    "properties": {
        "app": {"type": "object"},
        "stream": {"type": "object"},
        "bindings": {"type": "object", "additionalProperties": {"type": "string"}},
        "chain": {"type": "array", "items": {"type": "object"}},
        "errors": {"type": "object"},
        "runtime": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}

COMPONENTS: Final[dict[str, Schema]] = {
    "RecordIn": RECORD_IN,
    "HeaderIn": HEADER_IN,
    "BatchIn": BATCH_IN,
    "RouteResult": ROUTE_RESULT,
    "HeaderOut": HEADER_OUT,
    "RouteError": ROUTE_ERROR,
    "BatchResult": BATCH_RESULT,
    "Problem": PROBLEM,
    "Health": HEALTH,
    "HealthComponent": HEALTH_COMPONENT,
    "Links": LINKS,
    "Info": INFO,
}


def json_body(name: str, description: str) -> Schema:
    """An OpenAPI response object whose JSON body is the component `name`."""
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def problem(description: str) -> Schema:
    """An OpenAPI response object for a refused request."""
    return json_body("Problem", description)
