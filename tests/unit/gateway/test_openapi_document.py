"""The OpenAPI document says exactly what the gateway answers: every error an operation gives is declared for it
as a problem document, fields the services send as null are nullable, and the links lead somewhere. Every route
is tried without a broker, with its services away, so a new route is held to it as soon as it exists."""
import re

import jsonschema_rs
import pytest

from gateway.app import create_app
from gateway.auth import issue_token
from gateway.rpc import ServiceUnavailable

PROBLEM = "application/problem+json"
METHODS = ("get", "put", "post", "patch", "delete")


class ServicesAway:
    """An RPC client for which no service answers, except that the members service says who is acting."""

    def __init__(self, role: str):
        self.role = role

    def call(self, service, method, *args, **kwargs):
        if (service, method) == ("members", "authenticate"):
            return {"member_id": "m-1", "community_id": "c-1", "timezone": "Europe/Berlin", "role": self.role,
                    "household": None, "preferred_language": "de", "display_name": "Ayşe", "revision": 1}
        raise ServiceUnavailable(service, "did not answer within 5 seconds")


def app_whose_services_are_away(role: str = "resident"):
    app = create_app({"TESTING": True, "MEMBER_EVENTS": False, "MAX_CONTENT_LENGTH": 1024})
    app.extensions["rpc"] = app.extensions["health_rpc"] = ServicesAway(role)
    return app


@pytest.fixture(scope="module")
def spec():
    return create_app({"TESTING": True}).test_client().get("/api/openapi.json").json


def operations(spec):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def resolved(spec, response: dict) -> dict:
    if "$ref" in response:
        return spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return response


def url(path: str) -> str:
    """A concrete address for a documented path: every id in it is made up."""
    return re.sub(r"\{\w+\}", "x", path)


def attempts(method: str, operation: dict):
    """Requests that end before any service is asked, or at the first service: (who, headers, body)."""
    yield "nobody", {}, None
    yield "resident", {}, None
    yield "organiser", {}, None
    if method in ("post", "put", "patch"):
        yield "organiser", {"Content-Type": "text/plain"}, "not json"
    if "requestBody" in operation:
        yield "organiser", {"Content-Type": "application/json"}, "{not json"
        yield "organiser", {"Content-Type": "application/json"}, '{"padding": "' + "x" * 2048 + '"}'


def answers(spec):
    """Every answer of every documented operation to `attempts`, with its services away."""
    apps = {role: app_whose_services_are_away(role) for role in ("resident", "organiser")}
    tokens = {}
    for role, app in apps.items():
        with app.test_request_context():
            tokens[role] = issue_token("m-1", "c-1")[0]
    for path, method, operation in operations(spec):
        for who, headers, body in attempts(method, operation):
            client = apps["organiser" if who == "organiser" else "resident"].test_client()
            if who != "nobody":
                headers = {**headers, "Authorization": f"Bearer {tokens[who]}"}
            response = client.open(url(path), method=method.upper(), headers=headers, data=body)
            yield f"{method.upper()} {path} as {who}, body {body and body[:12]!r}", operation, response


def test_every_error_an_operation_answers_is_declared_for_it_as_a_problem_document(spec):
    problem_schema = jsonschema_rs.validator_for({"$ref": "#/components/schemas/Problem",
                                                  "components": spec["components"]})
    seen = set()
    for attempt, operation, response in answers(spec):
        if response.status_code < 400:
            continue
        seen.add(response.status_code)
        declared = operation["responses"].get(str(response.status_code))
        assert declared, f"{attempt}: {response.status_code} is not declared"
        declared = resolved(spec, declared)
        assert response.mimetype == PROBLEM and PROBLEM in declared["content"], attempt
        problem_schema.validate(response.json)
        headers = declared.get("headers", {})
        for name, header in headers.items():
            assert name in response.headers or not header["required"], f"{attempt}: no {name}"
        assert "Retry-After" not in response.headers or "Retry-After" in headers, attempt
    assert seen == {400, 401, 403, 413, 415, 422, 503}  # the attempts reached every kind they aim at


def test_every_error_response_in_the_document_is_a_problem_document_and_nothing_else(spec):
    for path, method, operation in operations(spec):
        assert "default" not in operation["responses"], f"{method} {path}: list its errors, not a default"
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert resolved(spec, response)["content"] == {
                    PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}, f"{method} {path} {status}"


def test_a_problem_document_may_carry_the_facts_of_its_error(spec):
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert problem["additionalProperties"] is True  # RFC 9457: extension members, ignored where unknown
    assert {"errors", "conflicts", "rule", "limit", "current_status", "service"} <= set(problem["properties"])


# What the services send as null: the organiser's view of a member without phone or household, a page without
# a next one, an unread notification, a booking outside a series, a help request nobody has accepted yet, ...
NULLABLE = {
    "Member": ("household", "phone"),
    "MemberLookup": ("household", "phone"),
    "DirectoryEntry": ("household",),
    "DirectoryPage": ("next",),
    "SpaceList": ("next",),
    "RulesOut": ("household_quota_minutes_per_week",),
    "Booking": ("series_id",),
    "BookingList": ("next",),
    "Occurrence": ("booking_id", "reason", "rule"),
    "HelpRequest": ("needed_from", "needed_until", "accepted_at", "completed_at", "cancelled_at", "expired_at",
                    "accepted_offer_id", "helper"),
    "HelpRequestList": ("next",),
    "Person": ("display_name", "phone", "household"),
    "Offer": ("display_name",),
    "Notification": ("read_at", "link"),
    "NotificationList": ("next",),
    "Notice": ("read_at",),
    "NoticeList": ("next",),
    "Unread": ("display_name", "phone", "household"),
    "Preferences": ("quiet_hours", "help_categories"),
}


@pytest.mark.parametrize("schema, fields", NULLABLE.items())
def test_fields_the_services_send_as_null_are_nullable(spec, schema, fields):
    properties = spec["components"]["schemas"][schema]["properties"]
    for field in fields:
        nullable = properties[field].get("nullable") or any(
            option.get("nullable") for option in properties[field].get("anyOf", []))
        assert nullable, f"{schema}.{field}"


def test_operations_have_unique_ids_and_every_link_leads_to_one_with_its_parameters(spec):
    found = {operation["operationId"]: (path, operation) for path, _, operation in operations(spec)}
    assert len(found) == len(list(operations(spec)))
    links = [(link, source) for path, _, source in operations(spec)
             for response in source["responses"].values() for link in response.get("links", {}).values()]
    assert len(links) > 20
    for link, source in links:
        target_path, target = found[link["operationId"]]
        names = {parameter["name"] for parameter in target.get("parameters", [])} | set(
            re.findall(r"\{(\w+)\}", target_path))
        assert set(link.get("parameters", {})) <= names, (source["operationId"], link)
        if "requestBody" in link:
            body = target["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
            assert set(link["requestBody"]) <= set(spec["components"]["schemas"][body]["properties"])
