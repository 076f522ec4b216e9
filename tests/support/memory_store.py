"""mongomock for the unit tests of code that needs a store but not a server (never used in services/)."""
import mongoengine
import mongomock


def connect(alias: str, db_name: str) -> None:
    mongoengine.connect(db=db_name, alias=alias, host="mongodb://localhost", tz_aware=True,
                        mongo_client_class=mongomock.MongoClient)


def disconnect(alias: str) -> None:
    mongoengine.disconnect(alias)
