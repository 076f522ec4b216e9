"""Deciding together end to end, through HTTP against the running platform: a poll written in German with a Turkish
translation, a resident who votes in Turkish and changes her vote, the organiser who records a phone answer and
sees the call list shrink, the close, and the result in every inbox in its reader's language. A secret vote: the
member's export, the organiser's views and a dump of the decisions service's database hold nothing that links a
member to a choice."""
import json
from datetime import datetime, timedelta, timezone

import pymongo
import pytest
from bson import json_util

from tests.support.processes import eventually, readable

BERLIN_WINTER = timezone(timedelta(hours=1))
POLL = {"title": "Farbe des Treppenhauses", "body": "Welche Farbe soll das Treppenhaus bekommen?", "kind": "poll",
        "options": ["Gelb", "Blau", "Grün"],
        "translations": {"tr": {"title": "Merdiven boşluğunun rengi", "body": "Merdiven boşluğu hangi renk olsun?",
                                "options": ["Sarı", "Mavi", "Yeşil"]}}}


def closes_in(days: int) -> str:
    return (datetime.now(BERLIN_WINTER) + timedelta(days=days)).replace(microsecond=0).isoformat()


@pytest.fixture(scope="module")
def house(platform):
    organiser = platform.organiser()
    people = {"organiser": organiser}
    ids = {"organiser": organiser.get("/api/v1/members/me").json()["id"]}
    for name, language, phone in (("ayse", "tr", "040 111 11"), ("bora", "de", "040 222 22"),
                                  ("cem", "ar", "040 333 33")):
        people[name], profile = platform.join(organiser, f"{name}@example.org", display_name=name.title(),
                                              preferred_language=language, phone=phone)
        ids[name] = profile["id"]
    return {"people": people, "ids": ids, "platform": platform}


def open_for_everybody(house, body: dict) -> dict:
    """Open a decision once the decisions service has heard of every member (they join by event): one whose
    call list names all four."""
    organiser = house["people"]["organiser"]

    def opened():
        decision = organiser.post("/api/v1/decisions", json=body)
        assert decision.status_code == 201, decision.text
        waiting = organiser.get(f"/api/v1/decisions/{decision.json()['id']}/not-voted").json()
        return decision.json() if len(waiting) == 4 else None

    decision = eventually(opened, seconds=30)
    assert decision, "the decisions service never heard of every member"
    return decision


def call_list(house, decision) -> list[str]:
    answer = house["people"]["organiser"].get(f"/api/v1/decisions/{decision['id']}/not-voted")
    assert answer.status_code == 200, answer.text
    return [person["display_name"] for person in answer.json()]


def test_a_german_poll_read_and_voted_in_turkish_a_phone_answer_and_the_result_in_every_inbox(house):
    people, ids = house["people"], house["ids"]
    poll = open_for_everybody(house, {**POLL, "closes_at": closes_in(7)})
    ayse, bora, cem, organiser = people["ayse"], people["bora"], people["cem"], people["organiser"]

    seen = ayse.get(f"/api/v1/decisions/{poll['id']}").json()
    assert (seen["title"], seen["options"], seen["language"]) == ("Merdiven boşluğunun rengi",
                                                                  ["Sarı", "Mavi", "Yeşil"], "tr")
    assert cem.get(f"/api/v1/decisions/{poll['id']}").json()["title"] == "Farbe des Treppenhauses"  # no Arabic
    told = eventually(lambda: [n for n in ayse.get("/api/v1/notifications").json()["items"]
                               if n["kind"] == "decision_opened"])
    assert told and told[0]["title"] == "Lütfen oy verin: Merdiven boşluğunun rengi"
    assert told[0]["link"] == f"/decisions/{poll['id']}"

    assert ayse.post(f"/api/v1/decisions/{poll['id']}/votes", json={"options": [0]}).status_code == 201
    changed = ayse.post(f"/api/v1/decisions/{poll['id']}/votes", json={"options": [2]})
    assert changed.status_code == 201 and changed.json()["my_vote"]["options"] == [2]
    assert ayse.get(f"/api/v1/decisions/{poll['id']}").json()["my_vote"]["options"] == [2]
    refused = ayse.post(f"/api/v1/decisions/{poll['id']}/votes", json={"options": [0, 1]})
    assert refused.status_code == 422 and refused.headers["Content-Type"] == "application/problem+json"

    assert call_list(house, poll) == ["Bora", "Cem", "Olga Organiser"] or \
        sorted(call_list(house, poll)) == ["Bora", "Cem", "Olga Organiser"]
    listed = {p["display_name"]: p for p in organiser.get(f"/api/v1/decisions/{poll['id']}/not-voted").json()}
    assert listed["Cem"]["phone"] == "040 333 33"
    recorded = organiser.post(f"/api/v1/decisions/{poll['id']}/votes",
                              json={"options": [1], "on_behalf_of": ids["cem"], "note": "am Telefon"})
    assert recorded.status_code == 201 and recorded.json()["my_vote"]["recorded"] is True
    assert sorted(call_list(house, poll)) == ["Bora", "Olga Organiser"]
    assert bora.post(f"/api/v1/decisions/{poll['id']}/votes", json={"options": [2]}).status_code == 201
    assert call_list(house, poll) == ["Olga Organiser"]

    closed = organiser.post(f"/api/v1/decisions/{poll['id']}/close")
    assert closed.status_code == 200, closed.text
    assert closed.json()["results"] == {"votes": 3, "by_option": {"0": 0, "1": 1, "2": 2}, "recorded": 1}
    late = bora.post(f"/api/v1/decisions/{poll['id']}/votes", json={"options": [0]})
    assert late.status_code == 409 and late.headers["Content-Type"] == "application/problem+json"

    expected = {"ayse": ("Sonuç: Merdiven boşluğunun rengi", "Sarı: 0\nMavi: 1\nYeşil: 2"),
                "bora": ("Ergebnis: Farbe des Treppenhauses", "Gelb: 0\nBlau: 1\nGrün: 2"),
                "cem": ("النتيجة: \u2068Farbe des Treppenhauses\u2069", "Gelb: 0\nBlau: 1\nGrün: 2"),
                "organiser": ("Ergebnis: Farbe des Treppenhauses", "Gelb: 0\nBlau: 1\nGrün: 2")}
    for name, (title, result) in expected.items():
        results = eventually(lambda n=name: [m for m in people[n].get("/api/v1/notifications").json()["items"]
                                             if m["kind"] == "decision_result"])
        assert results, f"{name} never heard the result"
        assert results[0]["title"] == title and result in results[0]["body"], (name, results[0])
    recorded_for_cem = [m for m in cem.get("/api/v1/notifications").json()["items"] if m["kind"] == "recorded_for_you"]
    assert recorded_for_cem and "am Telefon" in recorded_for_cem[0]["body"]
    printed = ayse.get(f"/api/v1/decisions/{poll['id']}/results.html")
    assert printed.status_code == 200 and "Yeşil" in printed.text and 'lang="tr"' in printed.text


def test_a_consent_round_with_an_objection_does_not_pass_and_everyone_reads_the_reason(house):
    people = house["people"]
    round_ = open_for_everybody(house, {"title": "Gartenküche privat buchen", "body": "Dürfen wir?",
                                        "kind": "consent", "closes_at": closes_in(3)})
    path = f"/api/v1/decisions/{round_['id']}/votes"
    assert people["ayse"].post(path, json={"position": "consent"}).status_code == 201
    no_reason = people["bora"].post(path, json={"position": "objection"})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["errors"]
    assert people["bora"].post(path, json={"position": "objection", "reason": "Zu laut"}).status_code == 201
    closed = people["organiser"].post(f"/api/v1/decisions/{round_['id']}/close").json()
    assert closed["passed"] is False
    assert closed["results"]["objections"] == [{"display_name": "Bora", "reason": "Zu laut"}]
    told = eventually(lambda: [m for m in people["cem"].get("/api/v1/notifications").json()["items"]
                               if m["kind"] == "decision_not_passed"])
    assert told, "the outcome never reached Cem"


def test_a_secret_vote_leaves_nothing_that_links_a_member_to_a_choice(house):
    people, ids, platform = house["people"], house["ids"], house["platform"]
    ayse, bora, organiser = people["ayse"], people["bora"], people["organiser"]
    secret = open_for_everybody(house, {**POLL, "title": "Geheime Wahl der Farbe", "secret": True,
                                        "closes_at": closes_in(7)})
    path = f"/api/v1/decisions/{secret['id']}/votes"
    assert ayse.post(path, json={"options": [1]}).json()["my_vote"] == {"cast": True, "secret": True,
                                                                         "recorded": False}
    again = ayse.post(path, json={"options": [0]})
    assert again.status_code == 409 and "final" in again.json()["detail"]
    assert bora.post(path, json={"options": [2]}).status_code == 201
    assert organiser.post(path, json={"options": [2], "on_behalf_of": ids["cem"],
                                      "note": "Telefon, sie sagt Grün"}).status_code == 201

    # The organiser's views: who has not voted, how many did, no result while it is open.
    seen = organiser.get(f"/api/v1/decisions/{secret['id']}").json()
    assert seen["results"] is None and seen["voted"] == 3
    assert call_list(house, secret) == ["Olga Organiser"]
    # Ayşe's export: that she voted, nothing of what.
    export = ayse.get("/api/v1/members/me/export").json()["services"]["decisions"]
    (mine,) = [d for d in export["decisions"] if d["id"] == secret["id"]]
    assert mine["my_vote"] == {"cast": True, "secret": True}
    # The service's database, dumped whole: no ballot, no vote timestamp, voters sorted apart from counters.
    with pymongo.MongoClient(platform.database_uri, tz_aware=True) as client:
        database = client[platform.databases["DECISIONS_DB"]]
        dump = {name: list(database[name].find()) for name in database.list_collection_names()}
    (stored,) = [d for d in dump["decisions"] if d["_id"] == secret["id"]]
    assert stored["ballots"] == {} and stored["voters"] == sorted([ids["ayse"], ids["bora"], ids["cem"]])
    assert stored["counters"] == {"1": 1, "2": 2} and stored["assisted"] == 1
    text = json_util.dumps(dump)
    assert "sie sagt" not in text  # an organiser's note of a secret answer could name the choice
    for name, documents in dump.items():
        for document in documents:
            if name == "decisions" and not document.get("secret"):
                continue  # an open vote keeps who chose what: that is what open means
            flat = json.loads(json_util.dumps(document))
            linked = [path for path in paths_holding(flat, ids["ayse"]) if not path.startswith(
                ("members", "voters", "_id", "outbox", "author_id", "value", "community_id"))]
            assert linked == [], (name, linked)
    for document in dump.get("idempotency_keys", []):
        assert secret["id"] not in json_util.dumps(document)

    closed = organiser.post(f"/api/v1/decisions/{secret['id']}/close").json()
    assert closed["results"] == {"votes": 3, "by_option": {"0": 0, "1": 1, "2": 2}, "assisted": 1}
    assert ayse.get(f"/api/v1/decisions/{secret['id']}").json()["my_vote"] == {"cast": True, "secret": True}


def paths_holding(value, wanted: str, path: str = "") -> list[str]:
    """The paths within a JSON value where `wanted` appears, as a value or a key."""
    if isinstance(value, dict):
        found = []
        for key, inner in value.items():
            here = f"{path}.{key}" if path else key
            found += [here] if key == wanted else []
            found += paths_holding(inner, wanted, here)
        return found
    if isinstance(value, list):
        return [p for index, inner in enumerate(value) for p in paths_holding(inner, wanted, f"{path}[{index}]")]
    return [path] if value == wanted else []
