"""The database under the integration, end-to-end and browser tests: one server per test session.

Without `MONGODB_URI` the session starts the embedded MongoDB-compatible server (SecantusDB) in a temporary
folder and stops it at the end; with it, the tests use that server (a real MongoDB) as they are. Either way
every test (integration) or platform start (end-to-end, browser) works in databases of its own, named with a
fresh prefix, and drops them afterwards, so that no test finds another's members.
"""
import os
import uuid
from pathlib import Path

import pymongo

from scripts.embedded_db import EmbeddedDatabase

SERVICES = ("members", "spaces", "help", "notifications", "care", "decisions", "activities")


def database_server(folder: Path):
    """The body of a session-scoped fixture: yields the URI of the session's database server."""
    uri = os.environ.get("MONGODB_URI")
    if uri:
        yield uri
        return
    server = EmbeddedDatabase(folder / "database").start()
    try:
        yield server.uri
    finally:
        server.stop()


def fresh_prefix(kind: str) -> str:
    return f"{kind}_{uuid.uuid4().hex[:10]}"


def database_names(prefix: str) -> dict[str, str]:
    """Each service's database for a platform started with `prefix`, as the environment names them."""
    return {f"{service.upper()}_DB": f"{prefix}_{service}" for service in SERVICES}


def drop_databases(uri: str, *names: str) -> None:
    with pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        for name in names:
            client.drop_database(name)
