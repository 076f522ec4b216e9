"""Test-wide setup. Nameko needs eventlet's monkey patching before anything opens a socket."""
import eventlet

eventlet.monkey_patch()  # noqa: E402  (must run before the imports below)

import os  # noqa: E402
from pathlib import Path  # noqa: E402

# The cheapest password hashing for every members service of the tests, in process or not (see
# services/members/passwords.py): hundreds of members register and log in.
os.environ.setdefault("PASSWORD_HASH_PROFILE", "CHEAPEST")

import pytest  # noqa: E402

from services.common.config import load_service_config  # noqa: E402
from tests.support.database import database_server, drop_databases, fresh_prefix  # noqa: E402


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    """The session's database server: the embedded one, or MONGODB_URI's (see tests.support.database)."""
    yield from database_server(tmp_path_factory.mktemp("db"))


SERVICES = Path(__file__).resolve().parents[1] / "services"


@pytest.fixture(scope="session")
def configured_defaults():
    """Every service's settings as its config.yml gives them (the only place that has defaults)."""
    merged = {}
    for path in sorted(SERVICES.glob("*/config.yml")):
        merged.update(load_service_config(path))
    return merged


@pytest.fixture
def service_config(rabbit_config, database_uri, configured_defaults):
    """Nameko config for a service under test: its config.yml settings, an isolated vhost, and a database of its
    own per test, dropped afterwards."""
    config = {**configured_defaults, **rabbit_config}
    config["MONGODB_URI"] = database_uri
    config["DATABASE_NAME"] = fresh_prefix("test")
    config["OUTBOX_RELAY_GRACE_SECONDS"] = 0
    yield config
    drop_databases(database_uri, config["DATABASE_NAME"])
