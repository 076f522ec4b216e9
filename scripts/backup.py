"""`make backup` and `make restore FILE=…`: every service's database in one dated archive, and back.

    python -m scripts.backup backup [--to DIR]        # writes DIR/cohousing-backup-<UTC time>.tar.gz
    python -m scripts.backup restore FILE             # into an empty store only

The archive is a gzipped tar with `manifest.json` (when, which service had which database, how many documents
each collection held) and, per service, one file of documents per collection in canonical extended JSON
(`bson.json_util`, one document a line: dates, ids and numbers come back with their exact types) and one file
of its indexes. Restoring refuses a store in which any service's database already holds documents: stop the
platform first and restore into a fresh `DATA_DIR` (or an empty MongoDB), then start it.

Which database: `MONGODB_URI` when set (works the same against MongoDB); otherwise the embedded server of
`make run` if it is running, else that server is started on `DATA_DIR` (`.data/`) for the time of the backup.
Database names follow the services' settings (`MEMBERS_DB`, `SPACES_DB`, ...).
"""
import argparse
import contextlib
import io
import json
import sys
import tarfile
import warnings
from datetime import datetime, timezone
from pathlib import Path

import pymongo
from bson import json_util
from pymongo.errors import PyMongoError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=".*Eventlet is deprecated.*")  # imported with the services' settings

from scripts.embedded_db import DEFAULT_PORT, EmbeddedDatabase  # noqa: E402
from services.common.config import database_name, env, env_int  # noqa: E402
from services.common.mongo import client_options  # noqa: E402

SERVICES = ("members", "spaces", "help", "notifications", "care", "decisions", "activities")
JSON = json_util.JSONOptions(json_mode=json_util.JSONMode.CANONICAL, tz_aware=True,
                             uuid_representation=json_util.UuidRepresentation.STANDARD)
FORMAT = 1


def service_databases() -> dict[str, str]:
    return {service: database_name(service) for service in SERVICES}


@contextlib.contextmanager
def database_uri():
    """The URI of the platform's database, starting the embedded server for the time needed if nobody runs it."""
    if env("MONGODB_URI"):
        yield env("MONGODB_URI")
        return
    running = f"mongodb://127.0.0.1:{env_int('EMBEDDED_DB_PORT', DEFAULT_PORT)}/?retryWrites=false"
    try:
        with pymongo.MongoClient(running, serverSelectionTimeoutMS=1000) as client:
            client.admin.command("ping")
        yield running  # `make run` is running: its server answers
        return
    except PyMongoError:
        pass
    data_dir = Path(env("DATA_DIR") or ROOT / ".data").resolve()
    with EmbeddedDatabase(data_dir / "db") as server:
        yield server.uri


def backup(uri: str, databases: dict[str, str], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    path = folder / f"cohousing-backup-{now:%Y-%m-%dT%H%M%SZ}.tar.gz"
    manifest = {"format": FORMAT, "created_at": now.isoformat(), "databases": databases, "collections": {}}
    with pymongo.MongoClient(uri, **client_options()) as client, tarfile.open(path, "w:gz") as archive:
        for service, name in databases.items():
            database = client[name]
            counts = {}
            for collection in sorted(database.list_collection_names()):
                lines = [json_util.dumps(document, json_options=JSON) for document in database[collection].find()]
                counts[collection] = len(lines)
                add(archive, f"{service}/{collection}.jsonl", "\n".join(lines))
                indexes = [index for index in database[collection].list_indexes() if index["name"] != "_id_"]
                add(archive, f"{service}/{collection}.indexes.json", json_util.dumps(indexes, json_options=JSON))
            manifest["collections"][service] = counts
        add(archive, "manifest.json", json.dumps(manifest, indent=2))
    return path


def restore(uri: str, databases: dict[str, str], path: Path) -> dict[str, dict[str, int]]:
    """Load the archive into the (empty) databases named by `databases`; returns the counts restored."""
    with tarfile.open(path, "r:gz") as archive:
        manifest = json.loads(read(archive, "manifest.json"))
        if manifest.get("format") != FORMAT:
            raise SystemExit(f"{path} is not a backup this version can read (format {manifest.get('format')})")
        with pymongo.MongoClient(uri, **client_options()) as client:
            holding = [name for name in databases.values()
                       if any(client[name][c].estimated_document_count() for c in client[name].list_collection_names())]
            if holding:
                raise SystemExit(f"Not restoring: {', '.join(holding)} already hold data. Restore into an empty store "
                                 "(stop the platform; a fresh DATA_DIR, or drop these databases first).")
            for service, counts in manifest["collections"].items():
                database = client[databases[service]]
                for collection, count in counts.items():
                    text = read(archive, f"{service}/{collection}.jsonl")
                    documents = [json_util.loads(line, json_options=JSON) for line in text.splitlines() if line]
                    assert len(documents) == count, f"{service}/{collection}: {len(documents)} of {count} in archive"
                    for start in range(0, len(documents), 1000):
                        database[collection].insert_many(documents[start:start + 1000], ordered=True)
                    for index in json_util.loads(read(archive, f"{service}/{collection}.indexes.json"),
                                                 json_options=JSON):
                        keys = list(index.pop("key").items())
                        index.pop("v", None)
                        index.pop("ns", None)
                        database[collection].create_index(keys, **index)
    return manifest["collections"]


def add(archive: tarfile.TarFile, name: str, text: str) -> None:
    data = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(timezone.utc).timestamp())
    archive.addfile(info, io.BytesIO(data))


def read(archive: tarfile.TarFile, name: str) -> str:
    member = archive.extractfile(name)
    if member is None:
        raise SystemExit(f"the backup has no {name}")
    return member.read().decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("backup").add_argument("--to", type=Path, default=ROOT / "backups")
    commands.add_parser("restore").add_argument("file", type=Path)
    args = parser.parse_args()
    databases = service_databases()
    with database_uri() as uri:
        if args.command == "backup":
            print(f"Backup written: {backup(uri, databases, args.to)}")
        else:
            if not args.file.is_file():
                raise SystemExit(f"No such backup: {args.file}")
            counts = restore(uri, databases, args.file)
            total = sum(sum(per.values()) for per in counts.values())
            print(f"Restored {total} documents of {len(counts)} services from {args.file}")


if __name__ == "__main__":
    main()
