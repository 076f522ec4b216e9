"""Signing in by emailed link at the gateway, without a broker: the API's answers, and the pages (the login page's
second form, the answer that says the same for every address, and the link's page, which changes nothing until
its button is pressed)."""
import re

import pytest

from gateway.app import create_app
from gateway.auth import actor_from_token
from services.common.errors import Gone, Invalid, TooManyAttempts, Unauthorized

ACTOR = {"member_id": "ayse", "community_id": "c", "role": "resident", "display_name": "Ayşe",
         "timezone": "Europe/Berlin", "preferred_language": "tr", "household": None, "tokens_valid_after": None}
MEMBER = {"id": "ayse", "community_id": "c", "email": "ayse@example.org", "display_name": "Ayşe", "household": None,
          "preferred_language": "tr", "languages": ["tr"], "phone": None, "share_phone": False, "role": "resident",
          "active": True, "created_at": "2026-06-01T09:00:00Z", "updated_at": "2026-06-01T09:00:00Z"}


class KnownActors:
    def actor(self, member_id, fetch):
        return ACTOR


class MembersService:
    """Stands in for the RPC client: records the calls, answers as the members service does."""

    def __init__(self):
        self.calls = []
        self.refusal = None

    def call(self, service, method, *args, **kwargs):
        self.calls.append((service, method, args))
        if method == "request_login_link":
            if self.refusal:
                raise self.refusal
            return {"valid_for_seconds": 900}
        if method == "redeem_login_link":
            if self.refusal:
                raise self.refusal
            return {"member": MEMBER, "actor": ACTOR}
        if method in ("inbox", "buddy_requests", "list_alerts"):  # the start page after logging in
            return {"items": [], "next": None}
        if method == "get_settings":
            return {"enabled": False, "daily_by": "10:00", "grace_minutes": 60, "escalation_minutes": 30,
                    "buddies": [], "today": {"status": "off"}}
        raise AssertionError(f"unexpected call {method}")


@pytest.fixture
def app():
    app = create_app({"TESTING": True})
    app.extensions["actors"] = KnownActors()
    app.extensions["rpc"] = MembersService()
    return app


@pytest.fixture
def members(app):
    return app.extensions["rpc"]


class Browser:
    """The app's test client, sending each form with the CSRF token the pages hand out, as a browser does."""

    def __init__(self, app):
        self.client = app.test_client()
        self.client.set_cookie("lang", "de")

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path, data=None, **kwargs):
        if "json" in kwargs:
            return self.client.post(path, **kwargs)
        html = self.client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        return self.client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


@pytest.fixture
def client(app):
    return Browser(app)


def test_asking_for_a_link_is_accepted_with_the_same_body_for_every_address(client, members):
    answer = client.post("/api/v1/auth/login-link", json={"email": "ayse@example.org"})
    assert answer.status_code == 202
    assert answer.json == {"detail": "If this address belongs to a member, a link is on its way. It works once, "
                                     "for 15 minutes.", "valid_for_seconds": 900}
    assert members.calls == [("members", "request_login_link", ({"email": "ayse@example.org"}, "127.0.0.1"))]


@pytest.mark.parametrize("body, field", [({}, "email"), ({"email": "not an address"}, "email"),
                                         ({"email": "a@example.org", "password": "x"}, "password")])
def test_a_malformed_request_is_a_problem_naming_the_field(client, members, body, field):
    answer = client.post("/api/v1/auth/login-link", json=body)
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert field in answer.json["errors"]
    assert members.calls == []


def test_too_many_requests_say_when_to_try_again(client, members):
    members.refusal = TooManyAttempts("Too many sign-in links were asked for.", extra={"retry_after": 900})
    answer = client.post("/api/v1/auth/login-link", json={"email": "ayse@example.org"})
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "900"


def test_a_redeemed_link_answers_like_a_login(client, members):
    answer = client.post("/api/v1/auth/login-link/redeem", json={"token": "t0k3n"})
    assert answer.status_code == 200 and answer.json["member"]["id"] == "ayse"
    assert set(answer.json) == {"token", "expires_at", "member"}
    assert members.calls == [("members", "redeem_login_link", ({"token": "t0k3n"}, "127.0.0.1"))]
    with client.client.application.app_context():
        assert actor_from_token(answer.json["token"])["member_id"] == "ayse"


@pytest.mark.parametrize("refusal, status", [(Unauthorized("Unknown."), 401), (Gone("Already used."), 410)])
def test_an_unusable_link_is_a_clear_problem(client, members, refusal, status):
    members.refusal = refusal
    answer = client.post("/api/v1/auth/login-link/redeem", json={"token": "t0k3n"})
    assert answer.status_code == status and answer.mimetype == "application/problem+json"
    assert answer.json["detail"]


def test_the_login_page_offers_a_sign_in_link_in_german(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'action="/login/link"' in page and "Anmelde-Link per E-Mail schicken" in page
    assert 'id="link_email"' in page and 'id="email"' in page  # two forms, no id twice


def test_asking_on_the_page_leads_to_the_same_answer_for_every_address(client, members):
    answer = client.post("/login/link", data={"link_email": "ayse@example.org"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/login/link-sent"
    sent = client.get("/login/link-sent").get_data(as_text=True)
    assert "Wenn diese Adresse zu einem Mitglied gehört, ist ein Link unterwegs." in sent


@pytest.mark.parametrize("email, refusal, words", [
    ("", None, "Bitte geben Sie Ihre E-Mail-Adresse ein."),
    ("kein", Invalid("Some fields are not valid.", errors={"email": ["Not a valid email address."]}), "richtige"),
    ("ayse@example.org", TooManyAttempts("Too many."), "zu viele"),
])
def test_a_bad_request_on_the_page_is_shown_at_its_field(client, members, email, refusal, words):
    members.refusal = refusal
    answer = client.post("/login/link", data={"link_email": email})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and words.casefold() in page.casefold()
    assert 'href="#link_email"' in page and 'aria-invalid="true"' in page


def test_opening_the_link_changes_nothing_until_the_button_is_pressed(client, members):
    opened = client.get("/login/link/t0k3n")
    page = opened.get_data(as_text=True)
    assert opened.status_code == 200 and members.calls == []
    assert re.search(r'<form[^>]+method="post"[^>]+action="/login/link/t0k3n"', page)
    assert opened.headers["Referrer-Policy"] == "no-referrer" and opened.headers["Cache-Control"] == "no-store"


def test_pressing_the_button_logs_in_like_the_password(client, members):
    answer = client.post("/login/link/t0k3n")
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    assert ("members", "redeem_login_link", ({"token": "t0k3n"}, "127.0.0.1")) in members.calls
    assert client.get("/").status_code == 200  # the session cookie now says who is logged in


@pytest.mark.parametrize("refusal, status, words", [
    (Unauthorized("Unknown."), 401, "nicht gültig"),
    (Gone("Used.", errors={"token": ["Already used."]}), 410, "schon benutzt"),
    (Gone("Expired.", errors={"token": ["Expired."]}), 410, "abgelaufen"),
    (TooManyAttempts("Too many."), 429, "zu viele"),
])
def test_an_unusable_link_is_a_page_that_says_why_and_offers_a_new_one(client, members, refusal, status, words):
    members.refusal = refusal
    answer = client.post("/login/link/t0k3n")
    page = answer.get_data(as_text=True)
    assert answer.status_code == status and words.casefold() in page.casefold()
    assert "Neuen Link anfordern" in page and client.get("/").status_code == 303  # not logged in
