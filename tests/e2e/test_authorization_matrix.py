"""Who may do what: every endpoint of the gateway against every kind of caller.

Callers: anonymous; a resident who owns the thing (`owner`); another resident of the same community
(`other`); an organiser; a member of another community (`foreign`, an organiser there); a deactivated member.
A new route without an entry here fails `test_every_route_is_in_the_matrix`.
"""
from datetime import datetime, timedelta, timezone

import pytest

from gateway.app import create_app
from tests.support.processes import MEMBER_PASSWORD as PASSWORD

ACTORS = ("anonymous", "owner", "other", "organiser", "foreign", "deactivated")


def at(days: int, hour: int) -> str:
    moment = datetime.now(timezone(timedelta(hours=1))) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


class World:
    """Community A with its organiser, the owner, another resident and a deactivated member; community B's
    organiser; and things owned by the owner, made fresh where a call would use them up."""

    def __init__(self, platform):
        self.platform = platform
        self.organiser = platform.organiser()
        self.owner, self.owner_id = self.resident("owner@example.org")
        self.other, self.other_id = self.resident("other@example.org")
        deactivated, deactivated_id = self.resident("gone@example.org")
        self.organiser.patch(f"/api/v1/members/{deactivated_id}", json={"active": False})
        created = platform.cli("services.members.cli", "create-community", "--name", "Haus Fremd",
                               "--organiser-email", "foreign@example.org", ORGANISER_PASSWORD=PASSWORD)
        assert created.returncode == 0, created.stderr
        self.clients = {"anonymous": platform.client(), "owner": self.owner, "other": self.other,
                        "organiser": self.organiser, "foreign": platform.login("foreign@example.org", PASSWORD),
                        "deactivated": deactivated}
        self.space = self.organiser.post("/api/v1/spaces", json={"name": "Raum", "capacity": 9, "rules": {
            "open_from": "00:00", "open_until": "00:00", "max_days_ahead": 300}}).json()["id"]
        self.flat = self.organiser.post("/api/v1/spaces", json={"name": "Gästewohnung", "capacity": 2, "rules": {
            "open_from": "00:00", "open_until": "00:00", "requires_approval": True, "max_days_ahead": 300}}).json()["id"]
        self.hour = 0
        self.notice = self.organiser.post("/api/v1/notices", json={"title": "Hallo", "body": "Willkommen",
                                                                   "audience": "all"}).json()["id"]
        self.feed = self.owner.post("/api/v1/calendar/feed-link").json()["path"]

    def resident(self, email):
        client, profile = self.platform.join(self.organiser, email)
        return client, profile["id"]

    def slot(self) -> dict:
        """A free hour, a new one at every call."""
        self.hour += 1
        day, hour = divmod(self.hour, 20)
        return {"start": at(3 + day, hour), "end": at(3 + day, hour + 1)}

    def booking(self, space=None) -> str:
        return self.owner.post("/api/v1/bookings", json={"space_id": space or self.space, **self.slot()}).json()["id"]

    def help_request(self, offered=False, accepted=False) -> tuple[str, str | None]:
        request_id = self.owner.post("/api/v1/help-requests", json={"title": "Einkauf", "category": "shopping"}).json()["id"]
        offer_id = None
        if offered or accepted:
            offer_id = self.other.post(f"/api/v1/help-requests/{request_id}/offers", json={"message": "ich"}).json()["id"]
        if accepted:
            self.owner.post(f"/api/v1/help-requests/{request_id}/accept", json={"offer_id": offer_id})
        return request_id, offer_id

    def own_notification(self) -> str:
        return self.owner.get("/api/v1/notifications").json()["items"][0]["id"]


def expect(default, **exceptions):
    """Expected status per actor: `default` for the authenticated members of community A unless named."""
    table = {"anonymous": 401, "deactivated": 401, "owner": default, "other": default, "organiser": default,
             "foreign": default}
    table.update(exceptions)
    return table


# (method, rule) -> (how to call it: world -> (path, json), expected statuses)
MATRIX = {
    ("GET", "/healthz"): (lambda w: ("/healthz", None), dict.fromkeys(ACTORS, 200)),
    ("GET", "/readyz"): (lambda w: ("/readyz", None), dict.fromkeys(ACTORS, 200)),
    ("GET", "/metrics"): (lambda w: ("/metrics", None), dict.fromkeys(ACTORS, 200)),
    ("GET", "/api/openapi.json"): (lambda w: ("/api/openapi.json", None), dict.fromkeys(ACTORS, 200)),
    ("POST", "/api/v1/auth/login"): (lambda w: ("/api/v1/auth/login", {"email": f"nobody{w.tick()}@example.org",
                                                                        "password": "wrong"}),
                                     dict.fromkeys(ACTORS, 401)),
    ("POST", "/api/v1/members"): (lambda w: ("/api/v1/members", {
        "invitation_code": "no-such-code", "email": "x@example.org", "password": PASSWORD, "display_name": "X",
        "preferred_language": "de"}), dict.fromkeys(ACTORS, 404)),
    ("POST", "/api/v1/invitations"): (lambda w: ("/api/v1/invitations", {"email": "n@example.org", "role": "resident"}),
                                      expect(403, organiser=201, foreign=201)),
    ("GET", "/api/v1/members"): (lambda w: ("/api/v1/members", None), expect(200)),
    ("GET", "/api/v1/members/me"): (lambda w: ("/api/v1/members/me", None), expect(200)),
    ("PATCH", "/api/v1/members/me"): (lambda w: ("/api/v1/members/me", {"languages": ["de", "tr"]}), expect(200)),
    ("DELETE", "/api/v1/members/me"): (None, "erasure has its own tests; here it would erase the callers"),
    ("GET", "/api/v1/members/me/export"): (lambda w: ("/api/v1/members/me/export", None), expect(200)),
    ("GET", "/api/v1/members/<member_id>"): (lambda w: (f"/api/v1/members/{w.owner_id}", None),
                                             expect(200, foreign=404)),
    ("PATCH", "/api/v1/members/<member_id>"): (lambda w: (f"/api/v1/members/{w.other_id}", {"household": "H"}),
                                               expect(403, organiser=200, foreign=404)),
    ("GET", "/api/v1/members/me/preferences"): (lambda w: ("/api/v1/members/me/preferences", None), expect(200)),
    ("PUT", "/api/v1/members/me/preferences"): (lambda w: ("/api/v1/members/me/preferences",
                                                           {"channels": {"in_app": True, "email": False}}), expect(200)),
    ("POST", "/api/v1/spaces"): (lambda w: ("/api/v1/spaces", {"name": "Neu", "capacity": 2}),
                                 expect(403, organiser=201, foreign=201)),
    ("GET", "/api/v1/spaces"): (lambda w: ("/api/v1/spaces", None), expect(200)),
    ("GET", "/api/v1/spaces/<space_id>"): (lambda w: (f"/api/v1/spaces/{w.space}", None), expect(200, foreign=404)),
    ("PATCH", "/api/v1/spaces/<space_id>"): (lambda w: (f"/api/v1/spaces/{w.space}", {"capacity": 10}),
                                             expect(403, organiser=200, foreign=404)),
    ("GET", "/api/v1/spaces/<space_id>/availability"): (
        lambda w: (f"/api/v1/spaces/{w.space}/availability?date={at(3, 0)[:10]}", None), expect(200, foreign=404)),
    ("GET", "/api/v1/spaces/<space_id>/calendar.ics"): (lambda w: (f"/api/v1/spaces/{w.space}/calendar.ics", None),
                                                        expect(200, foreign=404)),
    ("POST", "/api/v1/bookings"): (lambda w: ("/api/v1/bookings", {"space_id": w.space, **w.slot()}),
                                   expect(201, foreign=404)),
    ("GET", "/api/v1/bookings"): (lambda w: ("/api/v1/bookings", None), expect(200)),
    ("GET", "/api/v1/bookings/<booking_id>"): (lambda w: (f"/api/v1/bookings/{w.booking()}", None),
                                               expect(200, foreign=404)),
    ("DELETE", "/api/v1/bookings/<booking_id>"): (lambda w: (f"/api/v1/bookings/{w.booking()}", None),
                                                  expect(204, other=403, foreign=404)),
    ("POST", "/api/v1/bookings/<booking_id>/approve"): (
        lambda w: (f"/api/v1/bookings/{w.booking(w.flat)}/approve", None), expect(403, organiser=200, foreign=404)),
    ("POST", "/api/v1/bookings/<booking_id>/reject"): (
        lambda w: (f"/api/v1/bookings/{w.booking(w.flat)}/reject", None), expect(403, organiser=200, foreign=404)),
    ("POST", "/api/v1/calendar/feed-link"): (lambda w: ("/api/v1/calendar/feed-link", None), expect(201)),
    ("GET", "/api/v1/calendar/<feed_token>.ics"): (lambda w: (w.feed, None), dict.fromkeys(ACTORS, 200)),
    ("POST", "/api/v1/help-requests"): (lambda w: ("/api/v1/help-requests", {"title": "Hilfe", "category": "tech"}),
                                        expect(201)),
    ("GET", "/api/v1/help-requests"): (lambda w: ("/api/v1/help-requests", None), expect(200)),
    ("GET", "/api/v1/help-requests/<request_id>"): (lambda w: (f"/api/v1/help-requests/{w.help_request()[0]}", None),
                                                    expect(200, foreign=404)),
    ("POST", "/api/v1/help-requests/<request_id>/offers"): (
        lambda w: (f"/api/v1/help-requests/{w.help_request()[0]}/offers", {"message": "gern"}),
        expect(201, owner=403, foreign=404)),
    ("POST", "/api/v1/help-requests/<request_id>/accept"): (
        lambda w: w.accept_call(), expect(403, owner=200, foreign=404)),
    ("POST", "/api/v1/help-requests/<request_id>/complete"): (
        lambda w: (f"/api/v1/help-requests/{w.help_request(accepted=True)[0]}/complete", None),
        expect(403, owner=200, foreign=404)),
    ("POST", "/api/v1/help-requests/<request_id>/cancel"): (
        lambda w: (f"/api/v1/help-requests/{w.help_request()[0]}/cancel", None),
        expect(403, owner=200, organiser=200, foreign=404)),
    ("GET", "/api/v1/notifications"): (lambda w: ("/api/v1/notifications", None), expect(200)),
    ("POST", "/api/v1/notifications/<notification_id>/read"): (
        lambda w: (f"/api/v1/notifications/{w.own_notification()}/read", None), expect(404, owner=204)),
    ("POST", "/api/v1/notices"): (lambda w: ("/api/v1/notices", {"title": "T", "body": "B", "audience": "all"}),
                                  expect(403, organiser=201, foreign=201)),
    ("GET", "/api/v1/notices"): (lambda w: ("/api/v1/notices", None), expect(200)),
    ("GET", "/api/v1/notices/<notice_id>/receipts"): (lambda w: (f"/api/v1/notices/{w.notice}/receipts", None),
                                                      expect(403, organiser=200, foreign=404)),
    ("GET", "/api/v1/notices/board.html"): (lambda w: ("/api/v1/notices/board.html", None), expect(200)),
}


def _tick(world):
    world.hour += 1
    return world.hour


def _accept_call(world):
    request_id, offer_id = world.help_request(offered=True)
    return f"/api/v1/help-requests/{request_id}/accept", {"offer_id": offer_id}


World.tick = _tick
World.accept_call = _accept_call


def routes() -> set[tuple[str, str]]:
    """Every route of the API and of operations; the web pages have their own matrix in test_web_access.py."""
    app = create_app({"TESTING": True})
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "api-docs.openapi_json") or rule.endpoint.startswith("web_"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method, rule.rule))
    return found


def test_every_route_is_in_the_matrix():
    missing = routes() - set(MATRIX) - {("GET", "/api/openapi.json")}
    assert not missing, f"routes without an entry in the authorization matrix: {sorted(missing)}"


@pytest.fixture(scope="module")
def world(platform):
    return World(platform)


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda route: f"{route[0]} {route[1]}")
def test_each_caller_gets_the_expected_answer(world, route):
    call, expected = MATRIX[route]
    if call is None:
        pytest.skip(expected)
    method = route[0]
    answers = {}
    for actor in ACTORS:
        path, body = call(world)
        response = world.clients[actor].request(method, path, json=body)
        answers[actor] = response.status_code
    assert answers == expected
