"""The API described in OpenAPI 3.1, built from a small declaration (served at /api/openapi.json).

One entry per route: its summary, its query parameters (by name from `PARAMS`) and the schema of
its answer. tests/web/test_web_openapi.py checks that every /api route is here and runs
schemathesis against the real app with this document.
"""
from __future__ import annotations

from typing import Any

from .catalog import SORTS

Schema = dict[str, Any]
YEAR, MONTH = "[1-9][0-9]{3}", "(0[1-9]|1[0-2])"
DATE: dict[str, Any] = {"anyOf": [  # a year, a month or a day (the server takes years from 0001 too)
    {"type": "string", "pattern": f"^{YEAR}$"}, {"type": "string", "pattern": f"^{YEAR}-{MONTH}$"},
    {"type": "string", "format": "date"}]}
STAGES = ["talks", "agreement_signed", "established", "production", "expanded", "ended"]
WHATS = ["new", "changed", "ended", "retracted", "corrected", "corroborated"]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str) -> Schema:
    return {"type": [kind, "null"]}


def _array(item: Schema) -> Schema:
    return {"type": "array", "items": item}


def _object(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})}}


def _param(name: str, description: str, schema: Schema, *, array: bool = False) -> Schema:
    p: Schema = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
    if array:
        p.update(schema=_array(schema), style="form", explode=True)
    return p


TEXT: Schema = {"type": "string", "maxLength": 200}
WHOLE: Schema = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}
PARAMS: dict[str, Schema] = {
    "as_of": _param("as_of", "The state as of the end of this year, month or day (YYYY, YYYY-MM or YYYY-MM-DD).",
                    DATE),
    "known_at": _param("known_at", "As the log knew it at this instant (ISO-8601; naive means UTC).",
                       {"type": "string", "format": "date-time"}),
    "q": _param("q", "Search in party names (English, Chinese simplified or traditional, aliases) and alliance names.",
                TEXT),
    "company": _param("company", "Only alliances with this company (id or name).", TEXT),
    "stage": _param("stage", "Only alliances at this stage.", {"type": "string", "enum": STAGES}),
    "kind": _param("kind", "Only alliances of this kind.", TEXT),
    "country": _param("country", "Only alliances with a party from this country (ISO 3166 code).", TEXT),
    "sort": _param("sort", "Sort key, as on the status page.", {"type": "string", "enum": list(SORTS)}),
    "order": _param("order", "Sort order.", {"type": "string", "enum": ["asc", "desc"]}),
    "order_changes": _param("order", "desc (default): newest first; asc: oldest first, to page forward with `after`.",
                            {"type": "string", "enum": ["asc", "desc"]}),
    "after": _param("after", "Only what was recorded after this log position.", WHOLE),
    "limit_changes": _param("limit", "At most this many.", {"type": "integer", "minimum": 1, "maximum": 500}),
    "limit_events": _param("limit", "At most this many.", {"type": "integer", "minimum": 1, "maximum": 5000}),
    "limit_checkpoints": _param("limit", "At most this many.", {"type": "integer", "minimum": 1, "maximum": 1000}),
    "alliance": _param("alliance", "Only changes of these alliances (ids).", {"type": "string"}, array=True),
    "what": _param("what", "Only changes of this kind.", {"type": "string", "enum": WHATS}),
    "sources": _param("sources", "1: also further sources for known facts (corroborations).",
                      {"type": "string", "enum": ["0", "1"]}),
    "type": _param("type", "Only events of this type (e.g. AllianceReported).", TEXT),
    "stream": _param("stream", "Only events of this stream; a trailing * makes it a prefix.", TEXT),
    "from": _param("from", "Start of the period (YYYY, YYYY-MM or YYYY-MM-DD; the end of that period).",
                   DATE),
    "to": _param("to", "End of the period (as `from`); default today.", DATE),
    "step": _param("step", "The default period before `to` when `from` is not given.",
                   {"type": "string", "enum": ["month", "quarter", "year"]}),
}

PARTY = _object({"id": {"type": "string"}, "name": {"type": "string"}, "name_zh": {"type": "string"}})
ALLIANCE = _object({
    "id": {"type": "string"}, "parties": _array(_ref("Party")), "kinds": _array({"type": "string"}),
    "stage": _nullable("string"), "loi": {"type": "boolean"}, "since": _nullable("string"),
    "updated": _nullable("string"), "events": {"type": "integer"}, "sources": {"type": "integer"},
    "corroborations": {"type": "integer"}})
CITATION: Schema = {"type": ["object", "null"]}
ENTRY = _object({
    "position": {"type": "integer"}, "type": {"type": "string"}, "date": _nullable("string"),
    "recorded_at": {"type": "string"}, "summary": {"type": "string"}, "citation": CITATION,
    "retracted": {"type": "boolean"}, "corrected": {"type": "boolean"}},
    {"stage": _nullable("string"), "kind": _nullable("string"), "loi": {"type": "boolean"},
     "parties": _array({"type": "string"}), "confidence": _nullable("number"), "key": {"type": "string"},
     "supersedes": _nullable("string")})
COMPANY = _object({"id": {"type": "string"}, "name": {"type": "string"}, "name_zh": {"type": "string"},
                   "aliases": _array({"type": "string"}), "country": {"type": "string"},
                   "sector": {"type": "string"}})
MILESTONE = _object({"date": _nullable("string"), "milestone": {"type": "string"},
                     "description": {"type": "string"}, "citation": CITATION})
CHANGE = _object({
    "id": {"type": "string"}, "position": {"type": "integer"}, "recorded_at": {"type": "string"},
    "alliance_id": {"type": "string"}, "what": {"type": "string", "enum": WHATS},
    "aspects": _array({"type": "string"}), "title": {"type": "string"}, "summary": {"type": "string"},
    "event_type": {"type": "string"}, "before": {"oneOf": [_ref("Alliance"), {"type": "null"}]},
    "after": {"oneOf": [_ref("Alliance"), {"type": "null"}]}, "source": CITATION})
DIFF_ITEM = {"allOf": [_ref("Alliance"), _object({
    "before_stage": _nullable("string"), "after_stage": _nullable("string"), "details": _array({"type": "string"})})]}
DIFF = _object({"from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
                "added": _array(DIFF_ITEM), "changed": _array(DIFF_ITEM), "ended": _array(DIFF_ITEM)})
EVENT = _object({
    "position": {"type": "integer"}, "stream_id": {"type": "string"}, "stream_version": {"type": "integer"},
    "type": {"type": "string"}, "schema_version": {"type": "integer"}, "payload": {"type": "object"},
    "valid": _nullable("string"), "valid_precision": _nullable("string"), "recorded_at": {"type": "string"},
    "idempotency_key": {"type": "string"}, "provenance": {"type": ["object", "null"]},
    "prev_hash": {"type": "string"}, "hash": {"type": "string"}})
CHECKPOINT = _object({"position": {"type": "integer"}, "head_hash": {"type": "string"},
                      "signed_at": {"type": "string"}, "public_key": {"type": "string"},
                      "signature": {"type": "string"}})
ERROR = _object({"error": {"type": "string"}, "message": {"type": "string"}, "status": {"type": "integer"}})

SCHEMAS = {"Party": PARTY, "Alliance": ALLIANCE, "TimelineEntry": ENTRY,
           "AllianceDetail": {"allOf": [_ref("Alliance"), _object({"timeline": _array(_ref("TimelineEntry"))})]},
           "Company": COMPANY,
           "CompanyDetail": {"allOf": [_ref("Company"), _object({
               "alliances": _array(_ref("Alliance")), "partners": _array(_ref("Party")),
               "milestones": _array(MILESTONE)})]},
           "Change": CHANGE, "Diff": DIFF, "Event": EVENT, "Checkpoint": CHECKPOINT, "Error": ERROR}

TIME_TRAVEL = ("as_of", "known_at")
# path -> (operation id, summary, parameter names, answer schema, path parameter or None)
ROUTES: dict[str, tuple[str, str, tuple[str, ...], Schema, str | None]] = {
    "/api/alliances": ("listAlliances", "Every alliance (the `alliances state --json` shape), filtered like the "
                       "status page.", (*TIME_TRAVEL, "q", "company", "stage", "kind", "country", "sort", "order"),
                       _array(_ref("Alliance")), None),
    "/api/alliances/{alliance_id}": ("getAlliance", "One alliance with its timeline.", TIME_TRAVEL,
                                     _ref("AllianceDetail"), "alliance_id"),
    "/api/companies": ("listCompanies", "Every known company.", (), _array(_ref("Company")), None),
    "/api/companies/{company_id}": ("getCompany", "One company with its alliances, partners and milestones.",
                                    TIME_TRAVEL, _ref("CompanyDetail"), "company_id"),
    "/api/latest": ("listLatest", "The change log, newest first: what the tracker learned after `after`.",
                    ("after", "limit_changes", "alliance", "what", "q", "sources", "order_changes"),
                    _array(_ref("Change")), None),
    "/api/changes": ("diffChanges", "Alliances added, changed and ended between two valid dates (the /changes "
                     "page).", ("from", "to", "step", "as_of", "known_at"), _ref("Diff"), None),
    "/api/events": ("listEvents", "Stored events after a position; a Link header names the next page.",
                    ("after", "limit_events", "type", "stream"), _array(_ref("Event")), None),
    "/api/checkpoints": ("listCheckpoints", "The signed checkpoints of the hash chain, newest first.",
                         ("limit_checkpoints",), _array(_ref("Checkpoint")), None),
    "/api/openapi.json": ("openapi", "This document.", (), {"type": "object"}, None),
}


def _error(description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _operation(op_id: str, summary: str, params: tuple[str, ...], answer: Schema, path_param: str | None) -> Schema:
    parameters = [PARAMS[p] for p in params]
    if path_param:
        parameters.insert(0, {"name": path_param, "in": "path", "required": True, "schema": {"type": "string"}})
    responses: Schema = {
        "200": {"description": "OK", "content": {"application/json": {"schema": answer}},
                "headers": {"ETag": {"schema": {"type": "string"}, "description": "Changes when the answer may"}}},
        "304": {"description": "Not modified since the ETag (If-None-Match) or time (If-Modified-Since) sent"},
    }
    if parameters:
        responses["400"] = _error("A parameter is malformed or out of range")
    if path_param:
        responses["404"] = _error("No such " + path_param.split("_")[0])
    return {"get": {"operationId": op_id, "summary": summary, "parameters": parameters, "responses": responses}}


STREAM: Schema = {"get": {
    "operationId": "streamChanges",
    "summary": "Server-Sent Events of changes as they are learned (`id:` log position, `event: change`, `data:` a "
               "change as in /api/latest); resumes after Last-Event-ID or `after`; each response ends after about "
               "25 s with a `retry:` hint.",
    "parameters": [{"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                   {"name": "Last-Event-ID", "in": "header", "schema": {"type": "string"}},
                   *(PARAMS[p] for p in ("q", "company", "stage", "kind", "country"))],
    "responses": {"200": {"description": "An event stream", "content": {"text/event-stream": {"schema": {
                      "type": "string"}}}},
                  "400": _error("A parameter is malformed"),
                  "429": _error("Too many streams open; try again after Retry-After seconds")},
}}


def document() -> Schema:
    """The whole OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Alliance Tracker API", "version": "1",
                 "description": "Partnerships between global carmakers and Chinese technology companies, read "
                                "from an append-only, hash-chained event log. Every answer carries an ETag and "
                                "Last-Modified; ask again with If-None-Match for a cheap 304."},
        "paths": {**{path: _operation(*spec) for path, spec in ROUTES.items()}, "/api/stream": STREAM},
        "components": {"schemas": SCHEMAS},
    }
