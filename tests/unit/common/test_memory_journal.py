"""The journal of the in-memory store: what a killed process wrote is there when it starts again."""
from datetime import datetime

import mongomock
from pymongo import ReturnDocument

from services.common import memory_journal


def restarted(directory, name="journaled"):
    """A new process's store, loaded from the journal (as a service that starts again)."""
    memory_journal.detach(name)
    database = mongomock.MongoClient()[name]
    memory_journal.attach(database, str(directory))
    return database


def test_every_kind_of_write_survives_a_restart(tmp_path):
    db = restarted(tmp_path)
    db.spaces.insert_one({"_id": "room", "claims": [], "at": datetime(2026, 12, 24, 18, 0)})
    db.spaces.update_one({"_id": "room"}, {"$push": {"claims": {"start": 1, "end": 2}}})
    db.spaces.update_one({"_id": "garden"}, {"$set": {"claims": []}}, upsert=True)
    db.bookings.insert_many([{"_id": "b1", "status": "confirmed"}, {"_id": "b2", "status": "confirmed"}])
    db.bookings.update_many({}, {"$set": {"purpose": ""}})
    db.bookings.find_one_and_update({"_id": "b2"}, {"$set": {"status": "cancelled"}},
                                    return_document=ReturnDocument.AFTER)
    db.bookings.replace_one({"_id": "b1"}, {"status": "pending"})
    db.handled_events.insert_one({"_id": "e1"})
    db.handled_events.delete_one({"_id": "e1"})
    db.parked_events.insert_one({"reason": "no _id given: mongomock makes an ObjectId"})
    db.scratch.insert_one({"_id": "x"})
    db.scratch.drop()

    again = restarted(tmp_path)
    assert again.spaces.find_one({"_id": "room"}) == {"_id": "room", "claims": [{"start": 1, "end": 2}],
                                                      "at": datetime(2026, 12, 24, 18, 0)}
    assert again.spaces.find_one({"_id": "garden"}) == {"_id": "garden", "claims": []}
    assert list(again.bookings.find({}, sort=[("_id", 1)])) == [
        {"_id": "b1", "status": "pending"}, {"_id": "b2", "status": "cancelled", "purpose": ""}]
    assert again.handled_events.count_documents({}) == 0
    assert again.parked_events.count_documents({}) == 1
    assert again.scratch.count_documents({}) == 0


def test_a_record_cut_short_by_the_kill_is_ignored_and_what_came_before_is_kept(tmp_path):
    db = restarted(tmp_path)
    db.bookings.insert_one({"_id": "b1"})
    db.bookings.insert_one({"_id": "b2"})
    journal = tmp_path / "journaled.journal"
    journal.write_bytes(journal.read_bytes()[:-3])

    assert [d["_id"] for d in restarted(tmp_path).bookings.find()] == ["b1"]


def test_a_failed_write_leaves_the_journal_as_the_store(tmp_path):
    db = restarted(tmp_path)
    db.bookings.create_index("slot", unique=True)
    db.bookings.insert_one({"_id": "b1", "slot": 1})
    db.bookings.insert_one({"_id": "b2", "slot": 2})
    try:
        db.bookings.update_one({"_id": "b2"}, {"$set": {"slot": 1}})
    except Exception:
        pass

    again = restarted(tmp_path)
    assert again.bookings.find_one({"_id": "b2"})["slot"] == 2


def test_databases_without_a_journal_are_left_alone(tmp_path):
    restarted(tmp_path)
    mongomock.MongoClient()["other"].bookings.insert_one({"_id": "b1"})
    assert not (tmp_path / "other.journal").exists()
