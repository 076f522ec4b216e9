"""`make run`: check the broker, fill in demo settings, then run every process with honcho in the foreground.

Honcho stops all processes on Ctrl-C or SIGTERM, and all of them when one dies.
"""
import os
import shutil
import sys
from pathlib import Path

from kombu import Connection

ROOT = Path(__file__).resolve().parent.parent
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

    instances = int(env.get("INSTANCES", "1"))
    print(f"""
  Cohousing platform starting: http://127.0.0.1:{env['GATEWAY_PORT']}/   (API under /api/v1, docs at /api/openapi.json)
  Organiser login: {env['BOOTSTRAP_ORGANISER_EMAIL']} / {env.get('BOOTSTRAP_ORGANISER_PASSWORD', '(from environment)')}
  {'Data is kept in ' + env['MONGODB_URI'] if env.get('MONGODB_URI') else 'No MONGODB_URI: data is kept IN MEMORY and is gone when you stop.'}
  Press Ctrl-C to stop everything.
""", flush=True)
    env["INSTANCES"] = str(instances)  # each service process runs this many competing instances
    honcho = str(Path(sys.executable).parent / "honcho")
    os.execv(honcho, [honcho, "start", "-f", "Procfile"])


if __name__ == "__main__":
    main()
