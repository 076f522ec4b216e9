"""Neighbourhood help through the HTTP API: two residents, one asks, the other offers, accept, complete."""
import pytest


def resident(platform, organiser, email, name, phone, languages):
    client, _ = platform.join(organiser, email, display_name=name, languages=languages, phone=phone,
                              share_phone=False, household=f"Haus {name}")
    return client


@pytest.fixture(scope="module")
def people(platform):
    organiser = platform.organiser()
    return {
        "ayse": resident(platform, organiser, "ayse@example.org", "Ayşe", "040 111", ["tr", "de"]),
        "bora": resident(platform, organiser, "bora@example.org", "Bora", "040 222", ["de"]),
        "cem": resident(platform, organiser, "cem@example.org", "Cem", "040 333", ["ar", "de"]),
        "organiser": organiser,
    }


def test_phones_are_shared_only_between_requester_and_accepted_helper(platform, people):
    ayse, bora, cem = people["ayse"], people["bora"], people["cem"]
    asked = ayse.post("/api/v1/help-requests", json={
        "title": "Handy einrichten", "category": "tech", "description": "WhatsApp für die Enkel"})
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    assert bora.get("/api/v1/help-requests", params={"status": "open"}).json()["items"][0]["id"] == request_id

    assert ayse.post(f"/api/v1/help-requests/{request_id}/offers", json={"message": "me"}).status_code == 403
    offered = bora.post(f"/api/v1/help-requests/{request_id}/offers", json={"message": "Ich komme morgen"})
    assert offered.status_code == 201, offered.text
    assert cem.post(f"/api/v1/help-requests/{request_id}/offers", json={"message": "Ich kann auch"}).status_code == 201

    for viewer in (bora, cem):
        assert "phone" not in viewer.get(f"/api/v1/help-requests/{request_id}").json()["requester"]
    offers = ayse.get(f"/api/v1/help-requests/{request_id}").json()["offers"]
    assert {o["display_name"] for o in offers} == {"Bora", "Cem"} and all("phone" not in o for o in offers)

    assert bora.post(f"/api/v1/help-requests/{request_id}/accept",
                     json={"offer_id": offered.json()["id"]}).status_code == 403
    accepted = ayse.post(f"/api/v1/help-requests/{request_id}/accept", json={"offer_id": offered.json()["id"]})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert accepted.json()["helper"]["phone"] == "040 222"
    assert bora.get(f"/api/v1/help-requests/{request_id}").json()["requester"]["phone"] == "040 111"
    third_view = cem.get(f"/api/v1/help-requests/{request_id}").json()
    assert "phone" not in third_view["requester"] and "phone" not in (third_view["helper"] or {})
    organiser_view = people["organiser"].get(f"/api/v1/help-requests/{request_id}").json()
    assert "phone" not in organiser_view["requester"]

    completed = ayse.post(f"/api/v1/help-requests/{request_id}/complete")
    assert completed.status_code == 200 and completed.json()["status"] == "completed"
    again = ayse.post(f"/api/v1/help-requests/{request_id}/complete")
    assert again.status_code == 409 and again.json()["current_status"] == "completed"


def test_bad_help_requests_are_problems_and_store_nothing(platform, people):
    ayse = people["ayse"]
    before = len(ayse.get("/api/v1/help-requests", params={"mine": "true"}).json()["items"])
    for bad in ({"title": "x", "category": "astrology"}, {"title": "", "category": "other"},
                {"title": {"$gt": ""}, "category": "other"}, {"title": "x", "category": "other",
                                                              "needed_until": "2026-12-24T18:00:00"},
                {"title": "x", "category": "other", "needed_until": "2020-01-01T10:00:00+01:00"},
                {"title": "x", "category": "other", "languages": ["Deutsch"]}):
        response = ayse.post("/api/v1/help-requests", json=bad)
        assert response.status_code == 422, (bad, response.text)
        assert response.headers["Content-Type"].startswith("application/problem+json")
    assert len(ayse.get("/api/v1/help-requests", params={"mine": "true"}).json()["items"]) == before
    assert ayse.get("/api/v1/help-requests/nope").status_code == 404
    assert ayse.post("/api/v1/help-requests/nope/accept", json={"offer_id": "x"}).status_code == 404
