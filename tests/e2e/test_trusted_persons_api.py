"""Trusted persons through the HTTP API: a resident invites her son from outside the house as a supporter; he books a
room for her (the booking is hers, her inbox says who booked it), cannot read her messages without that scope, and
loses access the moment she ends the trust, on fresh connections to either gateway worker."""
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.processes import MEMBER_PASSWORD, Client, eventually

FRESH_CONNECTIONS = 12  # the gateway runs two workers; each fresh connection may reach either


def tomorrow(hour: int) -> str:
    moment = datetime.now(timezone(timedelta(hours=1))) + timedelta(days=2)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


@pytest.fixture(scope="module")
def house(platform):
    organiser = platform.organiser()
    ayse, profile = platform.join(organiser, "ayse.trust@example.org", display_name="Ayşe Yılmaz",
                                  preferred_language="tr", household="Haus A 1")
    room = organiser.post("/api/v1/spaces", json={"name": "Gemeinschaftsraum", "capacity": 20, "rules": {
        "open_from": "00:00", "open_until": "00:00", "max_days_ahead": 30}}).json()["id"]
    invited = ayse.post("/api/v1/members/me/trusted-persons", json={
        "invite": {"email": "deniz@example.org", "display_name": "Deniz", "relation": "Sohn"},
        "scopes": ["bookings", "help"]})
    assert invited.status_code == 201, invited.text
    assert invited.json()["status"] == "invited"
    joined = platform.client().post("/api/v1/members", json={
        "invitation_code": invited.json()["invitation_code"], "email": "deniz@example.org",
        "password": MEMBER_PASSWORD, "display_name": "Deniz Yılmaz", "preferred_language": "de"})
    assert joined.status_code == 201 and joined.json()["role"] == "supporter", joined.text
    deniz = platform.login("deniz@example.org", MEMBER_PASSWORD)
    return {"organiser": organiser, "ayse": ayse, "ayse_id": profile["id"], "deniz": deniz, "room": room,
            "trust_id": invited.json()["id"], "deniz_id": joined.json()["id"]}


def test_the_supporter_books_a_room_for_her_and_it_is_hers_and_her_inbox_says_who(platform, house):
    ayse, deniz, ayse_id = house["ayse"], house["deniz"], house["ayse_id"]
    assert deniz.get("/api/v1/members/me/trusted-by").json()["items"][0]["member_id"] == ayse_id
    assert deniz.get("/api/v1/bookings").status_code == 403  # for himself he is not in the house

    booked = deniz.acting_for(ayse_id).post("/api/v1/bookings", json={
        "space_id": house["room"], "start": tomorrow(15), "end": tomorrow(16), "purpose": "Geburtstag"})
    assert booked.status_code == 201, booked.text
    assert booked.json()["member_id"] == ayse_id
    assert [b["id"] for b in ayse.get("/api/v1/bookings", params={"mine": "true"}).json()["items"]] == [
        booked.json()["id"]]

    def told():
        return [n for n in ayse.get("/api/v1/notifications").json()["items"] if n["kind"] == "done_for_you"]
    assert eventually(told, seconds=30), "her inbox never said what was done for her"
    message = told()[0]
    assert message["language"] == "tr" and "Deniz Yılmaz" in message["title"] and "Gemeinschaftsraum" in message["body"]
    activity = ayse.get("/api/v1/members/me/activity").json()
    assert [(a["action"], a["acted_by"]["display_name"], a["subject"]) for a in activity] == [
        ("booking.confirmed", "Deniz Yılmaz", "Gemeinschaftsraum")]


def test_outside_the_scopes_he_reads_nothing_of_hers(house):
    refused = house["deniz"].acting_for(house["ayse_id"]).get("/api/v1/notifications")
    assert refused.status_code == 403
    assert house["deniz"].acting_for(house["ayse_id"]).get("/api/v1/members").status_code == 403


def test_the_organiser_records_a_check_in_she_gave_by_phone(house):
    recorded = house["organiser"].post("/api/v1/check-ins", json={"on_behalf_of": house["ayse_id"],
                                                                  "note": "am Telefon"})
    assert recorded.status_code == 201, recorded.text
    assert eventually(lambda: any(a["recorded"] and a["note"] == "am Telefon"
                                  for a in house["ayse"].get("/api/v1/members/me/activity").json()), seconds=30)


def test_ending_the_trust_ends_his_access_at_once_on_every_connection(platform, house):
    token = house["deniz"].session.headers["Authorization"].split(" ", 1)[1]
    assert house["deniz"].acting_for(house["ayse_id"]).get("/api/v1/bookings").status_code == 200
    ended = house["ayse"].delete(f"/api/v1/members/me/trusted-persons/{house['trust_id']}")
    assert ended.status_code == 204

    answers = {Client(platform.url, token).acting_for(house["ayse_id"]).get("/api/v1/bookings").status_code
               for _ in range(FRESH_CONNECTIONS)}
    assert answers == {403}
    assert house["deniz"].get("/api/v1/members/me/trusted-by").json()["items"] == []
    listed = house["ayse"].get("/api/v1/members/me/trusted-persons").json()["items"]
    assert [(t["display_name"], t["status"]) for t in listed] == [("Deniz Yılmaz", "ended")]


def test_the_exports_name_the_trust_from_both_sides(house):
    own = house["ayse"].get("/api/v1/members/me/export").json()["services"]
    assert own["members"]["trusted_persons"][0]["relation"] == "Sohn"
    assert own["members"]["trusted_persons"][0]["member_id"] == house["deniz_id"]
    assert "done_for_you" in [n["kind"] for n in own["notifications"]["notifications"]]
    theirs = house["deniz"].get("/api/v1/members/me/export").json()["services"]["members"]
    assert [(t["display_name"], t["status"]) for t in theirs["acts_for"]] == [("Ayşe Yılmaz", "ended")]
