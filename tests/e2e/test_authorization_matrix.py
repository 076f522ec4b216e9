"""Who may do what, and what another house sees: every endpoint of the gateway against every kind of caller.

Callers: anonymous; a resident who owns the thing (`owner`); another resident of the same community
(`other`); an organiser; the organiser (`foreign`) and a resident (`stranger`) of a second community, made
with the command line as programme staff make one; a deactivated member; and people the owner trusts, each
sending `X-Acting-For: <owner>`: a neighbour trusted with every scope (`trusted`), one trusted with every scope but
the route's (`out_of_scope`), one whose trust the owner ended (`revoked`); and a `supporter` from outside the
house the owner invited, acting for nobody.

Each entry says which part of the platform a route belongs to when done for someone (`acting=`): there the trusted
caller gets what the owner gets, everywhere else 403; and whether a supporter may use it for themselves
(`supporters=True`: they get what another resident gets), else 403.

Each entry names the answer every caller gets, and what the organiser of the first community reads in the
answer of the data marked as that community's (names, phones, a household, room names, purposes, help titles
and descriptions, notice texts: `MARKED`). No answer to the second community's members holds any of it, while
the organiser's answer to the same call holds what the entry names: the check is shown to be able to fail. A
new route without an entry here fails `test_every_route_is_in_the_matrix`.
"""
from datetime import datetime, timedelta, timezone

import pytest

from gateway.app import create_app
from tests.support.processes import MEMBER_PASSWORD as PASSWORD
from tests.support.processes import eventually, readable

ACTORS = ("anonymous", "owner", "other", "organiser", "foreign", "stranger", "deactivated", "trusted",
          "out_of_scope", "revoked", "supporter")
OTHER_HOUSE = ("foreign", "stranger")
SCOPES = ("bookings", "help", "messages", "check_in", "decisions", "activities")

# The first community's data, as its members enter it.
OWNER = {"display_name": "Ottilie Eigenbrodt", "phone": "040 31 41 59", "household": "Haus Ottilie 3",
         "share_phone": True}
OTHER = {"display_name": "Anton Andersheim", "phone": "040 27 18 28", "share_phone": True}
ORGANISER_NAME = "Olga Organiser"  # the first organiser, as tests.support.processes starts the platform
ROOM, FLAT = "Saal Markiert", "Gaestewohnung Markiert"
PURPOSE = "Tanztee bei Ottilie"
HELP = {"title": "Einkauf fuer Ottilie", "description": "Drei Kilo Aepfel vom Wochenmarkt", "category": "shopping"}
NOTICE = {"title": "Wasserabstellung Markiert", "body": "Am Dienstag kein Wasser im ganzen Haus", "audience": "all"}
ACTIVITY = "Kochabend Markiert"
MARKED = (*(OWNER[key] for key in ("display_name", "phone", "household")), OTHER["display_name"], OTHER["phone"],
          ORGANISER_NAME, ROOM, FLAT, PURPOSE, HELP["title"], HELP["description"], NOTICE["title"], NOTICE["body"],
          "Treppenhaus Markiert", ACTIVITY)


def at(days: int, hour: int) -> str:
    moment = datetime.now(timezone(timedelta(hours=1))) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


# The house's poll (marked: the other house reads nothing of it).
DECISION = {"title": "Treppenhaus Markiert", "body": "Welche Farbe?", "kind": "poll", "options": ["Gelb", "Blau"],
            "closes_at": at(7, 18)}


class World:
    """Community A with its organiser, the owner, another resident and a deactivated member, and its marked
    data; community B, made with the command line, with its organiser and a resident; and things owned by the
    owner, made fresh where a call would use them up. `caller` is the actor a call is made for."""

    def __init__(self, platform):
        self.platform = platform
        self.caller = None
        self.organiser = platform.organiser()
        self.owner, self.owner_id = self.resident("owner@example.org", **OWNER)
        self.other, self.other_id = self.resident("other@example.org", **OTHER)
        deactivated, deactivated_id = self.resident("gone@example.org")
        self.organiser.patch(f"/api/v1/members/{deactivated_id}", json={"active": False})
        created = platform.cli("services.members.cli", "create-community", "--name", "Haus Fremd",
                               "--organiser-email", "foreign@example.org", ORGANISER_PASSWORD=PASSWORD)
        assert created.returncode == 0, created.stderr
        foreign = platform.login("foreign@example.org", PASSWORD)
        stranger, _ = platform.join(foreign, "stranger@example.org")
        self.clients = {"anonymous": platform.client(), "owner": self.owner, "other": self.other,
                        "organiser": self.organiser, "foreign": foreign, "stranger": stranger,
                        "deactivated": deactivated}
        self.clients["trusted"] = self.trusted_with(SCOPES, "trusted@example.org")
        revoked_client = self.trusted_with(SCOPES, "revoked@example.org")
        trust_id = self.owner.get("/api/v1/members/me/trusted-persons").json()["items"][0]["id"]
        assert self.owner.delete(f"/api/v1/members/me/trusted-persons/{trust_id}").status_code == 204
        self.clients["revoked"] = revoked_client
        invited = self.owner.post("/api/v1/members/me/trusted-persons", json={
            "invite": {"email": "supporter@example.org", "display_name": "Sina Supporter", "relation": "Tochter"},
            "scopes": list(SCOPES)})
        assert invited.status_code == 201, invited.text
        registered = platform.client().post("/api/v1/members", json={
            "invitation_code": invited.json()["invitation_code"], "email": "supporter@example.org",
            "password": PASSWORD, "display_name": "Sina Supporter", "preferred_language": "de"})
        assert registered.status_code == 201, registered.text
        self.clients["supporter"] = platform.login("supporter@example.org", PASSWORD)
        self.out_of_scope = {}
        self.space = self.organiser.post("/api/v1/spaces", json={"name": ROOM, "capacity": 9, "rules": {
            "open_from": "00:00", "open_until": "00:00", "max_days_ahead": 300}}).json()["id"]
        self.flat = self.organiser.post("/api/v1/spaces", json={"name": FLAT, "capacity": 2, "rules": {
            "open_from": "00:00", "open_until": "00:00", "requires_approval": True, "max_days_ahead": 300}}).json()["id"]
        self.hour = 0
        # The notifications service knows the organiser (the first organiser's welcome goes out with the relay)
        # and the owner before anything is asked of them.
        for client in (self.organiser, self.owner):
            assert eventually(lambda c=client: c.get("/api/v1/notifications").json()["items"], seconds=30), \
                "the notifications service never heard of a member"
        self.notice = self.organiser.post("/api/v1/notices", json=NOTICE).json()["id"]
        # Each house's members read their own calendar link; A's callers all read the owner's (the link is the key).
        self.feeds = {"owner": self.owner.post("/api/v1/calendar/feed-link").json()["path"]}
        for actor in OTHER_HOUSE:
            self.feeds[actor] = self.clients[actor].post("/api/v1/calendar/feed-link").json()["path"]
        # Marked data in every list before the matrix runs: a booking of each room (the flat's asks the
        # organisers, whose inbox names the owner), a help request, the notice delivered (its receipts name
        # the members who have not read it).
        self.booking()
        self.booking(self.flat)
        self.help_request()
        self.activity()
        assert eventually(lambda: OWNER["display_name"] in self.organiser.get("/api/v1/notifications").text,
                          seconds=30), "the owner's request never reached the organiser's inbox"
        assert eventually(lambda: OWNER["display_name"] in self.organiser.get(
            f"/api/v1/notices/{self.notice}/receipts").text, seconds=30), "the notice never reached the owner"

    def trusted_with(self, scopes, email):
        """A new resident the owner trusts with `scopes`, acting for the owner."""
        client, member_id = self.resident(email)
        granted = self.owner.post("/api/v1/members/me/trusted-persons", json={"member_id": member_id,
                                                                               "scopes": list(scopes)})
        assert granted.status_code == 201, granted.text
        return client.acting_for(self.owner_id)

    def client(self, actor: str, scope: str | None):
        """The caller `actor`; the out-of-scope one is trusted with every scope but the route's."""
        if actor != "out_of_scope":
            return self.clients[actor]
        if scope not in self.out_of_scope:
            self.out_of_scope[scope] = self.trusted_with([s for s in SCOPES if s != scope],
                                                         f"outside-{scope or 'all'}@example.org")
        return self.out_of_scope[scope]

    def resident(self, email, **profile):
        client, registered = self.platform.join(self.organiser, email, **profile)
        return client, registered["id"]

    def feed(self) -> str:
        return self.feeds.get(self.caller, self.feeds["owner"])

    def slot(self) -> dict:
        """A free hour, a new one at every call."""
        self.hour += 1
        day, hour = divmod(self.hour, 20)
        return {"start": at(3 + day, hour), "end": at(3 + day, hour + 1)}

    def booking(self, space=None) -> str:
        return self.owner.post("/api/v1/bookings", json={"space_id": space or self.space, **self.slot(),
                                                         "purpose": PURPOSE}).json()["id"]

    def help_request(self, offered=False, accepted=False) -> tuple[str, str | None]:
        request_id = self.owner.post("/api/v1/help-requests", json=HELP).json()["id"]
        offer_id = None
        if offered or accepted:
            offer_id = self.other.post(f"/api/v1/help-requests/{request_id}/offers", json={"message": "ich"}).json()["id"]
        if accepted:
            self.owner.post(f"/api/v1/help-requests/{request_id}/accept", json={"offer_id": offer_id})
        return request_id, offer_id

    def activity(self, signed_up: bool = True) -> str:
        """A new activity of the owner's, the owner signed up for it (unless not `signed_up`); its id."""
        created = self.owner.post("/api/v1/activities", json={"title": ACTIVITY, "capacity": 20, **{
            key.replace("start", "starts_at").replace("end", "ends_at"): value for key, value in self.slot().items()}})
        assert created.status_code == 201, created.text
        if signed_up:
            answer = self.owner.post(f"/api/v1/activities/{created.json()['id']}/signups", json={})
            assert answer.status_code == 201, answer.text
        return created.json()["id"]

    def own_notification(self) -> str:
        return self.owner.get("/api/v1/notifications").json()["items"][0]["id"]

    def buddy_request(self) -> str:
        """The owner asks the other resident to be a buddy (again, should a call have withdrawn it); its id."""
        asked = self.owner.put("/api/v1/members/me/check-in", json={"enabled": False, "daily_by": "10:00",
                                                                     "buddies": [self.other_id]})
        assert asked.status_code == 200, asked.text
        return next(r["id"] for r in self.other.get("/api/v1/check-in/buddy-requests").json()["items"]
                    if r["member_id"] == self.owner_id)


class Expected(dict):
    """Status per caller, and the part of the platform the route belongs to when done for someone."""

    scope: str | None = None


def expect(default, *, acting: str | None = None, supporters: bool = False, **exceptions) -> Expected:
    """Expected status per actor: `default` for the authenticated members unless named; the stranger (a
    resident of community B) gets what the foreign organiser gets unless named; the trusted caller what the owner
    gets where the route may be done for someone (`acting`), else 403; callers outside or after their trust 403;
    the supporter what another resident gets where supporters may use the route, else 403."""
    table = Expected({"anonymous": 401, "deactivated": 401, "owner": default, "other": default,
                      "organiser": default, "foreign": default})
    table.update(exceptions)
    table.setdefault("stranger", table["foreign"])
    table.setdefault("trusted", table["owner"] if acting else 403)
    table.setdefault("out_of_scope", 403)
    table.setdefault("revoked", 403)
    table.setdefault("supporter", table["other"] if supporters else 403)
    table.scope = acting
    return table


NOTHING = ()  # the answer holds none of the marked data, to any caller
# (method, rule) -> (how to call it: world -> (path, json), expected statuses, the marked data the first
# community's organiser reads in the answer)
MATRIX = {
    ("GET", "/healthz"): (lambda w: ("/healthz", None), dict.fromkeys(ACTORS, 200), NOTHING),
    ("GET", "/readyz"): (lambda w: ("/readyz", None), dict.fromkeys(ACTORS, 200), NOTHING),
    ("GET", "/metrics"): (lambda w: ("/metrics", None), dict.fromkeys(ACTORS, 200), NOTHING),
    ("GET", "/api/openapi.json"): (lambda w: ("/api/openapi.json", None), dict.fromkeys(ACTORS, 200), NOTHING),
    ("POST", "/api/v1/auth/login"): (lambda w: ("/api/v1/auth/login", {"email": f"nobody{w.tick()}@example.org",
                                                                        "password": "wrong"}),
                                     dict.fromkeys(ACTORS, 401), NOTHING),
    ("POST", "/api/v1/auth/login-link"): (
        lambda w: ("/api/v1/auth/login-link", {"email": f"nobody{w.tick()}@example.org"}), dict.fromkeys(ACTORS, 202),
        NOTHING),
    ("POST", "/api/v1/auth/login-link/redeem"): (
        lambda w: ("/api/v1/auth/login-link/redeem", {"token": "no-such-link"}), dict.fromkeys(ACTORS, 401), NOTHING),
    ("POST", "/api/v1/members"): (lambda w: ("/api/v1/members", {
        "invitation_code": "no-such-code", "email": "x@example.org", "password": PASSWORD, "display_name": "X",
        "preferred_language": "de"}), dict.fromkeys(ACTORS, 404), NOTHING),
    ("POST", "/api/v1/invitations"): (lambda w: ("/api/v1/invitations", {"email": "n@example.org", "role": "resident"}),
                                      expect(403, organiser=201, foreign=201, stranger=403), NOTHING),
    ("GET", "/api/v1/members"): (lambda w: ("/api/v1/members", None), expect(200),
                                 (OWNER["display_name"], OWNER["phone"], OTHER["display_name"], OTHER["phone"])),
    ("GET", "/api/v1/members/me"): (lambda w: ("/api/v1/members/me", None), expect(200, supporters=True), (ORGANISER_NAME,)),
    ("PATCH", "/api/v1/members/me"): (lambda w: ("/api/v1/members/me", {"languages": ["de", "tr"]}), expect(200, supporters=True),
                                      (ORGANISER_NAME,)),
    ("DELETE", "/api/v1/members/me"): (None, "erasure has its own tests; here it would erase the callers", NOTHING),
    ("GET", "/api/v1/members/me/export"): (lambda w: ("/api/v1/members/me/export", None), expect(200, supporters=True),
                                           (ORGANISER_NAME, FLAT, NOTICE["title"])),
    ("GET", "/api/v1/members/<member_id>"): (lambda w: (f"/api/v1/members/{w.owner_id}", None),
                                             expect(200, foreign=404),
                                             (OWNER["display_name"], OWNER["phone"], OWNER["household"])),
    ("PATCH", "/api/v1/members/<member_id>"): (lambda w: (f"/api/v1/members/{w.other_id}", {"household": "H"}),
                                               expect(403, organiser=200, foreign=404, stranger=403), (OTHER["display_name"],)),
    ("GET", "/api/v1/members/me/preferences"): (lambda w: ("/api/v1/members/me/preferences", None), expect(200, supporters=True),
                                                NOTHING),
    ("PUT", "/api/v1/members/me/preferences"): (lambda w: ("/api/v1/members/me/preferences",
                                                           {"channels": {"in_app": True, "email": False}}), expect(200, supporters=True),
                                                NOTHING),
    ("POST", "/api/v1/spaces"): (lambda w: ("/api/v1/spaces", {"name": "Neu", "capacity": 2}),
                                 expect(403, organiser=201, foreign=201, stranger=403), NOTHING),
    ("GET", "/api/v1/spaces"): (lambda w: ("/api/v1/spaces", None), expect(200, acting="bookings"), (ROOM, FLAT)),
    ("GET", "/api/v1/spaces/<space_id>"): (lambda w: (f"/api/v1/spaces/{w.space}", None), expect(200, foreign=404, acting="bookings"),
                                           (ROOM,)),
    ("PATCH", "/api/v1/spaces/<space_id>"): (lambda w: (f"/api/v1/spaces/{w.space}", {"capacity": 10}),
                                             expect(403, organiser=200, foreign=404, stranger=403), (ROOM,)),
    ("GET", "/api/v1/spaces/<space_id>/availability"): (
        lambda w: (f"/api/v1/spaces/{w.space}/availability?date={at(3, 0)[:10]}", None), expect(200, foreign=404, acting="bookings"),
        NOTHING),
    ("GET", "/api/v1/spaces/<space_id>/calendar.ics"): (lambda w: (f"/api/v1/spaces/{w.space}/calendar.ics", None),
                                                        expect(200, foreign=404, acting="bookings"), (ROOM, PURPOSE)),
    ("POST", "/api/v1/bookings"): (lambda w: ("/api/v1/bookings", {"space_id": w.space, **w.slot()}),
                                   expect(201, foreign=404, acting="bookings"), (ROOM,)),
    ("GET", "/api/v1/bookings"): (lambda w: ("/api/v1/bookings", None), expect(200, acting="bookings"), (ROOM, PURPOSE)),
    ("GET", "/api/v1/bookings/<booking_id>"): (lambda w: (f"/api/v1/bookings/{w.booking()}", None),
                                               expect(200, foreign=404, acting="bookings"), (ROOM, PURPOSE)),
    ("DELETE", "/api/v1/bookings/<booking_id>"): (lambda w: (f"/api/v1/bookings/{w.booking()}", None),
                                                  expect(204, other=403, foreign=404, acting="bookings"), NOTHING),
    ("POST", "/api/v1/bookings/<booking_id>/approve"): (
        lambda w: (f"/api/v1/bookings/{w.booking(w.flat)}/approve", None),
        expect(403, organiser=200, foreign=404, stranger=403),
        (FLAT, PURPOSE)),
    ("POST", "/api/v1/bookings/<booking_id>/reject"): (
        lambda w: (f"/api/v1/bookings/{w.booking(w.flat)}/reject", None),
        expect(403, organiser=200, foreign=404, stranger=403),
        (FLAT, PURPOSE)),
    ("POST", "/api/v1/calendar/feed-link"): (lambda w: ("/api/v1/calendar/feed-link", None), expect(201), NOTHING),
    # The first community's callers read the owner's link (whoever holds it may); each member of the other
    # house reads their own.
    ("GET", "/api/v1/calendar/<feed_token>.ics"): (lambda w: (w.feed(), None), dict.fromkeys(ACTORS, 200),
                                                   (ROOM, PURPOSE)),
    ("POST", "/api/v1/help-requests"): (lambda w: ("/api/v1/help-requests", {"title": "Hilfe", "category": "tech"}),
                                        expect(201, acting="help"), NOTHING),
    ("GET", "/api/v1/help-requests"): (lambda w: ("/api/v1/help-requests", None), expect(200, acting="help"),
                                       (HELP["title"], OWNER["display_name"])),
    ("GET", "/api/v1/help-requests/<request_id>"): (lambda w: (f"/api/v1/help-requests/{w.help_request()[0]}", None),
                                                    expect(200, foreign=404, acting="help"),
                                                    (HELP["title"], HELP["description"], OWNER["display_name"])),
    ("POST", "/api/v1/help-requests/<request_id>/offers"): (
        lambda w: (f"/api/v1/help-requests/{w.help_request()[0]}/offers", {"message": "gern"}),
        expect(201, owner=403, foreign=404, acting="help"), (ORGANISER_NAME,)),
    ("POST", "/api/v1/help-requests/<request_id>/accept"): (
        lambda w: w.accept_call(), expect(403, owner=200, foreign=404, acting="help"), NOTHING),
    ("POST", "/api/v1/help-requests/<request_id>/complete"): (
        lambda w: (f"/api/v1/help-requests/{w.help_request(accepted=True)[0]}/complete", None),
        expect(403, owner=200, foreign=404, acting="help"), NOTHING),
    ("POST", "/api/v1/help-requests/<request_id>/cancel"): (
        lambda w: (f"/api/v1/help-requests/{w.help_request()[0]}/cancel", None),
        expect(403, owner=200, organiser=200, foreign=404, acting="help"), (HELP["title"], HELP["description"])),
    ("GET", "/api/v1/notifications"): (lambda w: ("/api/v1/notifications", None), expect(200, acting="messages", supporters=True),
                                       (OWNER["display_name"], FLAT, NOTICE["title"])),
    ("POST", "/api/v1/notifications/<notification_id>/read"): (
        lambda w: (f"/api/v1/notifications/{w.own_notification()}/read", None), expect(404, owner=204, acting="messages", supporters=True), NOTHING),
    ("POST", "/api/v1/notices"): (lambda w: ("/api/v1/notices", {"title": "T", "body": "B", "audience": "all"}),
                                  expect(403, organiser=201, foreign=201, stranger=403), NOTHING),
    ("GET", "/api/v1/notices"): (lambda w: ("/api/v1/notices", None), expect(200, acting="messages"), (NOTICE["title"], NOTICE["body"])),
    ("GET", "/api/v1/notices/<notice_id>/receipts"): (lambda w: (f"/api/v1/notices/{w.notice}/receipts", None),
                                                      expect(403, organiser=200, foreign=404, stranger=403),
                                                      (OWNER["display_name"], OWNER["phone"], OWNER["household"])),
    ("GET", "/api/v1/notices/board.html"): (lambda w: ("/api/v1/notices/board.html", None), expect(200, acting="messages"),
                                            (NOTICE["title"], NOTICE["body"])),
    ("GET", "/api/v1/members/me/check-in"): (lambda w: ("/api/v1/members/me/check-in", None), expect(200, acting="check_in"), NOTHING),
    ("PUT", "/api/v1/members/me/check-in"): (lambda w: ("/api/v1/members/me/check-in", {
        "enabled": False, "daily_by": "10:00", "buddies": []}), expect(200, acting="check_in"), NOTHING),
    ("POST", "/api/v1/check-ins"): (lambda w: ("/api/v1/check-ins", {}), expect(201, acting="check_in"), NOTHING),
    ("PUT", "/api/v1/members/me/away"): (lambda w: ("/api/v1/members/me/away", {"from": at(3, 0)[:10],
                                                                                 "until": at(4, 0)[:10]}),
                                         expect(200, acting="check_in"), NOTHING),
    ("DELETE", "/api/v1/members/me/away"): (lambda w: ("/api/v1/members/me/away", None), expect(204, acting="check_in"), NOTHING),
    ("GET", "/api/v1/check-in/buddy-requests"): (lambda w: ("/api/v1/check-in/buddy-requests", None), expect(200), NOTHING),
    ("POST", "/api/v1/check-in/buddy-requests/<request_id>/accept"): (
        lambda w: (f"/api/v1/check-in/buddy-requests/{w.buddy_request()}/accept", None),
        expect(403, other=200, foreign=404), NOTHING),
    ("POST", "/api/v1/check-in/buddy-requests/<request_id>/decline"): (
        lambda w: (f"/api/v1/check-in/buddy-requests/{w.buddy_request()}/decline", None),
        expect(403, other=200, foreign=404), NOTHING),
    ("GET", "/api/v1/alerts"): (lambda w: ("/api/v1/alerts", None), expect(200), NOTHING),
    # A real alert needs a missed deadline: who may see and act on one is tested with the care service
    # (tests/integration/test_care_service.py); here, an alert nobody has is unknown to everyone.
    ("GET", "/api/v1/alerts/<alert_id>"): (lambda w: ("/api/v1/alerts/nobody:2026-12-01", None), expect(404), NOTHING),
    ("POST", "/api/v1/alerts/<alert_id>/acknowledge"): (
        lambda w: ("/api/v1/alerts/nobody:2026-12-01/acknowledge", None), expect(404), NOTHING),
    ("POST", "/api/v1/alerts/<alert_id>/resolve"): (
        lambda w: ("/api/v1/alerts/nobody:2026-12-01/resolve", {"outcome": "fine"}), expect(404), NOTHING),
    ("GET", "/api/v1/members/me/emergency-sheet"): (lambda w: ("/api/v1/members/me/emergency-sheet", None),
                                                    expect(200, acting="check_in"), NOTHING),
    ("PUT", "/api/v1/members/me/emergency-sheet"): (lambda w: ("/api/v1/members/me/emergency-sheet", {
        "contacts": [{"name": "Deniz", "phone": "0171 5550123", "relation": "Sohn"}], "readers": []}), expect(200, acting="check_in"), NOTHING),
    ("GET", "/api/v1/members/me/emergency-sheet/reads"): (
        lambda w: ("/api/v1/members/me/emergency-sheet/reads", None), expect(200, acting="check_in"), NOTHING),
    ("POST", "/api/v1/activities"): (lambda w: ("/api/v1/activities", {
        "title": "Spieleabend", **{key.replace("start", "starts_at").replace("end", "ends_at"): value
                                   for key, value in w.slot().items()}}),
        expect(201, acting="activities"), (ORGANISER_NAME,)),
    ("GET", "/api/v1/activities"): (lambda w: ("/api/v1/activities", None), expect(200, acting="activities"),
                                    (ACTIVITY, OWNER["display_name"])),
    ("GET", "/api/v1/activities/<activity_id>"): (lambda w: (f"/api/v1/activities/{w.activity()}", None),
                                                  expect(200, foreign=404, acting="activities"),
                                                  (ACTIVITY, OWNER["display_name"])),
    ("PATCH", "/api/v1/activities/<activity_id>"): (lambda w: (f"/api/v1/activities/{w.activity()}",
                                                                {"description": "Mit Nachtisch"}),
                                                    expect(403, owner=200, organiser=200, foreign=404,
                                                           acting="activities"), (ACTIVITY, OWNER["display_name"])),
    ("DELETE", "/api/v1/activities/<activity_id>"): (lambda w: (f"/api/v1/activities/{w.activity()}", None),
                                                     expect(403, owner=204, organiser=204, foreign=404,
                                                            acting="activities"), NOTHING),
    ("POST", "/api/v1/activities/<activity_id>/signups"): (
        lambda w: (f"/api/v1/activities/{w.activity(signed_up=False)}/signups", {}),
        expect(201, foreign=404, acting="activities"),
        NOTHING),
    ("DELETE", "/api/v1/activities/<activity_id>/signups/me"): (
        lambda w: (f"/api/v1/activities/{w.activity()}/signups/me", None),
        expect(404, owner=204, acting="activities"), NOTHING),
    ("POST", "/api/v1/members/me/trusted-persons"): (lambda w: ("/api/v1/members/me/trusted-persons", {
        "invite": {"email": f"helfer{w.tick()}@example.org", "display_name": "Helfer"}, "scopes": ["help"]}),
        expect(201), NOTHING),
    ("GET", "/api/v1/members/me/trusted-persons"): (lambda w: ("/api/v1/members/me/trusted-persons", None),
                                                    expect(200), NOTHING),
    ("DELETE", "/api/v1/members/me/trusted-persons/<trust_id>"): (
        lambda w: (f"/api/v1/members/me/trusted-persons/{w.owners_new_trust()}", None),
        expect(404, owner=204, supporters=True), NOTHING),
    ("GET", "/api/v1/members/me/trusted-by"): (lambda w: ("/api/v1/members/me/trusted-by", None),
                                               expect(200, supporters=True), NOTHING),
    ("GET", "/api/v1/members/me/activity"): (lambda w: ("/api/v1/members/me/activity", None), expect(200), NOTHING),
    # Each caller's own sheet, printable: the owner's page names the owner and the flat, the organiser's their own.
    ("GET", "/api/v1/members/me/emergency-sheet.html"): (lambda w: ("/api/v1/members/me/emergency-sheet.html", None),
                                                         expect(200, acting="check_in"), (ORGANISER_NAME,)),
    ("GET", "/api/v1/members/<member_id>/emergency-sheet"): (
        lambda w: (f"/api/v1/members/{w.owner_id}/emergency-sheet", None), expect(403, owner=200, foreign=404), NOTHING),
    # Deciding together: each house's organiser opens decisions for their own house; residents read and vote in
    # those addressed to them (a trusted person for them); the call list names the owner with her phone.
    ("POST", "/api/v1/decisions"): (lambda w: ("/api/v1/decisions", {**DECISION, "title": "Neue Frage"}),
                                    expect(403, organiser=201, foreign=201, stranger=403), NOTHING),
    ("GET", "/api/v1/decisions"): (lambda w: (w.decision() and "/api/v1/decisions", None),
                                   expect(200, acting="decisions"), (DECISION["title"],)),
    ("GET", "/api/v1/decisions/<decision_id>"): (lambda w: (f"/api/v1/decisions/{w.decision()}", None),
                                                 expect(200, foreign=404, acting="decisions"), (DECISION["title"],)),
    ("POST", "/api/v1/decisions/<decision_id>/votes"): (
        lambda w: (f"/api/v1/decisions/{w.decision()}/votes", {"options": [1]}),
        expect(201, foreign=404, acting="decisions"), NOTHING),
    ("GET", "/api/v1/decisions/<decision_id>/not-voted"): (
        lambda w: (f"/api/v1/decisions/{w.decision(fresh=True)}/not-voted", None),
        expect(403, organiser=200, foreign=404, stranger=403), (OWNER["display_name"], OWNER["phone"])),
    ("POST", "/api/v1/decisions/<decision_id>/close"): (
        lambda w: (f"/api/v1/decisions/{w.decision(fresh=True)}/close", None),
        expect(403, organiser=200, foreign=404, stranger=403), (DECISION["title"],)),
    ("GET", "/api/v1/decisions/<decision_id>/ballot.html"): (
        lambda w: (f"/api/v1/decisions/{w.decision()}/ballot.html", None),
        expect(200, foreign=404, acting="decisions"), (DECISION["title"],)),
    ("GET", "/api/v1/decisions/<decision_id>/results.html"): (
        lambda w: (f"/api/v1/decisions/{w.decision(closed=True)}/results.html", None),
        expect(200, foreign=404, acting="decisions"), (DECISION["title"],)),
}


def _tick(world):
    world.hour += 1
    return world.hour


def _accept_call(world):
    request_id, offer_id = world.help_request(offered=True)
    return f"/api/v1/help-requests/{request_id}/accept", {"offer_id": offer_id}


def _owners_new_trust(world):
    """A trust the owner grants now (an invitation, so it can be made again and again); its id."""
    granted = world.owner.post("/api/v1/members/me/trusted-persons", json={
        "invite": {"email": f"ende{_tick(world)}@example.org", "display_name": "Ende"}, "scopes": ["help"]})
    assert granted.status_code == 201, granted.text
    return granted.json()["id"]


def _decision(world, fresh=False, closed=False) -> str:
    """The house's poll for everybody (opened once every member of the matrix is known to the decisions
    service, which learns of them by event), a fresh one, or a closed one; its id."""
    if not fresh and not closed and getattr(world, "poll", None):
        return world.poll
    if closed and getattr(world, "closed_poll", None):
        return world.closed_poll

    def everybody_asked():
        opened = world.organiser.post("/api/v1/decisions", json=DECISION).json()
        listed = readable(world.organiser.get(f"/api/v1/decisions/{opened['id']}/not-voted"))
        return opened["id"] if OWNER["display_name"] in listed and OTHER["display_name"] in listed else None

    decision_id = eventually(everybody_asked, seconds=30)
    assert decision_id, "the decisions service never heard of the owner and the other resident"
    if closed:
        assert world.organiser.post(f"/api/v1/decisions/{decision_id}/close").status_code == 200
        world.closed_poll = decision_id
    elif not fresh:
        world.poll = decision_id
    return decision_id


World.decision = _decision
World.tick = _tick
World.accept_call = _accept_call
World.owners_new_trust = _owners_new_trust


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
def test_each_caller_gets_the_expected_answer_and_the_other_house_reads_nothing_of_this_one(world, route):
    call, expected, seen = MATRIX[route]
    if call is None:
        pytest.skip(expected)
    method = route[0]
    answers = {}
    for actor in ACTORS:
        world.caller = actor
        path, body = call(world)
        answers[actor] = world.client(actor, getattr(expected, "scope", None)).request(method, path, json=body)
    assert {actor: answer.status_code for actor, answer in answers.items()} == dict(expected)
    organiser_reads = readable(answers["organiser"])
    assert [mark for mark in seen if mark not in organiser_reads] == [], "the check could not fail"
    # Nothing of the house reaches the other house, nor a supporter acting for nobody (but what anyone may read).
    # The supporter knows the name of the resident who trusts them (their export says whom they act for).
    readers = [*OTHER_HOUSE, *(["supporter"] if expected["supporter"] != expected["anonymous"] else [])]
    marked = {actor: [m for m in MARKED if actor != "supporter" or m != OWNER["display_name"]] for actor in readers}
    leaked = {actor: [mark for mark in marked[actor] if mark in readable(answers[actor])] for actor in readers}
    assert leaked == dict.fromkeys(readers, []), leaked
