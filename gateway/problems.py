"""Every error the gateway answers is an RFC 9457 problem document; this module is the one place that
turns errors (typed service errors, HTTP errors, validation errors, unavailable services) into them."""
import logging

from flask import Flask, jsonify
from marshmallow import INCLUDE, Schema, fields
from werkzeug.exceptions import HTTPException

from gateway.rpc import ServiceUnavailable
from services.common.errors import ServiceError
from services.contracts.spaces import ClashSchema, OccurrenceSchema

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPES = "/problems/"
TITLES = {
    400: "Malformed request", 401: "Not logged in", 403: "Not allowed", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 410: "No longer available", 413: "Request too large",
    414: "Address too long", 415: "Unsupported media type", 422: "Invalid input", 429: "Too many attempts",
    431: "Headers too large",
    500: "Internal error", 503: "Service unavailable",
}


class ProblemSchema(Schema):
    """RFC 9457 problem details as `problem()` writes them. Extension members name the facts of an error; a
    client ignores those it does not know, so more may come."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "Field name → list of messages."})
    service = fields.String(metadata={"description": "With 503: the service that did not answer."})
    checks = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": "With /readyz's 503: what each service answered."})
    conflicts = fields.List(fields.Nested(ClashSchema), metadata={"description": "With 409: the clashing bookings."})
    rule = fields.String(metadata={"description": "With 422: the rule a booking breaks."})
    limit = fields.Raw(metadata={"description": "With 422: the rule's limit (minutes, days, a time, ...)."})
    occurrences = fields.List(fields.Nested(OccurrenceSchema), metadata={
        "description": "With a weekly series that could not be booked at all: what happened to each date."})
    current_status = fields.String(metadata={"description": "With 409: the state that does not allow it."})
    offer_id = fields.String(metadata={"description": "With 409: the offer concerned."})


RESERVED = ("type", "title", "status", "detail", "errors")


def document(status: int, detail: str = "", *, title: str | None = None, kind: str | None = None) -> dict:
    """The standard members of a problem document."""
    return {
        "type": PROBLEM_TYPES + (kind or _kind(status)),
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail or title or TITLES.get(status, "Error"),
    }


def problem(status: int, detail: str = "", *, title: str | None = None, kind: str | None = None,
            errors: dict | None = None, headers: dict | None = None, **extra):
    body = document(status, detail, title=title, kind=kind)
    if errors:
        body["errors"] = _flatten(errors)
    # Extension members never replace the standard ones (a service's `status` is not the HTTP status).
    body.update({key: value for key, value in extra.items() if value is not None and key not in RESERVED})
    response = jsonify(body)
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _kind(status: int) -> str:
    return TITLES.get(status, "error").lower().replace(" ", "-")


def _flatten(errors: dict, prefix: str = "") -> dict:
    """marshmallow nests messages by location and field; clients want `{"field": ["message", ...]}`."""
    flat = {}
    for key, value in errors.items():
        if key in ("json", "query", "path", "headers", "form") and not prefix:
            flat.update(_flatten(value) if isinstance(value, dict) else {"body": [str(m) for m in value]})
            continue
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(_flatten(value, name))
        elif isinstance(value, list):
            flat.setdefault(name, []).extend(str(message) for message in value)
        else:
            flat.setdefault(name, []).append(str(value))
    return flat


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        headers = {}
        if "retry_after" in error.extra:
            headers["Retry-After"] = str(error.extra["retry_after"])
        extra = {key: value for key, value in error.extra.items() if key != "retry_after" and key not in RESERVED}
        return problem(error.status, error.detail, title=error.title, kind=error.kind, errors=error.errors,
                       headers=headers, **extra)

    @app.errorhandler(ServiceUnavailable)
    def unavailable(error: ServiceUnavailable):
        return problem(503, f"The {error.service} service {error.reason}. Please try again in a moment.",
                       service=error.service, headers={"Retry-After": "5"})

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unexpected error")
        return problem(500, "Something went wrong on our side. It has been logged.")


def http_error(error: HTTPException):
    """Also flask-smorest's handler: webargs puts validation messages in `error.data["messages"]`."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    status = error.code or 500
    if status == 422 and messages:
        return problem(422, "Some fields are not valid.", errors=messages)
    if status == 400 and messages:
        return problem(400, "The request body is not valid JSON.", errors=messages)
    detail = {
        404: "There is nothing at this address.",
        405: "This address does not accept this method.",
        413: "The request body is too large.",
    }.get(status, error.description if isinstance(error.description, str) else "")
    headers = {"Allow": ", ".join(error.valid_methods)} if status == 405 and getattr(error, "valid_methods", None) \
        else None
    return problem(status, detail, headers=headers)
