"""A small house filled through the API, and every view of it, to compare a platform before and after something
happened to its storage (a restart of `make run`, a backup and restore)."""
from datetime import datetime, timedelta, timezone

from tests.support.processes import Client, Site, eventually

BERLIN_WINTER = timezone(timedelta(hours=1))


def fill(site: Site) -> dict[str, Client]:
    """Members, a room and bookings, a help request with an offer, a notice and preferences; returns each
    person's client. Waits until the events have reached every inbox, so that the views are complete."""
    organiser = site.organiser()
    ayse, _ = site.join(organiser, "ayse@example.org", display_name="Ayşe Yılmaz", preferred_language="tr",
                        household="B 2.1", phone="+49 40 123456")
    bora, _ = site.join(organiser, "bora@example.org", display_name="Bora Demir", household="C 1.3")
    room = organiser.post("/api/v1/spaces", json={"name": "Gemeinschaftsraum", "capacity": 30})
    assert room.status_code == 201, room.text
    day = (datetime.now(BERLIN_WINTER) + timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    for who, hours in ((ayse, 0), (bora, 3)):
        booked = who.post("/api/v1/bookings", json={
            "space_id": room.json()["id"], "start": (day + timedelta(hours=hours)).isoformat(),
            "end": (day + timedelta(hours=hours + 2)).isoformat(), "purpose": "Kaffee und Kuchen"})
        assert booked.status_code == 201, booked.text
    asked = ayse.post("/api/v1/help-requests", json={"title": "Brief vom Amt", "category": "translation",
                                                     "description": "Ein Brief auf Deutsch"})
    assert asked.status_code == 201, asked.text
    offered = bora.post(f"/api/v1/help-requests/{asked.json()['id']}/offers", json={"message": "Ich lese ihn vor"})
    assert offered.status_code == 201, offered.text
    published = organiser.post("/api/v1/notices", json={
        "title": "Sommerfest", "body": "Am Samstag im Garten.", "language": "de", "audience": "all",
        "translations": {"tr": {"title": "Yaz şenliği", "body": "Cumartesi bahçede."}}})
    assert published.status_code == 201, published.text
    saved = bora.put("/api/v1/members/me/preferences", json={"channels": {"in_app": True, "email": True},
                                                              "digest": "daily"})
    assert saved.status_code == 200, saved.text
    people = {"organiser": organiser, "ayse": ayse, "bora": bora}
    # Ayşe: her booking, Bora's offer and the notice; Bora: his booking and the notice; the organiser: the
    # welcome of the first start (handled whenever the notifications service got to it).
    assert eventually(lambda: organiser.get("/api/v1/notifications").json()["items"]), "welcome not handled"
    assert eventually(lambda: len(ayse.get("/api/v1/notifications").json()["items"]) >= 3), "events not handled"
    assert eventually(lambda: len(bora.get("/api/v1/notifications").json()["items"]) >= 2), "events not handled"
    return people


def views(people: dict[str, Client]) -> dict:
    """Every API view of the filled house, as each person sees it (ids and times included)."""
    seen = {}
    for name, client in people.items():
        for path in ("/api/v1/members/me", "/api/v1/members", "/api/v1/spaces", "/api/v1/bookings",
                     "/api/v1/help-requests", "/api/v1/notifications", "/api/v1/notices",
                     "/api/v1/members/me/preferences", "/api/v1/members/me/export"):
            response = client.get(path)
            assert response.status_code == 200, (name, path, response.text)
            seen[f"{name} {path}"] = response.json()
    notice_id = seen["ayse /api/v1/notices"]["items"][0]["id"]
    seen["receipts"] = people["organiser"].get(f"/api/v1/notices/{notice_id}/receipts").json()
    return seen
