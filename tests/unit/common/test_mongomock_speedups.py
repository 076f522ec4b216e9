"""The in-memory store answers exactly as mongomock does, with the speed-ups and without them."""
from collections import OrderedDict
from datetime import datetime, timezone

import mongomock
import pytest
from pymongo import ReturnDocument

from services.common import mongomock_speedups

MOMENT = datetime(2026, 3, 29, 0, 30, 15, 123000)


def script(db) -> list:
    """A little of everything the services do; returns every answer, in order."""
    answers = []
    rooms, bookings = db.rooms, db.bookings
    rooms.insert_one({"_id": "room", "version": 0, "claims": [], "at": MOMENT, "rules": OrderedDict(a=1, b=[1, 2])})
    for number in range(3):
        result = rooms.update_one(
            {"_id": "room", "version": number},
            {"$push": {"claims": {"booking_id": f"b{number}", "start": MOMENT, "household": None}},
             "$inc": {"version": 1}})
        answers.append((result.matched_count, result.modified_count))
    stale = rooms.update_one({"_id": "room", "version": 0}, {"$inc": {"version": 1}})
    answers.append((stale.matched_count, stale.modified_count))
    same = rooms.update_one({"_id": "room"}, {"$set": {"at": MOMENT}})  # changes nothing
    answers.append((same.matched_count, same.modified_count))
    upserted = rooms.update_one({"_id": "garden", "version": 0}, {"$inc": {"version": 1}, "$setOnInsert": {"x": 1}},
                                upsert=True)
    answers.append((upserted.matched_count, upserted.modified_count, upserted.upserted_id))
    bookings.insert_many([{"_id": f"b{n}", "community_id": "c1" if n % 2 else "c2", "start": MOMENT,
                           "outbox": [{"event_id": f"e{n}", "payload": {"n": n}}]} for n in range(5)])
    answers.append(bookings.find_one({"_id": "b1", "community_id": "c1"}))
    answers.append(bookings.find_one({"_id": "b1", "community_id": "c2"}))  # the id exists, the filter says no
    answers.append(bookings.find_one({"_id": "nobody"}))
    # Without a sort MongoDB promises no order (mongomock: as stored; the speed-up: as named), so compare as sets.
    answers.append(sorted(bookings.find({"_id": {"$in": ["b3", "b1", "b3", "b9"]}}), key=lambda d: d["_id"]))
    answers.append(list(bookings.find({"_id": {"$in": ["b3", "b1"]}, "community_id": "c1"}, sort=[("_id", -1)])))
    answers.append(list(bookings.find({"community_id": "c2"}, {"start": 1})))
    answers.append(bookings.update_one({"_id": "b2"}, {"$pull": {"outbox": {"event_id": "e2"}}}).modified_count)
    answers.append(bookings.find_one_and_update({"_id": "b4"}, {"$set": {"status": "cancelled"}},
                                                return_document=ReturnDocument.AFTER))
    answers.append(rooms.find_one({"_id": "room"}))
    answers.append(list(rooms.find({"claims.booking_id": "b1"}, {"claims.start": 1})))

    # What a caller gets is its own: changing it changes nothing stored.
    mine = rooms.find_one({"_id": "room"})
    mine["claims"].append({"booking_id": "intruder"})
    mine["rules"]["b"].append(3)
    answers.append(rooms.find_one({"_id": "room"}))
    kept = {"_id": "kept", "list": [1, {"deep": [2]}]}
    rooms.insert_one(kept)
    kept["list"][1]["deep"].append(3)
    answers.append(rooms.find_one({"_id": "kept"}))
    return answers


def answers_of(speed_ups: bool, tz_aware: bool) -> list:
    installed = bool(mongomock_speedups._originals)
    mongomock_speedups.install() if speed_ups else mongomock_speedups.uninstall()
    try:
        return script(mongomock.MongoClient(tz_aware=tz_aware)["speed"])
    finally:
        mongomock_speedups.install() if installed else mongomock_speedups.uninstall()


@pytest.mark.parametrize("tz_aware", [True, False])
def test_the_answers_are_mongomocks_own(tz_aware):
    plain, fast = answers_of(False, tz_aware), answers_of(True, tz_aware)
    assert fast == plain
    assert [type(answer) for answer in fast] == [type(answer) for answer in plain]


def test_datetimes_come_back_as_utc_when_asked_for():
    answers = answers_of(True, tz_aware=True)
    room = answers[-2]
    assert room["at"] == MOMENT.replace(tzinfo=timezone.utc)
    assert all(claim["start"].utcoffset().total_seconds() == 0 for claim in room["claims"])
    assert answers_of(True, tz_aware=False)[-2]["at"].tzinfo is None


def test_what_a_caller_changes_stays_with_the_caller():
    answers = answers_of(True, tz_aware=True)
    assert [claim["booking_id"] for claim in answers[-2]["claims"]] == ["b0", "b1", "b2"]
    assert answers[-2]["rules"]["b"] == [1, 2]
    assert answers[-1]["list"] == [1, {"deep": [2]}]


def test_a_query_by_id_reads_only_the_named_documents():
    mongomock_speedups.install()
    store = mongomock.MongoClient()["lookups"].things
    store.insert_many([{"_id": str(number)} for number in range(100)])
    tested = []
    original = mongomock.filtering.filter_applies

    def counting(filter, document):
        tested.append(document["_id"])
        return original(filter, document)

    mongomock.filtering.filter_applies, saved = counting, mongomock.filtering.filter_applies
    try:
        import mongomock.collection as collection_module

        collection_module.filter_applies, saved_module = counting, collection_module.filter_applies
        try:
            assert [d["_id"] for d in store.find({"_id": {"$in": ["7", "42"]}})] == ["7", "42"]
        finally:
            collection_module.filter_applies = saved_module
    finally:
        mongomock.filtering.filter_applies = saved
    assert sorted(tested) <= ["42", "7"]
