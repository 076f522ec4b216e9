"""A service that starts while its database cannot be reached waits for it (making its indexes) instead of
exiting; any other database error, or a database still away after the patience, still stops the start."""
import pytest
from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

from services.common import mongo


class Document:
    def __init__(self, failures):
        self.failures = list(failures)
        self.made = 0

    def ensure_indexes(self):
        if self.failures:
            raise self.failures.pop(0)
        self.made += 1


def provider(document, patience):
    class Repository(mongo.Repository):
        alias = "waiting"
        documents = (document,)

    database = mongo.MongoDatabase(Repository)
    database._alias = "waiting"
    return database, {"MONGODB_STARTUP_WAIT_SECONDS": patience}


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(mongo.time, "sleep", lambda seconds: None)


def test_indexes_are_made_once_the_database_answers():
    document = Document([ServerSelectionTimeoutError("no server"), ServerSelectionTimeoutError("no server")])
    database, config = provider(document, patience=60)
    database._make_indexes(config)
    assert document.made == 1 and document.failures == []


def test_an_error_about_the_request_itself_is_not_waited_out():
    document = Document([OperationFailure("bad index"), ServerSelectionTimeoutError("never reached")])
    database, config = provider(document, patience=60)
    with pytest.raises(OperationFailure):
        database._make_indexes(config)
    assert len(document.failures) == 1


def test_a_database_away_for_longer_than_the_patience_stops_the_start():
    document = Document([ServerSelectionTimeoutError("no server")] * 3)
    database, config = provider(document, patience=0)
    with pytest.raises(ServerSelectionTimeoutError):
        database._make_indexes(config)
    assert document.made == 0
