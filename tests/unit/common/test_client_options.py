"""The driver's settings: journaled, majority writes; retryable writes as the URI says unless set."""
import pymongo

from scripts.embedded_db import EmbeddedDatabase
from services.common.mongo import client_options


def settings(uri: str) -> dict:
    client = pymongo.MongoClient(uri, **client_options())
    try:
        return {"retry_writes": client.options.retry_writes, "journal": client.write_concern.document.get("j"),
                "w": client.write_concern.document.get("w")}
    finally:
        client.close()


def test_writes_are_journaled_and_majority_and_retryable_against_mongodb(monkeypatch):
    monkeypatch.delenv("MONGODB_RETRY_WRITES", raising=False)
    assert settings("mongodb://mongo.example:27017/") == {"retry_writes": True, "journal": True, "w": "majority"}


def test_the_embedded_servers_uri_turns_retryable_writes_off(monkeypatch, tmp_path):
    monkeypatch.delenv("MONGODB_RETRY_WRITES", raising=False)
    assert settings(EmbeddedDatabase(tmp_path).uri)["retry_writes"] is False


def test_the_environment_overrides_the_uri(monkeypatch, tmp_path):
    monkeypatch.setenv("MONGODB_RETRY_WRITES", "true")
    assert settings(EmbeddedDatabase(tmp_path).uri)["retry_writes"] is True
    monkeypatch.setenv("MONGODB_RETRY_WRITES", "false")
    assert settings("mongodb://mongo.example:27017/")["retry_writes"] is False
