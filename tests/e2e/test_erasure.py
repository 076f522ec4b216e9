"""Leaving the platform: DELETE /members/me erases or anonymises the member's data in every service."""
import time
from datetime import datetime, timedelta, timezone

from tests.support.processes import MEMBER_PASSWORD as PASSWORD


def eventually(check, seconds=20):
    """Erasure travels by events: poll the API until it shows (a bounded wait on another process's work)."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def test_an_erased_member_leaves_only_anonymous_traces(platform):
    organiser = platform.organiser()
    leaving, profile = platform.join(organiser, "leaving@example.org", display_name="Liesel", phone="040 999",
                                     share_phone=True, household="Haus L")
    member_id = profile["id"]
    room = organiser.post("/api/v1/spaces", json={"name": "Raum", "capacity": 5}).json()
    start = (datetime.now(timezone(timedelta(hours=1))) + timedelta(days=3)).replace(hour=10, minute=0, second=0,
                                                                                    microsecond=0)
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

    assert eventually(booking_cancelled_and_blank)
    assert eventually(request_anonymous)
