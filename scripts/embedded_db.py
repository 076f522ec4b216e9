"""The embedded MongoDB-compatible server (SecantusDB) of `make run`, the tests and the benchmarks.

One server process per use: `make run` keeps its data in `.data/` (or `DATA_DIR`), a test session in a
temporary folder. Everything talks to it through the real pymongo driver, as to MongoDB; production runs
MongoDB itself and never starts this. The server's own log goes to `server.log` beside its data.

A clean stop (SIGTERM) lets WiredTiger checkpoint, which takes a few seconds; `kill()` is a SIGKILL for the
fault tests. Writes survive a SIGKILL only when the client asks for the journal (`j=True`), which the
services always do (`services.common.mongo`).
"""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pymongo
from pymongo.errors import PyMongoError

SERVER = Path(sys.executable).parent / "secantusd-py"
# The port of `make run`'s server (EMBEDDED_DB_PORT), where `make backup` finds it; tests take free ports.
DEFAULT_PORT = 27018


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class EmbeddedDatabase:
    """A SecantusDB server on 127.0.0.1 with its data under `storage`."""

    def __init__(self, storage: Path, port: int | None = None):
        self.storage = Path(storage)
        self.port = port or free_port()
        # Retryable writes off: SecantusDB 0.7.0b3 keeps the reply of every retryable write (up to 10,000, for
        # 30 minutes) and looks through them on every write, so that a write costs ~20x more after a busy
        # hour (measured in bench/measure.py). A single server has no failover for them to cover; the
        # platform's own idempotency keys and conditional updates make its retries safe. Real MongoDB keeps
        # the driver's default (on).
        self.uri = f"mongodb://127.0.0.1:{self.port}/?retryWrites=false"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "EmbeddedDatabase":
        self.storage.mkdir(parents=True, exist_ok=True)
        log = open(self.storage.parent / f"{self.storage.name}-server.log", "ab")
        self.process = subprocess.Popen(
            [str(SERVER), "--host", "127.0.0.1", "--port", str(self.port), "--storage-path", str(self.storage),
             "--log-level", "WARNING"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        self.wait_until_answering(timeout)
        return self

    def wait_until_answering(self, timeout: float) -> None:
        """Ping until the server answers (a start-up wait: there is no event to wait on)."""
        deadline = time.monotonic() + timeout
        with pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=500, connectTimeoutMS=500) as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the database server exited with {self.process.returncode}; "
                                       f"see {self.storage.parent / (self.storage.name + '-server.log')}")
                try:
                    client.admin.command("ping")
                    return
                except PyMongoError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the database server did not answer on port {self.port}")
                    time.sleep(0.1)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM, so that the server checkpoints and closes its files; SIGKILL if it will not go."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL: no checkpoint, nothing flushed but what the journal holds."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> "EmbeddedDatabase":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
