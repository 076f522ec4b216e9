"""Chaos fixtures: the session's database server, under every platform the chaos tests start.

`make chaos` runs `pytest tests/chaos` with its own `addopts` (`make test` runs the broker and service faults
with the rest and leaves the database kill out), but without `--confcutdir`, so tests/conftest.py still
applies: eventlet's monkey patching, and a `database_uri` fixture of the same meaning. This one is the chaos
tests' own, so that they have their database server whatever conftest files above them are read. The
database-kill test starts a server of its own instead, one it may kill (tests/chaos/test_database_kill.py).
"""
import pytest

from tests.support.database import database_server


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    """The URI of the chaos session's database server: the embedded one, or MONGODB_URI's."""
    yield from database_server(tmp_path_factory.mktemp("db"))
