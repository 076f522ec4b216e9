"""Test-wide setup. Nameko needs eventlet's monkey patching before anything opens a socket."""
import eventlet

eventlet.monkey_patch()  # noqa: E402  (must run before the imports below)

import pytest  # noqa: E402

from tests.support.database import database_server, drop_databases, fresh_prefix  # noqa: E402


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    """The session's database server: the embedded one, or MONGODB_URI's (see tests.support.database)."""
    yield from database_server(tmp_path_factory.mktemp("db"))


@pytest.fixture
def service_config(rabbit_config, database_uri):
    """Nameko config for a service under test: an isolated vhost, and a database of its own per test, dropped
    afterwards."""
    config = dict(rabbit_config)
    config["MONGODB_URI"] = database_uri
    config["DATABASE_NAME"] = fresh_prefix("test")
    config["OUTBOX_RELAY_GRACE_SECONDS"] = 0
    yield config
    drop_databases(database_uri, config["DATABASE_NAME"])
