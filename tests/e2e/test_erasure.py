"""Leaving the platform: DELETE /members/me erases or anonymises the member's data in every service, as every
other member sees it."""
from datetime import datetime, timedelta, timezone

import pymongo

from tests.support.processes import MEMBER_PASSWORD as PASSWORD
from tests.support.processes import eventually, readable

BERLIN_WINTER = timezone(timedelta(hours=1))


def soon(days: int, hour: int) -> datetime:
    return (datetime.now(BERLIN_WINTER) + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def test_an_erased_member_leaves_only_anonymous_traces(platform):
    organiser = platform.organiser()
    leaving, profile = platform.join(organiser, "leaving@example.org", display_name="Liesel", phone="040 999",
                                     share_phone=True, household="Haus L")
    member_id = profile["id"]
    room = organiser.post("/api/v1/spaces", json={"name": "Raum", "capacity": 5}).json()
    start = soon(3, 10)
    booking = leaving.post("/api/v1/bookings", json={"space_id": room["id"], "start": start.isoformat(),
                                                     "end": (start + timedelta(hours=1)).isoformat(),
                                                     "purpose": "Geburtstag meiner Tochter"}).json()
    request = leaving.post("/api/v1/help-requests", json={"title": "Arzttermin Kardiologie",
                                                          "category": "accompany"}).json()
    export = leaving.get("/api/v1/members/me/export").json()["services"]
    assert export["members"]["profile"]["phone"] == "040 999"
    assert export["spaces"]["bookings"][0]["purpose"] == "Geburtstag meiner Tochter"
    assert export["help"]["help_requests"][0]["title"] == "Arzttermin Kardiologie"
    assert "notifications" in export["notifications"]

    assert leaving.delete("/api/v1/members/me").status_code == 202
    assert leaving.get("/api/v1/members/me").status_code == 401
    assert platform.client().post("/api/v1/auth/login", json={"email": "leaving@example.org",
                                                               "password": PASSWORD}).status_code == 401
    assert organiser.get(f"/api/v1/members/{member_id}").status_code == 404
    assert member_id not in [entry["id"] for entry in organiser.get("/api/v1/members").json()["items"]]

    def booking_cancelled_and_blank():
        seen = organiser.get(f"/api/v1/bookings/{booking['id']}").json()
        return seen["status"] == "cancelled" and seen["purpose"] == ""

    def request_anonymous():
        seen = organiser.get(f"/api/v1/help-requests/{request['id']}").json()
        return seen["status"] == "cancelled" and seen["title"] == "—" and seen["description"] == ""

    assert eventually(booking_cancelled_and_blank, seconds=20)
    assert eventually(request_anonymous, seconds=20)


LEAVER = {"display_name": "Leonie Leaving", "phone": "040 777 12", "household": "Haus Elbblick", "share_phone": True}
ROOM_PURPOSE, STAY_PURPOSE = "Enkel zu Besuch", "Besuch meiner Tochter"
HER_REQUEST = {"title": "Steuerbescheid uebersetzen", "description": "Brief vom Finanzamt", "category": "translation"}
HER_OFFER = "Ich fahre Sie gern"
NAME, PHONE, HOUSEHOLD = LEAVER["display_name"], LEAVER["phone"], LEAVER["household"]
HER_SHEET = {"contacts": [{"name": "Konrad Notfallkontakt", "phone": "0171 444 5566", "relation": "Bruder"}],
             "allergies": "Erdnussallergie Markiert", "medication_location": "Badezimmerschrank Markiert"}
SHEET_FACTS = ("Konrad Notfallkontakt", "0171 444 5566", "Erdnussallergie Markiert", "Badezimmerschrank Markiert")


def test_after_erasure_no_viewer_finds_anything_personal_of_the_member_that_they_saw_before(platform):
    """Issues 7 and 15: what others can see of a member who leaves — the organiser (the directory, the member,
    bookings and a room's calendar, help requests, a notice's receipts read and unread, the inbox), a
    neighbour she offered help to (the offer, the inbox), the helper of her own request (the request with her
    phone, the inbox), every member told of her request (the inbox), her calendar link — each fact first
    shown to that viewer in that view, then gone. Anonymous traces (ids, times, a category) may stay. (The
    printable board shows notices only, never a member's data, so no fact of hers could be seen there.)"""
    organiser = platform.organiser()
    # The notifications service knows the first organiser (their welcome goes out with the outbox relay) before
    # the leaver asks the organisers to approve a stay.
    assert eventually(lambda: organiser.get("/api/v1/notifications").json()["items"], seconds=30)
    leaving, profile = platform.join(organiser, "leonie@example.org", **LEAVER)
    neighbour, neighbour_profile = platform.join(organiser, "nachbar@example.org", display_name="Nora Nachbar")
    helper, _ = platform.join(organiser, "helfer@example.org", display_name="Hugo Helfer")
    room = organiser.post("/api/v1/spaces", json={"name": "Gemeinschaftsraum", "capacity": 20}).json()
    flat = organiser.post("/api/v1/spaces", json={"name": "Gästewohnung", "capacity": 4, "rules": {
        "open_from": "00:00", "open_until": "00:00", "max_duration_minutes": 2880,
        "requires_approval": True}}).json()
    bookings = []
    for space, start, hours, purpose in ((room, soon(4, 10), 2, ROOM_PURPOSE), (flat, soon(5, 0), 24, STAY_PURPOSE)):
        booked = leaving.post("/api/v1/bookings", json={"space_id": space["id"], "start": start.isoformat(),
                                                        "end": (start + timedelta(hours=hours)).isoformat(),
                                                        "purpose": purpose})
        assert booked.status_code == 201, booked.text
        bookings.append(booked.json()["id"])
    feed = leaving.post("/api/v1/calendar/feed-link").json()["path"]

    own = leaving.post("/api/v1/help-requests", json=HER_REQUEST).json()
    offer = helper.post(f"/api/v1/help-requests/{own['id']}/offers", json={"message": "Ich kann Deutsch"}).json()
    assert leaving.post(f"/api/v1/help-requests/{own['id']}/accept", json={"offer_id": offer["id"]}).status_code == 200
    neighbours = neighbour.post("/api/v1/help-requests", json={"title": "Fahrt zum Arzt",
                                                               "category": "transport"}).json()
    assert leaving.post(f"/api/v1/help-requests/{neighbours['id']}/offers",
                        json={"message": HER_OFFER}).status_code == 201

    # Safe at home: she asks Nora to be her buddy and lets her read her sheet; Nora names her as buddy and
    # reader in turn, and she reads Nora's sheet; she checks in.
    her_id, nora_id = profile["id"], neighbour_profile["id"]
    for client, buddy in ((leaving, nora_id), (neighbour, her_id)):
        asked = client.put("/api/v1/members/me/check-in", json={"enabled": True, "daily_by": "10:00",
                                                                "buddies": [buddy]})
        assert asked.status_code == 200, asked.text
    assert leaving.put("/api/v1/members/me/emergency-sheet", json={**HER_SHEET, "readers": [nora_id]}).status_code == 200
    assert neighbour.put("/api/v1/members/me/emergency-sheet", json={"contacts": [], "readers": [her_id]}).status_code == 200
    assert leaving.get(f"/api/v1/members/{nora_id}/emergency-sheet").status_code == 200
    assert leaving.post("/api/v1/check-ins", json={}).status_code == 201
    care_export = leaving.get("/api/v1/members/me/export").json()["services"]["care"]
    assert care_export["check_ins"] and care_export["emergency_sheet"]["allergies"] == HER_SHEET["allergies"]

    notices = {name: organiser.post("/api/v1/notices", json={"title": title, "body": "Bitte lesen.",
                                                             "audience": "all"}).json()["id"]
               for name, title in (("read", "Wasser"), ("unread", "Heizung"))}

    def read_the_first_notice():
        for entry in leaving.get("/api/v1/notifications", params={"limit": 200}).json()["items"]:
            if entry["link"] == f"/notices/{notices['read']}":
                return leaving.post(f"/api/v1/notifications/{entry['id']}/read").status_code == 204
        return False

    assert eventually(read_the_first_notice, seconds=30), "the notice never reached the leaver"

    def receipts_read(notice):
        read = organiser.get(f"/api/v1/notices/{notice}/receipts").json()["read"]
        return f"read: {read}"  # she is the only one who read it

    views = {  # (viewer, view) -> (how to read it, what of her it shows before she leaves; inboxes in German)
        ("organiser", "directory"): (lambda: organiser.get("/api/v1/members", params={"limit": 200}),
                                     (NAME, PHONE)),
        ("organiser", "her profile"): (lambda: organiser.get(f"/api/v1/members/{profile['id']}"),
                                       (NAME, PHONE, HOUSEHOLD, "leonie@example.org")),
        ("organiser", "bookings"): (lambda: organiser.get("/api/v1/bookings", params={"limit": 200}),
                                    (ROOM_PURPOSE, STAY_PURPOSE)),
        ("organiser", "her bookings, one by one"): (
            lambda: "\n".join(readable(organiser.get(f"/api/v1/bookings/{booking}")) for booking in bookings),
            (ROOM_PURPOSE, STAY_PURPOSE)),
        ("organiser", "the room's calendar"): (lambda: organiser.get(f"/api/v1/spaces/{room['id']}/calendar.ics"),
                                               (ROOM_PURPOSE,)),
        ("organiser", "help requests"): (lambda: organiser.get("/api/v1/help-requests", params={"limit": 200}),
                                         (NAME, HER_REQUEST["title"])),
        ("organiser", "her request"): (lambda: organiser.get(f"/api/v1/help-requests/{own['id']}"),
                                       (NAME, HER_REQUEST["title"], HER_REQUEST["description"])),
        ("organiser", "receipts, unread"): (lambda: organiser.get(f"/api/v1/notices/{notices['unread']}/receipts"),
                                            (NAME, PHONE, HOUSEHOLD)),
        ("organiser", "receipts, read"): (lambda: receipts_read(notices["read"]), ("read: 1",)),
        ("organiser", "inbox"): (lambda: organiser.get("/api/v1/notifications", params={"limit": 200}),
                                 (f"{NAME} möchte einen Raum buchen", HER_REQUEST["title"])),
        ("neighbour", "directory"): (lambda: neighbour.get("/api/v1/members", params={"limit": 200}),
                                     (NAME, PHONE)),
        ("neighbour", "her offer"): (lambda: neighbour.get(f"/api/v1/help-requests/{neighbours['id']}"),
                                     (NAME, HER_OFFER)),
        ("neighbour", "her buddy request"): (lambda: neighbour.get("/api/v1/check-in/buddy-requests"), (NAME,)),
        ("neighbour", "her emergency sheet"): (lambda: neighbour.get(f"/api/v1/members/{her_id}/emergency-sheet"),
                                               SHEET_FACTS),
        ("neighbour", "her check-in buddies"): (lambda: neighbour.get("/api/v1/members/me/check-in"), (NAME,)),
        ("neighbour", "who read her sheet"): (lambda: neighbour.get("/api/v1/members/me/emergency-sheet/reads"),
                                              (NAME,)),
        ("neighbour", "inbox"): (lambda: neighbour.get("/api/v1/notifications", params={"limit": 200}),
                                 (f"{NAME} hat angeboten, Ihnen zu helfen", f"{NAME} bittet um Hilfe",
                                  HER_REQUEST["title"])),
        ("helper", "her request"): (lambda: helper.get(f"/api/v1/help-requests/{own['id']}"),
                                    (NAME, PHONE, HOUSEHOLD, HER_REQUEST["title"], HER_REQUEST["description"])),
        ("helper", "inbox"): (lambda: helper.get("/api/v1/notifications", params={"limit": 200}),
                              (f"{NAME} hat Ihr Angebot angenommen", HER_REQUEST["title"])),
        ("anyone with her link", "her calendar"): (lambda: platform.client().get(feed), (ROOM_PURPOSE, STAY_PURPOSE)),
    }

    def shown() -> list[tuple[str, str, str]]:
        """(viewer, view, fact) for each fact of hers a view shows now."""
        found = []
        for (viewer, view), (read, facts) in views.items():
            answer = read()
            text = answer if isinstance(answer, str) else readable(answer)
            found += [(viewer, view, fact) for fact in facts if fact in text]
        return found

    everything = [(viewer, view, fact) for (viewer, view), (_, facts) in views.items() for fact in facts]
    # Each fact is first seen by its viewer (the inboxes fill as the events arrive): its absence later means
    # something.
    assert eventually(lambda: shown() == everything, seconds=30), sorted(set(everything) - set(shown()))

    assert leaving.delete("/api/v1/members/me").status_code == 202

    assert eventually(lambda: not shown(), seconds=30), shown()
    # Her calendar link is forgotten, not just empty (the same handler forgets it a moment after the bookings).
    assert eventually(lambda: platform.client().get(feed).status_code == 404, seconds=10)
    # Her check-in settings, check-ins, buddy requests and sheet are gone from the care database too, not just
    # from the views; her read of Nora's sheet stays as an anonymous trace (an id and a time).
    with pymongo.MongoClient(platform.database_uri) as client:
        care = client[platform.databases["CARE_DB"]]
        left = {f"{name} {query}": care[name].count_documents(query) for name, query in (
            ("checkin_settings", {"_id": her_id}), ("checkins", {"member_id": her_id}),
            ("emergency_sheets", {"_id": her_id}), ("neighbours", {"_id": her_id}),
            ("buddy_requests", {"$or": [{"member_id": her_id}, {"buddy_id": her_id}]}),
            ("checkin_settings", {"buddies": her_id}), ("emergency_sheets", {"readers": her_id}))}
    assert left == dict.fromkeys(left, 0), left
    # Anonymous traces stay: her request is still there by id.
    assert organiser.get(f"/api/v1/help-requests/{own['id']}").status_code == 200
