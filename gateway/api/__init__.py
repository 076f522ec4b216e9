"""The HTTP API, one blueprint per area."""
from flask import current_app, request


def call(service: str, method: str, *args, **kwargs):
    """Call a service through the app's pooled RPC client."""
    return current_app.extensions["rpc"].call(service, method, *args, **kwargs)


def idempotency_key() -> str | None:
    return request.headers.get("Idempotency-Key") or None


IDEMPOTENCY_PARAMETER = {
    "in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string", "maxLength": 200},
    "description": "Send the same key again to repeat a request safely: the first result is returned.",
}
BEARER = [{"bearerAuth": []}]
