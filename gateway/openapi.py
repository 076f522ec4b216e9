"""What the OpenAPI document says beyond each route's own decorators, decided in one place for every route.

- **Who may call**: `gateway.auth`'s decorators mark a view; the document gets the bearer requirement, 401 and,
  for organisers' routes, 403.
- **Errors the gateway itself answers**: 414 and 431 on every operation (an address or headers too large for
  the server), 503 on every `/api/v1` operation (a service or the broker did not answer), 400, 413 and 415 for
  a JSON body, 422 for a body or query parameters, 404 for an id in the path, 409 and 422 for an
  Idempotency-Key. A route adds the statuses only its service answers (`alt_response`).
- **Every error is a problem document** (`application/problem+json`, `gateway.problems`), with `Retry-After`
  where the gateway sends it.
- **Links**: which answer carries the id that another operation takes, so that a client (or a fuzzer's
  stateful phase) can follow a thing from its creation to what can be done with it. Operations are named by
  their view functions (`operationId`).
"""
from http import HTTPStatus

from apispec import BasePlugin
from flask import Flask

from gateway.problems import MEDIA_TYPE, ProblemSchema

BODY_METHODS = ("post", "put", "patch")
DESCRIPTIONS = {
    400: "The body is not valid JSON.",
    401: "Not logged in, or the login has ended: send `Authorization: Bearer <token>` (`POST /api/v1/auth/login`).",
    403: "Not allowed for this caller: only organisers, or not within the trust of the member acted for.",
    404: "Nothing with this id in your community.",
    409: "A request with this Idempotency-Key is still being processed.",
    413: "The body is larger than the gateway accepts.",
    414: "The address is too long: the request line (method, path and query) has at most 8190 bytes.",
    415: "The body is not JSON: send it with `Content-Type: application/json`.",
    422: "Some fields are not valid (`errors` names each field with its messages).",
    429: "Too many attempts.",
    431: "Too many header fields, or one too large.",
    503: "A service or the message broker did not answer in time; try again in a moment.",
}
RETRY_AFTER = {
    # Always with 429; with 503 when the gateway knows (a service that did not answer: 5 seconds).
    429: {"description": "Seconds to wait before trying again.", "required": True,
          "schema": {"type": "integer", "minimum": 0}},
    503: {"description": "Seconds to wait before trying again, where known.", "required": False,
          "schema": {"type": "integer", "minimum": 0}},
}


def problem_response(status: int, description: str | None = None) -> dict:
    """The response object of a problem document with this status."""
    response = {"description": description or DESCRIPTIONS.get(status) or HTTPStatus(status).phrase,
                "content": {MEDIA_TYPE: {"schema": "Problem"}}}
    if status in RETRY_AFTER:
        response["headers"] = {"Retry-After": RETRY_AFTER[status]}
    return response


def component_name(status: int) -> str:
    return HTTPStatus(status).phrase.title().replace(" ", "").replace("-", "")


def link(operation_id: str, body: dict | None = None, **parameters: str) -> dict:
    """A link to `operation_id`, its parameters (and body fields) taken from runtime expressions."""
    definition = {"operationId": operation_id}
    if parameters:
        definition["parameters"] = parameters
    if body:
        definition["requestBody"] = body
    return definition


def _space_links(id_expression: str) -> dict:
    return {"get_space": link("get_space", space_id=id_expression),
            "change_space": link("change_space", space_id=id_expression),
            "availability": link("availability", space_id=id_expression),
            "space_calendar": link("space_calendar", space_id=id_expression),
            "book": link("book", body={"space_id": id_expression})}


def _booking_links(id_expression: str) -> dict:
    return {name: link(name, booking_id=id_expression)
            for name in ("get_booking", "cancel_booking", "approve_booking", "reject_booking")}


def _help_links(id_expression: str) -> dict:
    return {name: link(name, request_id=id_expression)
            for name in ("get_request", "offer", "complete", "cancel")}


def _decision_links(id_expression: str) -> dict:
    return {name: link(name, decision_id=id_expression)
            for name in ("get_decision", "vote", "not_voted", "close_decision", "ballot", "results")}


FIRST_ITEM = "$response.body#/items/0/id"
ITS_ID = "$response.body#/id"
# operationId → status → link name → link.
LINKS = {
    "login": {200: {"get_member": link("get_member", member_id="$response.body#/member/id")}},
    "redeem_login_link": {200: {"get_member": link("get_member", member_id="$response.body#/member/id")}},
    "invite": {201: {"register": link("register", body={"invitation_code": "$response.body#/code",
                                                        "email": "$response.body#/email"})}},
    "register": {201: {"get_member": link("get_member", member_id=ITS_ID)}},
    "directory": {200: {"get_member": link("get_member", member_id=FIRST_ITEM),
                        "change_member": link("change_member", member_id=FIRST_ITEM)}},
    "get_me": {200: {"get_member": link("get_member", member_id=ITS_ID)}},
    "create_space": {201: _space_links(ITS_ID)},
    "list_spaces": {200: _space_links(FIRST_ITEM)},
    "book": {201: _booking_links(ITS_ID)},
    "list_bookings": {200: _booking_links(FIRST_ITEM)},
    "new_feed_link": {201: {"member_calendar": link("member_calendar", feed_token="$response.body#/token")}},
    "ask": {201: _help_links(ITS_ID)},
    "list_requests": {200: _help_links(FIRST_ITEM)},
    "offer": {201: {"accept": link("accept", body={"offer_id": ITS_ID}, request_id="$request.path.request_id")}},
    "inbox": {200: {"mark_read": link("mark_read", notification_id=FIRST_ITEM)}},
    "publish_notice": {201: {"receipts": link("receipts", notice_id=ITS_ID)}},
    "my_notices": {200: {"receipts": link("receipts", notice_id=FIRST_ITEM)}},
    "open_decision": {201: _decision_links(ITS_ID)},
    "list_decisions": {200: _decision_links(FIRST_ITEM)},
}


def answered_by_the_gateway(path: str, method: str, operation: dict, requires: str | None) -> set[int]:
    """The error statuses an operation answers whatever its service says (see the module's docstring)."""
    statuses = {414, 431}  # refused by gunicorn before the app sees them (`gateway.gunicorn_conf`)
    parameters = operation.get("parameters", [])
    if path.startswith("/api/v1/"):
        statuses.add(503)
        if method in BODY_METHODS:
            statuses.add(415)  # any body that is not JSON, even where none is expected
    if requires:
        statuses.update((401, 403))  # 403: a supporter who acts for nobody here, or acting outside one's trust
    if "requestBody" in operation:
        statuses.update((400, 413, 422))
    if any(parameter.get("in") == "query" for parameter in parameters):
        statuses.add(422)
    if "{" in path:
        statuses.add(404)
    if any(parameter.get("name") == "Idempotency-Key" for parameter in parameters):
        statuses.update((409, 422))
    return statuses


def acting_parameter(scope: str) -> dict:
    return {"name": "X-Acting-For", "in": "header", "required": False, "schema": {"type": "string"}, "description": (
        f"A trusted person acting for a resident: the resident's member id. Allowed within a trust that covers "
        f"`{scope}`; what the request creates is the resident's and records who acted.")}


class CompletedDocument(BasePlugin):
    """An apispec plugin that completes every operation as the module's docstring says."""

    def __init__(self, app: Flask):
        self.app = app

    def init_spec(self, spec):
        spec.components.schema("Problem", schema=ProblemSchema)
        for status in DESCRIPTIONS:
            spec.components.response(component_name(status), problem_response(status), lazy=True)
        spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs["rule"]
        view = self.app.view_functions[rule.endpoint]
        requires = getattr(view, "requires", None)
        scope = getattr(view, "acting_scope", None)
        for method, operation in operations.items():
            operation_id = rule.endpoint.rsplit(".", 1)[-1]
            operation["operationId"] = operation_id
            if requires:
                operation["security"] = [{"bearerAuth": []}]
            if scope:
                operation.setdefault("parameters", []).append(acting_parameter(scope))
            responses = {int(code): response for code, response in operation.get("responses", {}).items()}
            for status in answered_by_the_gateway(path, method, operation, requires):
                responses.setdefault(status, component_name(status))
            for status, response in responses.items():
                if status >= 400:
                    responses[status] = (component_name(status) if isinstance(response, str)
                                         else problem_response(status, response.get("description")))
            for status, links in LINKS.get(operation_id, {}).items():
                responses[status]["links"] = links
            operation["responses"] = dict(sorted(responses.items()))
