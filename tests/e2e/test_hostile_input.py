"""Hostile and broken input against every area that stores something: NoSQL operators where a value belongs,
very long strings, huge bodies, wrong content types, naive datetimes and unknown ids each answer a 4xx problem
document, and nothing is stored.

The members area has its own cases in test_members_api.py; this module covers the rest of the writes (bookings,
spaces, help requests, offers, notices, preferences, login) and the ids in paths and queries."""
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.processes import MEMBER_PASSWORD, Client

OPERATORS = ({"$gt": ""}, {"$ne": None}, {"$where": "sleep(1000) || true"}, {"$regex": ".*"})
HUGE = 300_000  # characters: far over MAX_BODY_BYTES (64 KiB by default)


@pytest.fixture(scope="module")
def world(platform):
    organiser = platform.organiser()
    resident, profile = platform.join(organiser, "hostile@example.org")
    neighbour, _ = platform.join(organiser, "target@example.org")
    room = organiser.post("/api/v1/spaces", json={"name": "Raum", "capacity": 5, "rules": {
        "open_from": "00:00", "open_until": "00:00"}}).json()
    request = neighbour.post("/api/v1/help-requests", json={"title": "Einkauf", "category": "shopping"}).json()
    start = (datetime.now(timezone(timedelta(hours=1))) + timedelta(days=2)).replace(hour=10, minute=0, second=0,
                                                                                    microsecond=0)
    theirs = start + timedelta(days=5)  # a booking of the neighbour's, for a filter that lets through too much
    booked = neighbour.post("/api/v1/bookings", json={"space_id": room["id"], "start": theirs.isoformat(),
                                                      "end": (theirs + timedelta(hours=1)).isoformat()})
    assert booked.status_code == 201, booked.text
    return {"organiser": organiser, "resident": resident, "neighbour": neighbour, "room": room["id"],
            "request": request["id"], "start": start, "member_id": profile["id"]}


def stored(world) -> dict:
    """What the platform holds, counted through the API, to compare before and after."""
    organiser, resident = world["organiser"], world["resident"]
    return {
        "spaces": len(organiser.get("/api/v1/spaces").json()["items"]),
        "bookings": len(organiser.get("/api/v1/bookings", params={"space_id": world["room"], "limit": 200})
                        .json()["items"]),
        "help": len(organiser.get("/api/v1/help-requests", params={"limit": 200}).json()["items"]),
        "offers": len(world["neighbour"].get(f"/api/v1/help-requests/{world['request']}").json()["offers"]),
        "notices": len(organiser.get("/api/v1/notices", params={"limit": 200}).json()["items"]),
        "preferences": resident.get("/api/v1/members/me/preferences").json(),
        "members": len(organiser.get("/api/v1/members", params={"limit": 200}).json()["items"]),
    }


def assert_problem(response, statuses=range(400, 500)):
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == response.status_code and body["title"]
    assert "Traceback" not in response.text
    return body


def booking(world, **changes):
    start = world["start"]
    return {"space_id": world["room"], "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat(),
            "purpose": "Treffen", **changes}


def writes(world):
    """(who, path, a valid body) for each area's create; each case below spoils one field of it."""
    return [
        ("resident", "/api/v1/bookings", booking(world), "purpose"),
        ("organiser", "/api/v1/spaces", {"name": "Neu", "capacity": 3}, "name"),
        ("resident", "/api/v1/help-requests", {"title": "Hilfe", "category": "tech"}, "title"),
        ("resident", f"/api/v1/help-requests/{world['request']}/offers", {"message": "Gern"}, "message"),
        ("organiser", "/api/v1/notices", {"title": "T", "body": "B", "audience": "all"}, "title"),
    ]


@pytest.mark.parametrize("operator", OPERATORS, ids=lambda o: next(iter(o)))
def test_operators_in_place_of_values_are_refused_everywhere_and_store_nothing(world, operator):
    before = stored(world)
    for who, path, body, text_field in writes(world):
        for field in body:
            assert_problem(world[who].post(path, json={**body, field: operator}), {400, 422})
    for field in ("space_id", "start", "end"):
        assert_problem(world["resident"].post("/api/v1/bookings", json=booking(world, **{field: operator})), {422})
    assert_problem(world["resident"].put("/api/v1/members/me/preferences", json={
        "channels": {"in_app": True, "email": operator}, "digest": "off"}), {400, 422})
    assert_problem(world["organiser"].post("/api/v1/notices", json={"title": "T", "body": "B",
                                                                     "audience": {"household": operator}}),
                   {400, 422})
    assert stored(world) == before


@pytest.mark.parametrize("operator", OPERATORS, ids=lambda o: next(iter(o)))
def test_operators_do_not_log_anyone_in(platform, operator):
    for body in ({"email": operator, "password": operator}, {"email": "hostile@example.org", "password": operator},
                 {"email": operator, "password": MEMBER_PASSWORD}):
        assert_problem(platform.client().post("/api/v1/auth/login", json=body), {400, 401, 422})


def test_operators_and_junk_in_ids_and_queries_find_nothing(world):
    resident = world["resident"]
    for junk in ('{"$gt": ""}', '{"$where": "1"}', "$gt", "..%2F..%2Fetc", "x" * 500):
        assert_problem(resident.get(f"/api/v1/bookings/{junk}"), {404})
        assert_problem(resident.get(f"/api/v1/spaces/{junk}"), {404})
        assert_problem(resident.get(f"/api/v1/help-requests/{junk}"), {404})
        assert_problem(resident.post(f"/api/v1/help-requests/{junk}/offers", json={"message": "x"}), {404})
        assert_problem(world["organiser"].get(f"/api/v1/notices/{junk}/receipts"), {404})
        assert_problem(world["organiser"].get(f"/api/v1/members/{junk}"), {404})
    assert resident.get("/api/v1/bookings").json()["items"], "the neighbour's booking is there to be found"
    for params in ({"space_id[$gt]": ""}, {"space_id": '{"$gt": ""}', "from": '{"$gt": ""}'},
                   {"limit": '{"$gt": 0}'}, {"cursor": '{"$gt": ""}'}):
        assert_problem(resident.get("/api/v1/bookings", params=params), {422})
    # An operator as the value of a filter is a string that is no id: it filters down to nothing.
    assert resident.get("/api/v1/bookings", params={"space_id": '{"$gt": ""}'}).json()["items"] == []


def test_unknown_ids_are_404_and_store_nothing(world):
    before = stored(world)
    resident, organiser = world["resident"], world["organiser"]
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_problem(resident.post("/api/v1/bookings", json=booking(world, space_id=unknown)), {404})
    assert_problem(resident.delete(f"/api/v1/bookings/{unknown}"), {404})
    assert_problem(organiser.post(f"/api/v1/bookings/{unknown}/approve"), {404})
    assert_problem(resident.post(f"/api/v1/help-requests/{unknown}/offers", json={"message": "x"}), {404})
    assert_problem(resident.post(f"/api/v1/help-requests/{unknown}/complete"), {404})
    assert_problem(world["neighbour"].post(f"/api/v1/help-requests/{world['request']}/accept",
                                           json={"offer_id": unknown}), {404, 409, 422})
    assert_problem(resident.post(f"/api/v1/notifications/{unknown}/read"), {404})
    assert_problem(organiser.patch(f"/api/v1/members/{unknown}", json={"role": "organiser"}), {404})
    assert_problem(organiser.patch(f"/api/v1/spaces/{unknown}", json={"capacity": 2}), {404})
    assert stored(world) == before


def test_very_long_strings_are_422_and_store_nothing(world):
    before = stored(world)
    long = "x" * 20_000  # well under the body limit, far over every field's
    for who, path, body, text_field in writes(world):
        assert_problem(world[who].post(path, json={**body, text_field: long}), {422})
    assert_problem(world["resident"].patch("/api/v1/members/me", json={"display_name": long}), {422})
    assert stored(world) == before


def test_huge_bodies_are_413_and_store_nothing(world):
    before = stored(world)
    for who, path, body, text_field in writes(world):
        # The gateway refuses before reading the whole body and closes the connection: each huge body goes on
        # a connection of its own, so no later request reuses the closed one.
        fresh = Client(world[who].base_url)
        fresh.session.headers.update(world[who].session.headers)
        assert_problem(fresh.post(path, json={**body, text_field: "x" * HUGE}), {413})
    assert stored(world) == before


@pytest.mark.parametrize("content_type, data", [
    ("application/x-www-form-urlencoded", "title=Hilfe&category=tech"),
    ("text/plain", '{"title": "Hilfe", "category": "tech"}'),
    ("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHilfe\r\n--x--"),
    (None, '{"title": "Hilfe", "category": "tech"}'),
])
def test_wrong_content_types_are_refused_and_store_nothing(world, content_type, data):
    before = stored(world)
    for who, path, body, _ in writes(world):
        headers = {"Content-Type": content_type} if content_type else {}
        response = world[who].request("POST", path, data=data.encode(), headers=headers)
        assert_problem(response, {400, 415, 422})
    assert stored(world) == before


def test_naive_datetimes_are_422_and_store_nothing(world):
    before = stored(world)
    naive = (world["start"] + timedelta(days=1)).replace(tzinfo=None)
    resident = world["resident"]
    for changes in ({"start": naive.isoformat()}, {"end": (naive + timedelta(hours=1)).isoformat()},
                    {"start": naive.isoformat(), "end": (naive + timedelta(hours=1)).isoformat()}):
        problem = assert_problem(resident.post("/api/v1/bookings", json=booking(world, **changes)), {422})
        assert set(problem.get("errors", {})) & set(changes), problem
    for field in ("needed_from", "needed_until"):
        problem = assert_problem(resident.post("/api/v1/help-requests", json={
            "title": "Hilfe", "category": "tech", field: naive.isoformat()}), {422})
        assert field in problem.get("errors", {}), problem
    for params in ({"from": naive.isoformat()}, {"to": naive.isoformat()}):
        assert_problem(resident.get("/api/v1/bookings", params={"space_id": world["room"], **params}), {422})
    assert stored(world) == before
