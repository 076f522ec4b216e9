"""Test-wide setup. Nameko needs eventlet's monkey patching before anything opens a socket."""
import eventlet

eventlet.monkey_patch()  # noqa: E402  (must run before the imports below)

import os  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture
def service_config(rabbit_config):
    """Nameko config for a service under test: an isolated vhost, and a database of its own per test.

    Without MONGODB_URI the services use mongomock (a fresh store per container start); with it, each test
    gets a uniquely named database on the real server.
    """
    config = dict(rabbit_config)
    config["MONGODB_URI"] = os.environ.get("MONGODB_URI", "")
    config["DATABASE_NAME"] = f"test_{uuid.uuid4().hex[:12]}"
    config["OUTBOX_RELAY_GRACE_SECONDS"] = 0
    yield config
    if config["MONGODB_URI"]:
        import pymongo

        pymongo.MongoClient(config["MONGODB_URI"]).drop_database(config["DATABASE_NAME"])
