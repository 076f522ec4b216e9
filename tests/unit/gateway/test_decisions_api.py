"""The routes of deciding together without a broker: every bad input is a problem document naming the field
(never a 500), valid input reaches the decisions service as sent, organisers-only routes refuse residents, and the
printable ballot and results speak the reader's language."""
import pytest

from gateway.app import create_app
from services.common.errors import Conflict

RESIDENT = {"member_id": "ayse", "community_id": "c", "role": "resident", "display_name": "Ayşe",
            "timezone": "Europe/Berlin", "preferred_language": "tr", "household": None, "tokens_valid_after": None}
ORGANISER = {**RESIDENT, "member_id": "olga", "role": "organiser", "display_name": "Olga", "preferred_language": "de"}
DECISION = {"id": "d1", "kind": "poll", "status": "open", "title": "Merdiven boşluğunun rengi", "body": "Hangi renk?",
            "options": ["Sarı", "Mavi"], "language": "tr", "direction": "ltr", "original_language": "de",
            "multiple": False, "max_choices": None, "secret": True, "audience": "all",
            "opened_at": "2026-12-01T08:00:00Z", "closes_at": "2026-12-08T17:00:00Z", "closed_at": None,
            "author_id": "olga", "in_audience": True, "audience_size": 2, "voted": 0, "my_vote": None,
            "results": None, "passed": None}
POLL = {"title": "Farbe", "body": "Welche?", "kind": "poll", "options": ["Gelb", "Blau"],
        "closes_at": "2026-12-08T18:00:00+01:00"}


class Actors:
    who = RESIDENT

    def actor(self, member_id, fetch):
        return self.who


class DecisionsService:
    def __init__(self):
        self.calls = []

    def call(self, service, method, *args, **kwargs):
        self.calls.append((service, method, args, kwargs))
        if method == "close":
            raise Conflict("This decision is closed already.")
        if method == "vote":
            return {"decision_id": "d1", "member_id": "ayse", "status": "open",
                    "my_vote": {"cast": True, "secret": True, "recorded": False}}
        return DECISION


@pytest.fixture
def app():
    app = create_app({"TESTING": True})
    app.extensions["actors"] = Actors()
    app.extensions["rpc"] = DecisionsService()
    return app


def client_of(app, who):
    app.extensions["actors"].who = who
    with app.test_request_context():
        from gateway.auth import issue_token

        token, _ = issue_token(who["member_id"], "c")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def assert_problem(response, status, *fields):
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    named = response.json.get("errors", {})
    assert all(any(key == field or key.startswith(field + ".") for key in named) for field in fields), response.json


@pytest.mark.parametrize("body, field", [
    ({**POLL, "options": ["Gelb"]}, "options"),
    ({**POLL, "options": [f"O{i}" for i in range(13)]}, "options"),
    ({**POLL, "kind": "vote"}, "kind"),
    ({**POLL, "closes_at": "2026-12-08T18:00:00"}, "closes_at"),  # no offset
    ({**POLL, "multiple": "yes"}, "multiple"),
    ({**POLL, "max_choices": 3, "multiple": True}, "max_choices"),
    ({**POLL, "audience": {"flat": "B2"}}, "audience"),
    ({**POLL, "translations": {"fr": {"title": "t", "body": "b"}}}, "translations"),
    ({**POLL, "translations": {"tr": {"title": "t", "body": "b", "options": ["Sarı"]}}}, "translations"),
    ({"title": "K", "body": "B", "kind": "consent", "options": ["a", "b"], "closes_at": POLL["closes_at"]}, "options"),
    ({**POLL, "colour": "red"}, "colour"),
])
def test_a_bad_decision_is_a_422_naming_the_field(app, body, field):
    assert_problem(client_of(app, ORGANISER).post("/api/v1/decisions", json=body), 422, field)
    assert app.extensions["rpc"].calls == []


@pytest.mark.parametrize("body, field", [
    ({}, "_schema"),
    ({"options": [0], "position": "consent"}, "_schema"),
    ({"options": []}, "options"),
    ({"options": ["0"]}, "options"),
    ({"position": "maybe"}, "position"),
    ({"position": "objection"}, "reason"),
    ({"position": "objection", "reason": "   "}, "reason"),
    ({"options": [0], "note": "Telefon"}, "note"),
])
def test_a_bad_vote_is_a_422_naming_the_field(app, body, field):
    assert_problem(client_of(app, RESIDENT).post("/api/v1/decisions/d1/votes", json=body), 422, field)


def test_a_vote_reaches_the_service_as_sent_and_answers_201(app):
    answer = client_of(app, RESIDENT).post("/api/v1/decisions/d1/votes", json={"options": [1]})
    assert answer.status_code == 201 and answer.json["my_vote"] == {"cast": True, "secret": True, "recorded": False}
    (_, method, args, _kwargs), = app.extensions["rpc"].calls
    assert method == "vote" and args[1:] == ("d1", {"options": [1]})


def test_residents_may_not_open_close_or_read_the_call_list(app):
    client = client_of(app, RESIDENT)
    assert_problem(client.post("/api/v1/decisions", json=POLL), 403)
    assert_problem(client.post("/api/v1/decisions/d1/close"), 403)
    assert_problem(client.get("/api/v1/decisions/d1/not-voted"), 403)
    assert app.extensions["rpc"].calls == []
    assert_problem(client_of(app, ORGANISER).post("/api/v1/decisions/d1/close"), 409)


def test_the_printable_ballot_speaks_the_reader_s_language_and_says_a_secret_ballot_bears_no_name(app):
    page = client_of(app, RESIDENT).get("/api/v1/decisions/d1/ballot.html")
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert 'lang="tr"' in text and "Merdiven boşluğunun rengi" in text and "Sarı" in text
    assert "oy pusulasına adınızı yazmayın" in text and "8 Aralık 2026" in text
    arabic = client_of(app, RESIDENT).get("/api/v1/decisions/d1/ballot.html?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic and "ورقة التصويت" in arabic


def test_results_are_printed_only_once_there_are_results(app):
    assert_problem(client_of(app, RESIDENT).get("/api/v1/decisions/d1/results.html"), 409)
