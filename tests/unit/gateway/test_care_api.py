"""The Safe at home routes of the gateway without a broker: every bad input is a problem document naming the
field (never a 500), valid input reaches the care service as sent, and the routes are in the OpenAPI document."""
import pytest

from gateway.app import create_app
from services.common.errors import Forbidden

ACTOR = {"member_id": "ayse", "community_id": "c", "role": "resident", "display_name": "Ayşe",
         "timezone": "Europe/Berlin", "preferred_language": "de", "household": None, "tokens_valid_after": None}


class KnownActors:
    def actor(self, member_id, fetch):
        return ACTOR


class CareService:
    """Stands in for the RPC client: records what reaches the care service and answers like it."""

    def __init__(self):
        self.calls = []

    def call(self, service, method, *args, **kwargs):
        self.calls.append((service, method, args, kwargs))
        if method == "read_sheet":
            raise Forbidden("Only the readers this neighbour named can read it.")
        return ANSWERS.get(method)


SETTINGS = {"enabled": True, "daily_by": "10:00", "grace_minutes": 60, "escalation_minutes": 30,
            "buddies": [{"member_id": "bora", "display_name": "Bora", "accepted": False, "status": "asked"}],
            "today": {"day": "2026-12-01", "status": "due", "done_at": None},
            "away": {"from": "2026-12-24", "until": "2026-12-27"}}
ANSWERS = {"set_settings": SETTINGS, "get_settings": SETTINGS, "check_in": {"at": "2026-12-01T08:00:00Z"},
           "set_away": SETTINGS, "clear_away": None}


@pytest.fixture
def app():
    app = create_app({"TESTING": True})
    app.extensions["actors"] = KnownActors()
    app.extensions["rpc"] = CareService()
    return app


@pytest.fixture
def client(app):
    with app.test_request_context():
        from gateway.auth import issue_token

        token, _ = issue_token("ayse", "c")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def assert_problem(response, status, *fields):
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    assert set(fields) <= set(response.json.get("errors", {})), response.json


@pytest.mark.parametrize("body, fields", [
    ({"enabled": True, "daily_by": "10:00", "buddies": []}, ["buddies"]),
    ({"enabled": True, "daily_by": "24:00", "buddies": ["bora"]}, ["daily_by"]),
    ({"enabled": True, "daily_by": "10:00", "buddies": ["a", "b", "c", "d"]}, ["buddies"]),
    ({"enabled": True, "daily_by": "10:00", "buddies": ["bora"], "grace_minutes": 241}, ["grace_minutes"]),
    ({"enabled": True, "daily_by": "10:00", "buddies": ["bora"], "escalation_minutes": 0}, ["escalation_minutes"]),
    ({"enabled": "yes please", "daily_by": 10, "buddies": "bora"}, ["enabled", "daily_by", "buddies"]),
    ({"daily_by": "10:00", "buddies": ["bora"], "admin": True}, ["enabled", "admin"]),
])
def test_bad_check_in_settings_are_422_naming_the_field(client, body, fields):
    assert_problem(client.put("/api/v1/members/me/check-in", json=body), 422, *fields)


@pytest.mark.parametrize("body, fields", [
    ({"from": "2026-12-05", "until": "2026-12-04"}, ["until"]),
    ({"from": "5.12.2026", "until": "2026-12-04"}, ["from"]),
    ({"from": "2026-12-05"}, ["until"]),
    ({"from": "0001-01-01", "until": "9999-12-31"}, ["from", "until"]),
])
def test_bad_away_days_are_422_naming_the_field(client, body, fields):
    assert_problem(client.put("/api/v1/members/me/away", json=body), 422, *fields)


@pytest.mark.parametrize("body, fields", [
    ({"contacts": [{"name": "Deniz"}]}, ["contacts.0.phone"]),
    ({"contacts": [{"name": "Deniz", "phone": "call me"}]}, ["contacts.0.phone"]),
    ({"readers": "bora"}, ["readers"]),
    ({"readers": [f"m{n}" for n in range(11)]}, ["readers"]),
    ({"notes": "x" * 2001}, ["notes"]),
])
def test_a_bad_emergency_sheet_is_422_naming_the_field(client, body, fields):
    assert_problem(client.put("/api/v1/members/me/emergency-sheet", json=body), 422, *fields)


def test_an_unknown_outcome_is_422(client):
    assert_problem(client.post("/api/v1/alerts/a1/resolve", json={"outcome": "all good"}), 422, "outcome")


@pytest.mark.parametrize("path", ["/api/v1/alerts?limit=0", "/api/v1/alerts?limit=many", "/api/v1/alerts?status=lost",
                                  "/api/v1/members/me/emergency-sheet/reads?limit=201"])
def test_bad_list_queries_are_422(client, path):
    assert_problem(client.get(path), 422)


def test_a_body_that_is_not_json_is_a_problem_too(client):
    response = client.put("/api/v1/members/me/check-in", data="{nope", content_type="application/json")
    assert_problem(response, 400)


def test_a_check_in_needs_no_body_and_refuses_unknown_fields(client, app):
    assert client.post("/api/v1/check-ins").status_code == 201
    assert client.post("/api/v1/check-ins", json={}).json == {"at": "2026-12-01T08:00:00Z"}
    assert_problem(client.post("/api/v1/check-ins", json={"fine": False}), 422, "fine")


def test_valid_settings_reach_the_care_service_as_sent_and_come_back_in_the_documented_shape(client, app):
    body = {"enabled": True, "daily_by": "10:00", "buddies": ["bora"]}

    response = client.put("/api/v1/members/me/check-in", json=body)

    assert response.status_code == 200 and response.json == SETTINGS
    assert app.extensions["rpc"].calls[-1] == ("care", "set_settings", (ACTOR, body), {})


def test_a_refusal_of_the_care_service_is_its_problem_document(client):
    response = client.get("/api/v1/members/bora/emergency-sheet")

    assert_problem(response, 403)
    assert response.json["detail"] == "Only the readers this neighbour named can read it."


def test_leaving_the_away_days_is_204(client):
    assert client.delete("/api/v1/members/me/away").status_code == 204


def test_every_safe_at_home_route_is_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json["paths"]
    expected = {
        "/api/v1/members/me/check-in": {"get", "put"}, "/api/v1/check-ins": {"post"},
        "/api/v1/members/me/away": {"put", "delete"}, "/api/v1/check-in/buddy-requests": {"get"},
        "/api/v1/check-in/buddy-requests/{request_id}/accept": {"post"},
        "/api/v1/check-in/buddy-requests/{request_id}/decline": {"post"},
        "/api/v1/alerts": {"get"}, "/api/v1/alerts/{alert_id}": {"get"},
        "/api/v1/alerts/{alert_id}/acknowledge": {"post"}, "/api/v1/alerts/{alert_id}/resolve": {"post"},
        "/api/v1/members/me/emergency-sheet": {"get", "put"}, "/api/v1/members/me/emergency-sheet/reads": {"get"},
        "/api/v1/members/{member_id}/emergency-sheet": {"get"},
        "/api/v1/members/me/emergency-sheet.html": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path


def test_the_printable_sheet_is_documented_as_a_page():
    spec = create_app({"TESTING": True}).test_client().get("/api/openapi.json").json
    answers = spec["paths"]["/api/v1/members/me/emergency-sheet.html"]["get"]["responses"]
    assert "text/html" in answers["200"]["content"] and "401" in answers
