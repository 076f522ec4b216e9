"""Who may open which web page, and the protections of the pages: every page route × {anonymous, resident,
organiser}; forms refused without their CSRF token; every form that acts on one member's thing refused to
another resident who posts it with the real ids, changing nothing; no page shows the organiser or a resident of
another house anything of this one; the session cookie HttpOnly and SameSite=Lax; a deactivated member's session
ends at once. A new page route without an entry here fails the first test, a page without an entry in
`SHOWN_TO_THE_ORGANISER` or a form with an id in its address without one in `OWNED` fails another."""
import html
import re
from datetime import datetime, timedelta, timezone

import pytest
import requests

from gateway.app import create_app
from tests.support.care import accept_request_of, alert_told_to, due_within_a_minute, put_once_known
from tests.support.processes import MEMBER_PASSWORD, ORGANISER, eventually

PUBLIC, MEMBER, ORGANISER_ONLY = "public", "member", "organiser"
# Public pages whose concrete path below answers with another status than 200, to everyone alike.
PUBLIC_STATUS = {("GET", "/check-in/link/<token>"): 404}  # a link that is not ours: a page saying so
# (method, rule) -> (who may, a concrete path)
PAGES = {
    ("GET", "/login"): (PUBLIC, "/login"),
    ("POST", "/login"): (PUBLIC, "/login"),
    ("POST", "/login/link"): (PUBLIC, "/login/link"),
    ("GET", "/login/link-sent"): (PUBLIC, "/login/link-sent"),
    ("GET", "/login/link/<token>"): (PUBLIC, "/login/link/no-such-link"),
    ("POST", "/login/link/<token>"): (PUBLIC, "/login/link/no-such-link"),
    ("GET", "/join"): (PUBLIC, "/join"),
    ("POST", "/join"): (PUBLIC, "/join"),
    ("POST", "/language"): (PUBLIC, "/language"),
    ("POST", "/logout"): (PUBLIC, "/logout"),
    ("GET", "/check-in/link/<token>"): (PUBLIC, "/check-in/link/not-a-link-of-ours"),
    ("POST", "/check-in/link/<token>"): (PUBLIC, "/check-in/link/not-a-link-of-ours"),
    ("GET", "/"): (MEMBER, "/"),
    ("GET", "/profile"): (MEMBER, "/profile"),
    ("POST", "/profile"): (MEMBER, "/profile"),
    ("POST", "/profile/notifications"): (MEMBER, "/profile/notifications"),
    ("GET", "/rooms"): (MEMBER, "/rooms"),
    ("GET", "/rooms/<space_id>"): (MEMBER, "/rooms/{space}"),
    ("POST", "/rooms/<space_id>/book"): (MEMBER, "/rooms/{space}/book"),
    ("GET", "/bookings"): (MEMBER, "/bookings"),
    ("POST", "/bookings/calendar-link"): (MEMBER, "/bookings/calendar-link"),
    ("POST", "/bookings/<booking_id>/cancel"): (MEMBER, "/bookings/{booking}/cancel"),
    ("GET", "/help"): (MEMBER, "/help"),
    ("GET", "/help/new"): (MEMBER, "/help/new"),
    ("POST", "/help/new"): (MEMBER, "/help/new"),
    ("GET", "/help/<request_id>"): (MEMBER, "/help/{request}"),
    ("POST", "/help/<request_id>/offer"): (MEMBER, "/help/{request}/offer"),
    ("POST", "/help/<request_id>/accept"): (MEMBER, "/help/{request}/accept"),
    ("POST", "/help/<request_id>/complete"): (MEMBER, "/help/{request}/complete"),
    ("POST", "/help/<request_id>/cancel"): (MEMBER, "/help/{request}/cancel"),
    ("GET", "/activities"): (MEMBER, "/activities"),
    ("GET", "/activities/new"): (MEMBER, "/activities/new"),
    ("POST", "/activities/new"): (MEMBER, "/activities/new"),
    ("GET", "/activities/<activity_id>"): (MEMBER, "/activities/{activity}"),
    ("POST", "/activities/<activity_id>/signup"): (MEMBER, "/activities/{activity}/signup"),
    ("POST", "/activities/<activity_id>/leave"): (MEMBER, "/activities/{activity}/leave"),
    ("POST", "/activities/<activity_id>/cancel"): (MEMBER, "/activities/{activity}/cancel"),
    ("GET", "/activities/<activity_id>/change"): (MEMBER, "/activities/{activity}/change"),  # Paula's own
    ("POST", "/activities/<activity_id>/change"): (MEMBER, "/activities/{activity}/change"),
    ("GET", "/inbox"): (MEMBER, "/inbox"),
    ("POST", "/inbox/<notification_id>/read"): (MEMBER, "/inbox/unknown/read"),
    ("GET", "/notices"): (MEMBER, "/notices"),
    ("GET", "/board"): (MEMBER, "/board"),
    ("POST", "/check-in"): (MEMBER, "/check-in"),
    ("GET", "/check-in/settings"): (MEMBER, "/check-in/settings"),
    ("POST", "/check-in/settings"): (MEMBER, "/check-in/settings"),
    ("POST", "/check-in/away"): (MEMBER, "/check-in/away"),
    ("POST", "/check-in/away/clear"): (MEMBER, "/check-in/away/clear"),
    ("GET", "/check-in/buddy-requests"): (MEMBER, "/check-in/buddy-requests"),
    ("POST", "/check-in/buddy-requests/<request_id>/<answer>"): (MEMBER, "/check-in/buddy-requests/unknown/accept"),
    ("GET", "/alerts"): (MEMBER, "/alerts"),
    ("GET", "/alerts/<alert_id>"): (MEMBER, "/alerts/{alert}"),
    ("POST", "/alerts/<alert_id>/acknowledge"): (MEMBER, "/alerts/unknown/acknowledge"),
    ("POST", "/alerts/<alert_id>/resolve"): (MEMBER, "/alerts/unknown/resolve"),
    ("GET", "/emergency-sheet"): (MEMBER, "/emergency-sheet"),
    ("POST", "/emergency-sheet"): (MEMBER, "/emergency-sheet"),
    ("GET", "/emergency-sheet/print"): (MEMBER, "/emergency-sheet/print"),
    # Paula's own sheet, which she names the organiser to read.
    ("GET", "/members/<member_id>/emergency-sheet"): (MEMBER, "/members/{paula}/emergency-sheet"),
    ("GET", "/trusted-persons"): (MEMBER, "/trusted-persons"),
    ("POST", "/trusted-persons"): (MEMBER, "/trusted-persons"),
    ("POST", "/trusted-persons/<trust_id>/end"): (MEMBER, "/trusted-persons/unknown/end"),
    ("GET", "/acting-for"): (MEMBER, "/acting-for"),
    ("POST", "/acting-for"): (MEMBER, "/acting-for"),
    ("POST", "/acting-for/stop"): (MEMBER, "/acting-for/stop"),
    ("GET", "/organise"): (ORGANISER_ONLY, "/organise"),
    ("GET", "/organise/invite"): (ORGANISER_ONLY, "/organise/invite"),
    ("POST", "/organise/invite"): (ORGANISER_ONLY, "/organise/invite"),
    ("GET", "/organise/spaces"): (ORGANISER_ONLY, "/organise/spaces"),
    ("GET", "/organise/spaces/new"): (ORGANISER_ONLY, "/organise/spaces/new"),
    ("POST", "/organise/spaces/new"): (ORGANISER_ONLY, "/organise/spaces/new"),
    ("GET", "/organise/spaces/<space_id>"): (ORGANISER_ONLY, "/organise/spaces/{space}"),
    ("POST", "/organise/spaces/<space_id>"): (ORGANISER_ONLY, "/organise/spaces/{space}"),
    ("GET", "/organise/approvals"): (ORGANISER_ONLY, "/organise/approvals"),
    ("POST", "/organise/bookings/<booking_id>/<decision>"): (ORGANISER_ONLY, "/organise/bookings/{booking}/approve"),
    ("GET", "/organise/notices/new"): (ORGANISER_ONLY, "/organise/notices/new"),
    ("POST", "/organise/notices/new"): (ORGANISER_ONLY, "/organise/notices/new"),
    ("GET", "/organise/notices/<notice_id>"): (ORGANISER_ONLY, "/organise/notices/{notice}"),
    ("GET", "/decisions"): (MEMBER, "/decisions"),
    ("GET", "/decisions/new"): (ORGANISER_ONLY, "/decisions/new"),
    ("POST", "/decisions/new"): (ORGANISER_ONLY, "/decisions/new"),
    ("GET", "/decisions/<decision_id>"): (MEMBER, "/decisions/{decision}"),
    ("POST", "/decisions/<decision_id>/vote"): (MEMBER, "/decisions/{decision}/vote"),
    ("GET", "/decisions/<decision_id>/call-list"): (ORGANISER_ONLY, "/decisions/{decision}/call-list"),
    ("POST", "/decisions/<decision_id>/record"): (ORGANISER_ONLY, "/decisions/{decision}/record"),
    ("POST", "/decisions/<decision_id>/close"): (ORGANISER_ONLY, "/decisions/{decision}/close"),
    ("GET", "/decisions/<decision_id>/ballot"): (MEMBER, "/decisions/{decision}/ballot"),
    ("GET", "/decisions/<decision_id>/results"): (MEMBER, "/decisions/{closed_decision}/results"),
}


def page_routes() -> set[tuple[str, str]]:
    app = create_app({"TESTING": True})
    return {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("web_")
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_page_route_is_in_the_access_table():
    assert page_routes() == set(PAGES), "page routes and the access table differ: " \
        f"missing {sorted(page_routes() - set(PAGES))}, stale {sorted(set(PAGES) - page_routes())}"


class Browser:
    """A cookie-keeping HTTP client that reads CSRF tokens off the pages, as a browser would send them."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = requests.Session()

    def csrf(self) -> str:
        html = self.session.get(f"{self.base_url}/login", timeout=10).text
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def log_in(self, email: str, password: str) -> "Browser":
        answer = self.post("/login", {"email": email, "password": password})
        assert answer.status_code == 303 and answer.headers["Location"] == "/", answer.text[:500]
        return self

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base_url + path, allow_redirects=False, timeout=10)

    def post(self, path: str, data: dict | None = None, *, with_csrf: bool = True) -> requests.Response:
        data = dict(data or {})
        if with_csrf:
            data["csrf_token"] = self.csrf()
        return self.session.post(self.base_url + path, data=data, allow_redirects=False, timeout=10)


@pytest.fixture(scope="module")
def world(platform):
    organiser = platform.organiser()
    space = organiser.post("/api/v1/spaces", json={"name": "Werkstatt", "capacity": 4}).json()
    resident, _ = platform.join(organiser, "paula@example.org", display_name="Paula")
    # The notice reaches the organiser too once the notifications service knows them (the first organiser's
    # welcome goes out with the outbox relay).
    assert eventually(lambda: organiser.get("/api/v1/notifications").json()["items"], seconds=30)
    notice = organiser.post("/api/v1/notices", json={"title": "Hoffest", "body": "Samstag im Hof.", "audience": "all"})
    ids = {"space": space["id"], "booking": "unknown-booking", "notice": notice.json()["id"],
           "request": resident.post("/api/v1/help-requests", json={"title": "Leiter halten",
                                                                   "category": "household"}).json()["id"],
           "paula": resident.get("/api/v1/members/me").json()["id"]}
    organiser_id = organiser.get("/api/v1/members/me").json()["id"]
    put_once_known(resident, "/api/v1/members/me/emergency-sheet", {
        "contacts": [{"name": "Tochter", "phone": "040 111"}], "readers": [organiser_id]})
    ids["alert"] = missed_check_in(platform, organiser, resident, ids["paula"])
    ids.update(house_decisions(organiser))
    soon = (datetime.now(timezone.utc) + timedelta(days=3)).replace(hour=17, minute=0, second=0, microsecond=0)
    activity = resident.post("/api/v1/activities", json={
        "title": "Suppenabend", "starts_at": soon.isoformat(), "ends_at": (soon + timedelta(hours=2)).isoformat(),
        "space_id": space["id"], "capacity": 10})
    assert activity.status_code == 201, activity.text
    ids["activity"] = activity.json()["id"]
    assert resident.post(f"/api/v1/activities/{ids['activity']}/signups", json={}).status_code == 201
    return {"ids": ids, "platform": platform}


def missed_check_in(platform, organiser, buddy, buddy_id) -> str:
    """A real alert: Miriam's check-in is due within the next minute and a bit (grace 0), her buddy accepts, and
    the care service's timer raises the alert once the time has passed; its id."""
    miriam, registered = platform.join(organiser, "miriam@example.org", display_name="Miriam Vogt", phone="040 5550",
                                       household="Wohnung 1.4")
    due_within_a_minute(miriam, [buddy_id])
    accept_request_of(buddy, registered["id"])
    return alert_told_to(buddy, registered["id"])


def house_decisions(organiser) -> dict:
    """An open poll for everybody (once the decisions service knows Paula: "Paula" is on its call list) and a
    closed one, both named after the marked festival."""
    poll = {"title": "Hoffest: welcher Tag?", "body": "Samstag oder Sonntag?", "kind": "poll",
            "options": ["Samstag", "Sonntag"],
            "closes_at": (datetime.now(BERLIN_WINTER) + timedelta(days=5)).replace(microsecond=0).isoformat()}

    def everybody_asked():
        decision = organiser.post("/api/v1/decisions", json=poll).json()
        listed = organiser.get(f"/api/v1/decisions/{decision['id']}/not-voted").json()
        return decision["id"] if "Paula" in [p["display_name"] for p in listed] else None

    ids = {"decision": eventually(everybody_asked, seconds=30),
           "closed_decision": organiser.post("/api/v1/decisions", json=poll).json()["id"]}
    assert ids["decision"], "the decisions service never heard of Paula"
    assert organiser.post(f"/api/v1/decisions/{ids['closed_decision']}/close").status_code == 200
    return ids


BERLIN_WINTER = timezone(timedelta(hours=1))
# Forms that act on a thing of one member, by its id in the address: posted with the real ids by residents
# other than the one it belongs to (and, for organisers' forms, by residents), then by the one it is for, to
# show that the ids and the data are right. (method, rule) -> (a concrete path, the form's data, who may not,
# who may). The ids are those of `things` below: Paula's, Hanna being her helper.
OWNED = {
    ("POST", "/bookings/<booking_id>/cancel"): ("/bookings/{booking}/cancel", {}, ("ingo", "hanna"), "paula"),
    ("POST", "/help/<request_id>/accept"): ("/help/{offered}/accept", {"offer_id": "{offer}"}, ("ingo", "hanna"),
                                            "paula"),
    ("POST", "/help/<request_id>/complete"): ("/help/{accepted}/complete", {}, ("ingo", "hanna"), "paula"),
    ("POST", "/help/<request_id>/cancel"): ("/help/{offered}/cancel", {}, ("ingo", "hanna"), "paula"),
    ("POST", "/inbox/<notification_id>/read"): ("/inbox/{notification}/read", {}, ("ingo", "hanna"), "paula"),
    # Any neighbour may offer help, but not the one who asks.
    ("POST", "/help/<request_id>/offer"): ("/help/{offered}/offer", {"message": "Das mache ich selbst"},
                                           ("paula",), "ingo"),
    # Paula asks Hanna to be her buddy: only Hanna answers.
    ("POST", "/check-in/buddy-requests/<request_id>/<answer>"): ("/check-in/buddy-requests/{buddy_request}/accept", {},
                                                                 ("ingo", "paula"), "hanna"),
    # Paula is the buddy told about Miriam's missed check-in; Hanna and Ingo were not told.
    ("POST", "/alerts/<alert_id>/acknowledge"): ("/alerts/{alert}/acknowledge", {}, ("ingo", "hanna"), "paula"),
    ("POST", "/alerts/<alert_id>/resolve"): ("/alerts/{alert}/resolve", {"outcome": "fine", "note": "Schlief"},
                                             ("ingo", "hanna"), "paula"),
    # Paula's trust in someone she invited: only she (or the one trusted) ends it.
    ("POST", "/trusted-persons/<trust_id>/end"): ("/trusted-persons/{trust}/end", {}, ("ingo", "hanna"), "paula"),
    # Paula's shared meal: only she (or an organiser) calls it off.
    ("POST", "/activities/<activity_id>/cancel"): ("/activities/{activity}/cancel", {"confirm": "yes"},
                                                   ("ingo", "hanna"), "paula"),
    ("POST", "/activities/<activity_id>/change"): ("/activities/{activity}/change", {
        "title": "Kaffee bei Paula", "date": "{meal_day}", "start": "16:00", "end": "18:00", "place": "Paulas Küche"},
        ("ingo", "hanna"), "paula"),
    ("POST", "/organise/bookings/<booking_id>/<decision>"): ("/organise/bookings/{pending}/approve", {},
                                                             ("paula", "ingo"), "organiser"),
    ("POST", "/decisions/<decision_id>/close"): ("/decisions/{decision}/close", {}, ("paula", "ingo"), "organiser"),
    ("POST", "/decisions/<decision_id>/record"): ("/decisions/{decision}/record",
                                                  {"member_id": "{paula_id}", "options": "1"},
                                                  ("paula", "ingo"), "organiser"),
    ("POST", "/organise/spaces/<space_id>"): ("/organise/spaces/{flat}", {
        "name": "Mein Zimmer", "capacity": "1", "open_from": "08:00", "open_until": "22:00", "slot_minutes": "30",
        "min_duration_minutes": "30", "max_duration_minutes": "60", "max_days_ahead": "30", "buffer_minutes": "0",
        "household_quota_minutes_per_week": ""},
        ("paula", "ingo"), "organiser"),
}
# Forms with an id in their address that act on no one member's thing, and why.
NOT_OWNED = {
    ("POST", "/check-in/link/<token>"): "no login: the signed token in the address is the proof, checked by the care "
                                        "service (a token that is not ours changes nothing)",
    ("POST", "/rooms/<space_id>/book"): "a room is the house's: every member may book it (the rules decide)",
    ("POST", "/login/link/<token>"): "a sign-in link is its own key: whoever holds it may use it, once",
    ("POST", "/decisions/<decision_id>/vote"): "a decision is the house's: every member it is for casts their own "
                                               "vote (the service takes it for the one logged in)",
    ("POST", "/activities/<activity_id>/signup"): "an activity is the house's: every member may sign up (its places "
                                                  "and its rules decide)",
    ("POST", "/activities/<activity_id>/leave"): "signs off only whoever posts it: there is nobody else's sign-up "
                                                 "to touch",
}


# The first house's data as its pages show it (Paula's name and request, the notice, the room, the organiser's
# name); the second house's organiser and resident open every page at the same address and see none of it.
MARKED = ("Paula", "Leiter halten", "Hoffest", "Samstag im Hof", "Werkstatt", "Olga Organiser", "Miriam Vogt",
          "Wohnung 1.4", "040 5550", "Suppenabend")
# (method, rule) of each page -> what of MARKED the first house's organiser sees there: the check can fail.
SHOWN_TO_THE_ORGANISER = {
    ("GET", "/login"): (), ("GET", "/join"): (), ("GET", "/check-in/link/<token>"): (),
    ("GET", "/login/link-sent"): (), ("GET", "/login/link/<token>"): (),
    ("GET", "/"): ("Olga Organiser",),
    ("GET", "/profile"): ("Olga Organiser",),
    ("GET", "/rooms"): ("Werkstatt",),
    ("GET", "/rooms/<space_id>"): ("Werkstatt",),
    ("GET", "/bookings"): (),  # the organiser's own bookings: none
    ("GET", "/help"): ("Leiter halten",),
    ("GET", "/help/new"): (),
    ("GET", "/help/<request_id>"): ("Leiter halten", "Paula"),
    ("GET", "/activities"): ("Suppenabend", "Werkstatt"),
    ("GET", "/activities/new"): ("Werkstatt",),  # the rooms one may book for it
    ("GET", "/activities/<activity_id>"): ("Suppenabend", "Paula", "Werkstatt"),  # organisers see who comes
    ("GET", "/activities/<activity_id>/change"): ("Suppenabend",),  # organisers change any activity
    ("GET", "/inbox"): ("Olga Organiser",),
    ("GET", "/notices"): ("Hoffest", "Samstag im Hof"),
    ("GET", "/board"): ("Hoffest", "Samstag im Hof"),
    ("GET", "/check-in/settings"): ("Paula",),  # the neighbours one may ask
    ("GET", "/check-in/buddy-requests"): (),
    ("GET", "/alerts"): ("Miriam Vogt",),  # every alert of the house
    ("GET", "/alerts/<alert_id>"): ("Miriam Vogt", "Wohnung 1.4", "040 5550", "Paula"),
    ("GET", "/emergency-sheet"): ("Paula",),  # the neighbours one may name as readers
    ("GET", "/emergency-sheet/print"): ("Olga Organiser",),
    ("GET", "/members/<member_id>/emergency-sheet"): ("Paula",),  # she named the organiser a reader
    ("GET", "/trusted-persons"): ("Paula",),  # the neighbours one may trust
    ("GET", "/acting-for"): (),  # nobody trusts the organiser
    ("GET", "/organise"): ("Hoffest",),
    ("GET", "/organise/invite"): (),
    ("GET", "/organise/spaces"): ("Werkstatt",),
    ("GET", "/organise/spaces/new"): (),
    ("GET", "/organise/spaces/<space_id>"): ("Werkstatt",),
    ("GET", "/organise/approvals"): (),
    ("GET", "/organise/notices/new"): (),
    ("GET", "/organise/notices/<notice_id>"): ("Hoffest", "Paula"),
    ("GET", "/decisions"): ("Hoffest",),
    ("GET", "/decisions/new"): (),
    ("GET", "/decisions/<decision_id>"): ("Hoffest",),
    ("GET", "/decisions/<decision_id>/call-list"): ("Hoffest", "Paula"),
    ("GET", "/decisions/<decision_id>/ballot"): ("Hoffest",),
    ("GET", "/decisions/<decision_id>/results"): ("Hoffest",),
}


def browsers(platform):
    return {"anonymous": Browser(platform.url),
            "resident": Browser(platform.url).log_in("paula@example.org", MEMBER_PASSWORD),
            "organiser": Browser(platform.url).log_in(ORGANISER["email"], ORGANISER["password"])}


@pytest.mark.parametrize("route", sorted(k for k in PAGES if k[0] == "GET"), ids=lambda r: f"{r[0]} {r[1]}")
def test_each_page_opens_only_for_those_it_is_for(world, route):
    who, path = PAGES[route]
    path = path.format(**world["ids"])
    answers = {name: client.get(path) for name, client in browsers(world["platform"]).items()}
    if who == PUBLIC:
        status = PUBLIC_STATUS.get(route, 200)
        assert {name: a.status_code for name, a in answers.items()} == \
            {"anonymous": status, "resident": status, "organiser": status}
        return
    anonymous = answers["anonymous"]
    assert anonymous.status_code == 303 and anonymous.headers["Location"].startswith("/login")
    assert answers["organiser"].status_code == 200
    assert answers["resident"].status_code == (200 if who == MEMBER else 403)
    assert "text/html" in answers["resident"].headers["Content-Type"]


@pytest.mark.parametrize("route", sorted(k for k in PAGES if k[0] == "POST"), ids=lambda r: f"{r[0]} {r[1]}")
def test_each_form_is_refused_without_its_csrf_token_and_to_those_it_is_not_for(world, route):
    who, path = PAGES[route]
    path = path.format(**world["ids"])
    clients = browsers(world["platform"])
    for name, client in clients.items():
        refused = client.post(path, {}, with_csrf=False)
        assert refused.status_code == 400, (name, refused.status_code)
        assert "text/html" in refused.headers["Content-Type"]
    if who == PUBLIC:
        return
    anonymous = clients["anonymous"].post(path, {})
    assert anonymous.status_code == 303 and anonymous.headers["Location"].startswith("/login")
    if who == ORGANISER_ONLY:
        assert clients["resident"].post(path, {}).status_code == 403


def test_every_page_says_what_of_the_house_it_shows():
    assert set(SHOWN_TO_THE_ORGANISER) == {route for route in PAGES if route[0] == "GET"}


@pytest.mark.parametrize("route", sorted(SHOWN_TO_THE_ORGANISER), ids=lambda r: f"{r[0]} {r[1]}")
def test_no_page_shows_a_member_of_another_house_anything_of_this_one(world, houses, route):
    path = PAGES[route][1].format(**world["ids"])
    seen = html.unescape(houses["organiser"].get(path).text)
    assert [mark for mark in SHOWN_TO_THE_ORGANISER[route] if mark not in seen] == [], "the check could not fail"
    for name in ("foreign", "stranger"):
        answer = houses[name].get(path)
        leaked = [mark for mark in MARKED if mark in html.unescape(answer.text)]
        assert leaked == [], (name, answer.status_code, leaked)


def test_every_form_with_an_id_in_its_address_is_in_the_ownership_table():
    with_ids = {route for route in PAGES if route[0] == "POST" and "<" in route[1]}
    assert with_ids == set(OWNED) | set(NOT_OWNED), "forms with ids and the ownership table differ: " \
        f"missing {sorted(with_ids - set(OWNED) - set(NOT_OWNED))}, stale {sorted(set(OWNED) - with_ids)}"


@pytest.fixture(scope="module")
def houses(world):
    """A second community made with the command line: its organiser and a resident, logged in; and the first
    house's organiser."""
    platform = world["platform"]
    created = platform.cli("services.members.cli", "create-community", "--name", "Haus Fremd",
                           "--organiser-email", "fremd@example.org", ORGANISER_PASSWORD=MEMBER_PASSWORD)
    assert created.returncode == 0, created.stderr
    platform.join(platform.login("fremd@example.org", MEMBER_PASSWORD), "fremde@example.org")
    return {"foreign": Browser(platform.url).log_in("fremd@example.org", MEMBER_PASSWORD),
            "stranger": Browser(platform.url).log_in("fremde@example.org", MEMBER_PASSWORD),
            "organiser": Browser(platform.url).log_in(ORGANISER["email"], ORGANISER["password"])}


@pytest.fixture(scope="module")
def people(world):
    """Paula's, Hanna's (another resident, who offers Paula help) and Ingo's (another resident) browsers and
    API clients, and the organiser's."""
    platform = world["platform"]
    organiser = platform.organiser()
    api = {"organiser": organiser, "paula": platform.login("paula@example.org", MEMBER_PASSWORD)}
    for name in ("hanna", "ingo"):
        api[name], _ = platform.join(organiser, f"{name}@example.org", display_name=name.title())
    browsers = {name: Browser(platform.url).log_in(f"{name}@example.org", MEMBER_PASSWORD) for name in api
                if name != "organiser"}
    browsers["organiser"] = Browser(platform.url).log_in(ORGANISER["email"], ORGANISER["password"])
    room = organiser.post("/api/v1/spaces", json={"name": "Hobbyraum", "capacity": 6, "rules": {
        "open_from": "00:00", "open_until": "00:00"}}).json()["id"]
    member_ids = {name: api[name].get("/api/v1/members/me").json()["id"] for name in ("paula", "hanna")}
    return {"api": api, "browsers": browsers, "room": room, "slots": iter(range(1, 1000)), "ids": member_ids,
            "alert": world["ids"]["alert"]}


def things(people) -> dict:
    """Fresh things of Paula's, made through the API: a booking, a stay waiting for approval, a request with
    Hanna's offer, one Hanna helps with (accepted), an unread message; and a guest flat of the house."""
    api = people["api"]
    paula, hanna, organiser = api["paula"], api["hanna"], api["organiser"]
    flat = organiser.post("/api/v1/spaces", json={"name": "Gästewohnung", "capacity": 2, "rules": {
        "open_from": "00:00", "open_until": "00:00", "requires_approval": True}}).json()["id"]
    start = (datetime.now(BERLIN_WINTER) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0) + \
        timedelta(hours=next(people["slots"]))
    span = {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
    ids = {"flat": flat,
           "booking": paula.post("/api/v1/bookings", json={"space_id": people["room"], **span}).json()["id"],
           "pending": paula.post("/api/v1/bookings", json={"space_id": flat, **span}).json()["id"]}
    for name in ("offered", "accepted"):
        ids[name] = paula.post("/api/v1/help-requests", json={"title": f"Hilfe {name}", "category": "shopping"}
                               ).json()["id"]
        ids[f"{name}_offer"] = hanna.post(f"/api/v1/help-requests/{ids[name]}/offers",
                                          json={"message": "Gern"}).json()["id"]
    ids["offer"] = ids["offered_offer"]
    accepted = paula.post(f"/api/v1/help-requests/{ids['accepted']}/accept", json={"offer_id": ids["accepted_offer"]})
    assert accepted.status_code == 200, accepted.text
    unread = eventually(lambda: paula.get("/api/v1/notifications", params={"unread": "true"}).json()["items"])
    assert unread, "Paula's messages never arrived"
    ids["notification"] = unread[0]["id"]
    for buddies in ([], [people["ids"]["hanna"]]):  # asked afresh (a request she answered is withdrawn first)
        put_once_known(paula, "/api/v1/members/me/check-in", {"enabled": False, "daily_by": "10:00",
                                                              "buddies": buddies})
    ids["buddy_request"] = next(r["id"] for r in hanna.get("/api/v1/check-in/buddy-requests").json()["items"]
                                if r["member_id"] == people["ids"]["paula"])
    ids["alert"] = people["alert"]
    invited = paula.post("/api/v1/members/me/trusted-persons", json={
        "invite": {"email": "enkel@example.org", "display_name": "Enkel"}, "scopes": ["bookings"]})
    assert invited.status_code == 201, invited.text
    ids["trust"] = invited.json()["id"]
    ids["paula_id"] = paula.get("/api/v1/members/me").json()["id"]
    ids["decision"] = organiser.post("/api/v1/decisions", json={
        "title": "Fahrradkeller", "body": "Neue Ständer?", "kind": "poll", "options": ["Ja", "Nein"],
        "closes_at": (start + timedelta(days=3)).isoformat()}).json()["id"]
    meal = paula.post("/api/v1/activities", json={
        "title": "Kuchen bei Paula", "starts_at": (start + timedelta(days=1)).isoformat(),
        "ends_at": (start + timedelta(days=1, hours=2)).isoformat(), "place": "Paulas Küche", "capacity": 6})
    assert meal.status_code == 201, meal.text
    ids["activity"] = meal.json()["id"]
    ids["meal_day"] = (start + timedelta(days=1)).date().isoformat()
    return ids


def state(people, ids) -> dict:
    """What the forms of OWNED could change of `ids`, read through the API."""
    paula, organiser = people["api"]["paula"], people["api"]["organiser"]
    found = {key: paula.get(f"/api/v1/bookings/{ids[key]}").json()["status"] for key in ("booking", "pending")}
    for key in ("offered", "accepted"):
        request = paula.get(f"/api/v1/help-requests/{ids[key]}").json()
        found[key] = (request["status"], request["accepted_offer_id"], sorted(o["id"] for o in request["offers"]))
    found["inbox"] = sorted((n["id"], n["read_at"]) for n in paula.get(
        "/api/v1/notifications", params={"limit": 200}).json()["items"])
    flat = organiser.get(f"/api/v1/spaces/{ids['flat']}").json()
    found["flat"] = (flat["name"], flat["capacity"], flat["rules"])
    found["buddies"] = [(b["member_id"], b["status"]) for b in paula.get("/api/v1/members/me/check-in").json()["buddies"]]
    found["trusts"] = sorted((t["id"], t["status"]) for t in paula.get("/api/v1/members/me/trusted-persons").json()[
        "items"])
    alert = paula.get(f"/api/v1/alerts/{ids['alert']}").json()
    found["alert"] = (alert["status"], alert["acknowledged_by"], alert["outcome"], len(alert["timeline"]))
    decision = organiser.get(f"/api/v1/decisions/{ids['decision']}").json()
    found["decision"] = (decision["status"], decision["voted"])
    meal = paula.get(f"/api/v1/activities/{ids['activity']}").json()
    found["activity"] = (meal["status"], meal["title"], meal["starts_at"])
    return found


@pytest.mark.parametrize("route", sorted(OWNED), ids=lambda r: f"{r[0]} {r[1]}")
def test_a_form_posted_with_real_ids_by_anyone_but_its_owner_is_refused_and_changes_nothing(people, route):
    template, data, refused_to, allowed_to = OWNED[route]
    ids = things(people)
    path, data = template.format(**ids), {key: value.format(**ids) for key, value in data.items()}
    before = state(people, ids)
    for poster in refused_to:
        answer = people["browsers"][poster].post(path, data)
        assert answer.status_code in (403, 404), (poster, answer.status_code, answer.headers.get("Location"))
        assert "text/html" in answer.headers["Content-Type"]
        assert state(people, ids) == before, f"{poster}'s refused form changed something"

    done = people["browsers"][allowed_to].post(path, data)  # the same form, by the one it is for
    assert done.status_code == 303, (allowed_to, done.status_code, done.text[:300])
    assert state(people, ids) != before


def test_the_session_cookie_is_httponly_and_same_site_lax(world):
    client = Browser(world["platform"].url)
    answer = client.post("/login", {"email": "paula@example.org", "password": MEMBER_PASSWORD})
    cookie = next(header for header in answer.raw.headers.getlist("Set-Cookie")
                  if header.startswith("cohousing_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert not re.search(r"(?i)expires=|max-age=", cookie), "the session ends with the browser"


def test_a_deactivated_members_session_ends_at_once(world):
    platform = world["platform"]
    organiser = platform.organiser()
    _, member = platform.join(organiser, "kurt@example.org", display_name="Kurt")
    kurt = Browser(platform.url).log_in("kurt@example.org", MEMBER_PASSWORD)
    assert kurt.get("/rooms").status_code == 200

    assert organiser.patch(f"/api/v1/members/{member['id']}", json={"active": False}).status_code == 200

    refused = kurt.get("/rooms")
    assert refused.status_code == 303 and refused.headers["Location"].startswith("/login")


def test_the_chosen_language_is_remembered_and_sets_lang_and_dir(world):
    client = Browser(world["platform"].url)
    assert '<html lang="de" dir="ltr">' in client.get("/login").text
    switched = client.post("/language", {"language": "ar", "next": "/login"})
    assert switched.status_code == 303 and switched.headers["Location"] == "/login"
    assert '<html lang="ar" dir="rtl">' in client.get("/login").text
    client.log_in("paula@example.org", MEMBER_PASSWORD)
    assert '<html lang="ar" dir="rtl">' in client.get("/rooms").text


def test_a_next_address_on_another_site_is_not_followed(world):
    client = Browser(world["platform"].url)
    answer = client.post("/login", {"email": "paula@example.org", "password": MEMBER_PASSWORD,
                                    "next": "https://evil.example/"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    assert client.post("/language", {"language": "tr", "next": "//evil.example/"}).headers["Location"] == "/"


JUNK = {"date": "2026-13-45", "start": "25:99", "end": "x", "purpose": "p" * 500, "title": "$where",
        "category": "{$gt: ''}", "needed_until": "yesterday", "languages": "zzzzzz", "offer_id": "nope",
        "message": "m" * 5000,
        "email": "not an address", "role": "king", "household": "h" * 500, "capacity": "-1", "open_from": "24:99",
        "slot_minutes": "abc", "language": "xx", "audience": "everyone", "audience_language": "qq",
        "title_de": "", "body_de": "", "quiet_from": "7", "quiet_until": "", "help_categories": "none",
        "display_name": "", "preferred_language": "klingon", "invitation_code": "$ne", "password": "1",
        "next": "javascript:alert(1)", "enabled": "maybe", "daily_by": "25:99", "grace_minutes": "-5",
        "escalation_minutes": "9999", "buddy_1": "{$ne: null}", "buddy_2": "x" * 500, "from": "2026-02-30",
        "until": "x", "form_key": "../../etc", "outcome": "{$gt: ''}", "note": "n" * 5000, "contact_name_1": "c" * 500,
        "contact_phone_1": "call me", "doctor_phone": "<script>", "readers": "$where", "allergies": "a" * 5000}


@pytest.mark.parametrize("route", sorted(k for k in PAGES if k[0] == "POST"), ids=lambda r: f"{r[0]} {r[1]}")
def test_a_form_sent_with_nonsense_is_answered_with_a_page_never_a_server_error(world, route):
    _who, path = PAGES[route]
    for client in (Browser(world["platform"].url).log_in(ORGANISER["email"], ORGANISER["password"]),
                   Browser(world["platform"].url)):
        for data in ({}, JUNK):
            answer = client.post(path.format(**world["ids"]), data)
            assert answer.status_code < 500, (path, answer.status_code, answer.text[:300])
            assert answer.status_code in (303, 200) or "text/html" in answer.headers["Content-Type"]
