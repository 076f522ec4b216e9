"""Activities and shared meals through the HTTP API: a shared meal in the community room with cook and cleaning
roles and guests fills up, the next ones wait; someone leaves and the first in line moves up and is told in their
language; only those who come (and organisers) see who comes; the meal is in the calendar feed of those signed up;
cancelling it frees the room and tells everyone. The test waits on other processes by polling with a deadline."""
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.processes import eventually, readable


def at(days: int, hour: int) -> str:
    moment = datetime.now(timezone(timedelta(hours=1))) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


@pytest.fixture(scope="module")
def house(platform):
    organiser = platform.organiser()
    room = organiser.post("/api/v1/spaces", json={"name": "Gemeinschaftsküche", "capacity": 30, "rules": {
        "open_from": "00:00", "open_until": "00:00", "max_days_ahead": 300, "max_duration_minutes": 600}})
    assert room.status_code == 201, room.text
    people = {}
    for name, language in (("Ayse", "tr"), ("Bora", "de"), ("Cem", "de"), ("Dilek", "tr"), ("Emil", "ar"),
                           ("Frieda", "de")):
        client, profile = platform.join(organiser, f"{name.lower()}@example.org", display_name=name,
                                        preferred_language=language)
        people[name] = (client, profile["id"])
    return organiser, room.json()["id"], people


def kinds(client, kind):
    return [n for n in client.get("/api/v1/notifications").json()["items"] if n["kind"] == kind]


def test_a_shared_meal_fills_up_moves_the_next_up_is_in_the_calendar_and_cancelling_frees_the_room(platform, house):
    organiser, room, people = house
    ayse, bora, cem, dilek, emil, frieda = (people[n][0] for n in ("Ayse", "Bora", "Cem", "Dilek", "Emil", "Frieda"))
    meal = ayse.post("/api/v1/activities", json={
        "title": "Gemeinsames Essen", "description": "Linsensuppe", "starts_at": at(4, 18), "ends_at": at(4, 21),
        "space_id": room, "capacity": 4, "guests_per_signup": 2,
        "roles": [{"name": "Kochen", "needed": 1}, {"name": "Aufräumen", "needed": 1}],
        "translations": {"tr": {"title": "Ortak yemek", "description": "Mercimek çorbası"}}})
    assert meal.status_code == 201, meal.text
    meal = meal.json()
    meal_id, booking_id = meal["id"], meal["booking_id"]
    assert meal["space_name"] == "Gemeinschaftsküche" and meal["title"] == "Ortak yemek"  # Ayşe reads Turkish
    assert organiser.get(f"/api/v1/bookings/{booking_id}").json()["status"] == "confirmed"

    # The same room at the same time: a clash, and no second activity.
    clash = bora.post("/api/v1/activities", json={"title": "Filmabend", "starts_at": at(4, 19),
                                                   "ends_at": at(4, 22), "space_id": room})
    assert clash.status_code == 409 and clash.json()["conflicts"][0]["id"] == booking_id

    # Roles fill separately: the cook and the cleaner take their role, not a place.
    assert ayse.post(f"/api/v1/activities/{meal_id}/signups", json={"role": "Kochen"}).json()["status"] == "confirmed"
    taken = bora.post(f"/api/v1/activities/{meal_id}/signups", json={"role": "kochen"})
    assert taken.status_code == 409, taken.text
    assert bora.post(f"/api/v1/activities/{meal_id}/signups", json={"role": "Aufräumen", "guests": 1}).status_code == 201
    # Places: Bora's guest took one; Cem with two guests takes three: full.
    assert cem.post(f"/api/v1/activities/{meal_id}/signups", json={"guests": 2}).json()["status"] == "confirmed"
    too_many = dilek.post(f"/api/v1/activities/{meal_id}/signups", json={"guests": 3})
    assert too_many.status_code == 422, too_many.text
    waiting = [dilek.post(f"/api/v1/activities/{meal_id}/signups", json={"guests": 1}),
               emil.post(f"/api/v1/activities/{meal_id}/signups", json={})]
    assert [w.json() for w in waiting] == [{"status": "waitlisted", "position": 1, "guests": 1, "role": None},
                                           {"status": "waitlisted", "position": 2, "guests": 0, "role": None}]
    twice = emil.post(f"/api/v1/activities/{meal_id}/signups", json={})
    assert twice.status_code == 409

    # Who comes: those signed up and organisers see names; Frieda, not signed up, sees only the counts.
    seen = cem.get(f"/api/v1/activities/{meal_id}").json()
    assert (seen["confirmed"], seen["waitlisted"], seen["places_taken"], seen["places_left"]) == (3, 2, 4, 0)
    assert [p["display_name"] for p in seen["participants"]] == ["Ayse", "Bora", "Cem", "Dilek", "Emil"]
    assert {r["name"]: r["taken"] for r in seen["roles"]} == {"Kochen": 1, "Aufräumen": 1}
    assert "participants" in organiser.get(f"/api/v1/activities/{meal_id}").json()
    outside = frieda.get(f"/api/v1/activities/{meal_id}")
    assert "participants" not in outside.json() and "Dilek" not in readable(outside)
    assert outside.json()["confirmed"] == 3

    # Cem leaves (three places free): Dilek with her guest moves up first, then Emil; both are told.
    assert cem.delete(f"/api/v1/activities/{meal_id}/signups/me").status_code == 204
    after = organiser.get(f"/api/v1/activities/{meal_id}").json()
    assert [(p["display_name"], p["status"]) for p in after["participants"]] == [
        ("Ayse", "confirmed"), ("Bora", "confirmed"), ("Dilek", "confirmed"), ("Emil", "confirmed")]
    told = eventually(lambda: kinds(dilek, "activity_promoted"), seconds=30)
    assert told and "Gemeinsames Essen" in told[0]["title"] and told[0]["title"].startswith("Bir yeriniz var")
    told = eventually(lambda: kinds(emil, "activity_promoted"), seconds=30)
    assert told and told[0]["title"].startswith("لديك مكان")  # Arabic, his language
    assert cem.delete(f"/api/v1/activities/{meal_id}/signups/me").status_code == 404

    # The calendar feed of someone signed up holds the meal.
    feed = dilek.post("/api/v1/calendar/feed-link").json()["path"]
    assert "Gemeinsames Essen" in readable(platform.client().get(feed))

    # Only the creator or an organiser cancels; cancelling frees the room and tells everyone signed up.
    assert bora.delete(f"/api/v1/activities/{meal_id}").status_code == 403
    assert ayse.delete(f"/api/v1/activities/{meal_id}").status_code == 204
    assert eventually(lambda: organiser.get(f"/api/v1/bookings/{booking_id}").json()["status"] == "cancelled",
                      seconds=30)
    assert organiser.get(f"/api/v1/activities/{meal_id}").json()["status"] == "cancelled"
    assert eventually(lambda: kinds(bora, "activity_cancelled"), seconds=30)
    assert "Gemeinsames Essen" not in readable(platform.client().get(feed))
    again = bora.post("/api/v1/activities", json={"title": "Filmabend", "starts_at": at(4, 19),
                                                   "ends_at": at(4, 22), "space_id": room})
    assert again.status_code == 201, again.text  # the room is free again


def test_bad_input_is_a_problem_document_never_a_500(platform, house):
    _, room, people = house
    bora = people["Bora"][0]
    for body in ({}, {"title": "x", "starts_at": "2026-12-24T18:00:00", "ends_at": at(5, 20)},
                 {"title": "x", "starts_at": at(5, 20), "ends_at": at(5, 18)},
                 {"title": "x", "starts_at": at(5, 18), "ends_at": at(5, 20), "guests_per_signup": 9},
                 {"title": "x", "starts_at": at(5, 18), "ends_at": at(5, 20), "roles": [{"name": "a", "needed": 0}]},
                 {"title": "x", "starts_at": at(-2, 18), "ends_at": at(-2, 20)}):
        answer = bora.post("/api/v1/activities", json=body)
        assert answer.status_code in (400, 422), (body, answer.text)
        assert answer.headers["Content-Type"].startswith("application/problem+json")
    unknown_room = bora.post("/api/v1/activities", json={"title": "x", "starts_at": at(5, 18),
                                                          "ends_at": at(5, 20), "space_id": "no-such-room"})
    assert unknown_room.status_code == 404, unknown_room.text
    assert bora.get("/api/v1/activities/no-such").status_code == 404
    assert bora.post("/api/v1/activities/no-such/signups", json={}).status_code == 404
    assert bora.get("/api/v1/activities?from=yesterday").status_code == 422


def test_members_who_leave_leave_their_activities_the_next_moves_up_and_exports_hold_the_sign_ups(platform, house):
    organiser, _, _ = house
    people = {}
    for name in ("Liesel", "Otto", "Paul"):
        people[name] = platform.join(organiser, f"{name.lower()}@example.org", display_name=name,
                                     preferred_language="de")
    (liesel, liesel_profile), (otto, _), (paul, _) = people["Liesel"], people["Otto"], people["Paul"]
    walk = organiser.post("/api/v1/activities", json={"title": "Spaziergang an der Elbe", "starts_at": at(6, 10),
                                                      "ends_at": at(6, 12), "place": "Treffpunkt Hoftor",
                                                      "capacity": 1}).json()
    for client in (liesel, otto, paul):
        assert client.post(f"/api/v1/activities/{walk['id']}/signups", json={}).status_code == 201
    exported = liesel.get("/api/v1/members/me/export").json()["services"]["activities"]
    assert [(s["title"], s["status"]) for s in exported["signups"]] == [("Spaziergang an der Elbe", "confirmed")]

    # Liesel is deactivated: Otto, first in line, moves up and is told.
    assert organiser.patch(f"/api/v1/members/{liesel_profile['id']}", json={"active": False}).status_code == 200

    def who_comes():
        return [(p["display_name"], p["status"])
                for p in organiser.get(f"/api/v1/activities/{walk['id']}").json()["participants"]]

    assert eventually(lambda: who_comes() == [("Otto", "confirmed"), ("Paul", "waitlisted")], seconds=30), who_comes()
    assert eventually(lambda: kinds(otto, "activity_promoted"), seconds=30)

    # The time changes: everyone signed up hears of it.
    moved = organiser.patch(f"/api/v1/activities/{walk['id']}", json={"starts_at": at(6, 14), "ends_at": at(6, 16)})
    assert moved.status_code == 200, moved.text
    assert eventually(lambda: kinds(paul, "activity_moved"), seconds=30)

    # Otto leaves the platform: his sign-up goes, Paul moves up; nothing of Otto is left in it.
    assert otto.delete("/api/v1/members/me").status_code == 202
    assert eventually(lambda: who_comes() == [("Paul", "confirmed")], seconds=30), who_comes()
    assert "Otto" not in readable(organiser.get(f"/api/v1/activities/{walk['id']}"))
