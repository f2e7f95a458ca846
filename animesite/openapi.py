"""OpenAPI post-processing: every operation documents the error answers the site gives.

All errors share one shape, the ``Error`` component (``{"code", "message", "extra"}``):

- 400 invalid input or an unparsable body; 403 CSRF token missing or not signed in (session
  authentication answers 403, not 401); 404 unknown object; 415 unsupported body type;
- 500 ``server_error`` with ``extra.error_id``; 503 ``service_unavailable`` with ``Retry-After``
  while the database is unreachable.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message", "extra"],
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "extra": {"type": "object", "additionalProperties": True},
    },
}

_DESCRIPTIONS = {
    "400": "Invalid input: `extra.fields` names each field with its messages.",
    "403": "CSRF token missing or incorrect, or not allowed (not signed in).",
    "404": "No such object.",
    "415": "Unsupported request body type.",
    "429": "Too many requests: `extra.retry_after` seconds.",
    "500": "Unexpected error: `extra.error_id` is in the server log.",
    "503": "The database is unreachable: retry after `Retry-After` seconds.",
}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    ref = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            statuses = ["400", "403", "404", "500", "503"]
            if method in {"post", "put", "patch"}:
                statuses.append("415")
            for status in statuses:
                entry = responses.setdefault(status, {"description": _DESCRIPTIONS[status]})
                entry.setdefault("content", {"application/json": {"schema": ref}})
            for status, entry in responses.items():
                if status in {"429"} and "content" not in entry:
                    entry["content"] = {"application/json": {"schema": ref}}
            unavailable = responses["503"]
            unavailable.setdefault(
                "headers", {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
            )
    return result
