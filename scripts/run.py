"""`make run`: check the broker, start the embedded database, fill in demo settings, then run every process with
honcho in the foreground.

Without `MONGODB_URI` the platform keeps its data in an embedded MongoDB-compatible server (SecantusDB) under
`.data/` (or `DATA_DIR`): stop `make run` and start it again, and everything is still there. With `MONGODB_URI`
the services use that MongoDB and no server is started here. `INSTANCES=2` runs two processes of each service,
competing consumers of the same queues on the same database.

Honcho stops all processes on Ctrl-C or SIGTERM, and all of them when one dies; the database server is stopped
after them (it runs in a session of its own, so Ctrl-C does not reach it before the services have finished).
"""
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from kombu import Connection

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.embedded_db import DEFAULT_PORT, EmbeddedDatabase  # noqa: E402

SERVICES = ("members", "spaces", "help", "notifications", "care", "decisions", "activities")
STOPPED_BY_CTRL_C = 130  # honcho's exit status after SIGINT: a normal stop, not a failure
DEMO_ORGANISER = ("organiser@example.org", "demo-organiser-2026")


def broker_answers(uri: str) -> bool:
    try:
        with Connection(uri, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


def main() -> None:
    os.chdir(ROOT)
    env = os.environ
    env.setdefault("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/")
    env.setdefault("GATEWAY_PORT", "8080")
    if not broker_answers(env["AMQP_URI"]):
        sys.exit(
            f"RabbitMQ does not answer at {env['AMQP_URI']}.\n"
            "Start it with `rabbitmq-server -detached` (Debian: `apt-get install rabbitmq-server`),\n"
            "or with Docker: `docker run -d -p 5672:5672 rabbitmq:3.13-management`, then run `make run` again."
        )
    if not env.get("BOOTSTRAP_ORGANISER_EMAIL"):
        env["BOOTSTRAP_ORGANISER_EMAIL"], env["BOOTSTRAP_ORGANISER_PASSWORD"] = DEMO_ORGANISER
    metrics_dir = ROOT / ".run" / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))

    database = None
    if not env.get("MONGODB_URI"):
        data_dir = Path(env.get("DATA_DIR") or ROOT / ".data").resolve()
        print(f"Starting the embedded database (data in {data_dir})", flush=True)
        database = EmbeddedDatabase(data_dir / "db", port=int(env.get("EMBEDDED_DB_PORT") or DEFAULT_PORT))
        try:
            database.start()
        except RuntimeError as error:
            sys.exit(f"{error}\n(Is another `make run` using {data_dir} or port {database.port}? Stop it, or set "
                     "DATA_DIR and EMBEDDED_DB_PORT.)")
        env["MONGODB_URI"] = database.uri
        where = f"the embedded database, in {data_dir} (kept across restarts)"
    else:
        where = "the MongoDB at MONGODB_URI"
    instances = max(1, int(env.get("INSTANCES", "1")))
    print(f"""
  Cohousing platform starting: http://127.0.0.1:{env['GATEWAY_PORT']}/   (API under /api/v1, docs at /api/openapi.json)
  Organiser login: {env['BOOTSTRAP_ORGANISER_EMAIL']} / {env.get('BOOTSTRAP_ORGANISER_PASSWORD', '(from environment)')}
  Data is kept in {where}.  {instances} process(es) per service.
  Press Ctrl-C to stop everything.
""", flush=True)
    honcho = str(Path(sys.executable).parent / "honcho")
    concurrency = ",".join(f"{service}={instances}" for service in SERVICES)
    platform = subprocess.Popen([honcho, "start", "-f", "Procfile", "-c", concurrency])
    # Ctrl-C reaches honcho directly (same process group); SIGTERM sent to this process is passed on.
    signal.signal(signal.SIGTERM, lambda *_: platform.send_signal(signal.SIGTERM))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        code = platform.wait()
    finally:
        if database is not None:
            print("Stopping the embedded database", flush=True)
            database.stop()
    sys.exit(0 if code == STOPPED_BY_CTRL_C else code)


if __name__ == "__main__":
    main()
