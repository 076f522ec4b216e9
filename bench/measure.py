"""What both benchmarks measure the same way: percentiles, the database server under a run, the CPU and
memory of every process (each service instance is a process of its own, the database server one more), the
database's operation counts, the comparison with earlier figures, and a light HTTP client for the load
generator (it shares the machine's cores with the platform it measures)."""
import argparse
import http.client
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pymongo
from nameko.exceptions import UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from scripts.embedded_db import EmbeddedDatabase
from tests.support.processes import ROOT, SERVICES, Platform

# Passwords hashed as in production (the test suites' platforms take the cheapest profile).
os.environ.setdefault("PASSWORD_HASH_PROFILE", "RFC_9106_LOW_MEMORY")

DATABASE = "secantusd-py"  # the embedded server's process, as the CPU and memory tables name it
BROKER = "rabbitmq"  # the local broker's beam.smp, shared with whatever else uses it
LOAD_GENERATOR = "load generator"


def machine_speed() -> float:
    """Milliseconds one core of this machine takes for a fixed piece of Python work like the platform's own
    (JSON in and out, dicts, dates), best of five. Machines differ (the same code measured 173 and 96 bookings/s
    on two machines of this kind), so a figure compares with another only next to this one; smaller is faster."""
    booking = {"id": "5d0f3c2e-8a4b-4f7e-9c61-2b7d9e0a1c55", "space_id": "room", "member_id": "member",
               "purpose": "Geburtstag", "status": "confirmed", "series_id": None, "rules": {"slot": 30, "max": 240}}
    start = datetime(2026, 11, 25, 17, 0, tzinfo=timezone.utc)
    best = float("inf")
    for _ in range(5):
        began = time.process_time()
        for number in range(4_000):
            moment = start + timedelta(minutes=30 * number)
            end = moment + timedelta(hours=1)
            text = json.dumps({**booking, "start": moment.isoformat(), "end": end.isoformat()})
            copied = {key: value for key, value in json.loads(text).items() if value is not None}
            datetime.fromisoformat(copied["start"]).astimezone(timezone.utc)
        best = min(best, time.process_time() - began)
    return round(best * 1000, 1)


def bench_arguments(description: str) -> argparse.ArgumentParser:
    """The command line both benchmarks share; each adds its sizes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--instances", default="1,2", help="comma-separated instance counts of every service")
    return parser


def run_bench(name: str, title: str, measure, sizes: argparse.Namespace) -> list[dict]:
    """`measure(instances, database, sizes)` for each instance count, each on a database server of its own (the
    embedded server keeps state in memory that would carry one run's writes into the next: see BenchDatabase);
    writes `bench-results/<name>.json` (when and where: cores, the machine figure, the load average) and
    prints the heading of the output: the title, the machine, the database and the load average at start and
    end."""
    logging.getLogger("amqp").setLevel(logging.ERROR)  # not its warnings about confirms while a channel closes
    speed = machine_speed()
    load_at_start = load_average()
    results = []
    for count in sizes.instances.split(","):
        with BenchDatabase() as database:
            results.append(measure(int(count), database, sizes))
    load_at_end = load_average()
    folder = Path(__file__).resolve().parent.parent / "bench-results"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(
        {"measured_at": datetime.now(timezone.utc).isoformat(), "cores": os.cpu_count(), "machine_ms": speed,
         "load_average": {"start": load_at_start, "end": load_at_end}, "database": database.describe(),
         "results": results}, indent=2))
    print(f"\n{title} ({os.cpu_count()} cores; machine: {speed} ms for the reference work of bench/measure.py, "
          "smaller is faster)")
    print(database.describe())
    print(f"load average (1, 5, 15 min): {load_at_start} at the start, {load_at_end} at the end")
    return results


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def rss_mb(pid: int) -> float:
    """Resident memory of one process and its children (the gateway's gunicorn workers), in MiB."""
    total_kib = 0
    for member in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except FileNotFoundError:
            pass  # it ended meanwhile
    return round(total_kib / 1024, 1)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            pass
    return found + [grandchild for child in found for grandchild in _children(child)]


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by one process and its children (gunicorn's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rpartition(")")[2].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def machine_cpu() -> tuple[int, int]:
    """Busy and total clock ticks of all cores so far (/proc/stat): with the platform's own CPU, whether a run
    was bound by the cores, and whose work filled them."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """Percent of all cores' time that was busy between two `machine_cpu()` readings."""
    return round(100 * (after[0] - before[0]) / max(1, after[1] - before[1]), 1)


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine shows in every figure."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class BenchDatabase:
    """The database server under one measured platform: a fresh embedded SecantusDB server with its data in a
    temporary folder, or, when MONGODB_URI is set, that server (another machine's or user's process: not
    measured).

    Fresh, so that each instance count starts from the same state. SecantusDB 0.7.0b3 keeps the reply of every
    retryable write for 30 minutes, up to 10,000, and looks through all of them (sorts them, once there are
    10,000) on every write: a write costs its CPU ~0.5 ms on a fresh server and ~10 ms after some 10,000
    writes. The embedded server's URI therefore turns retryable writes off (scripts/embedded_db.py), as
    `make run` and the tests have it; MONGODB_RETRY_WRITES=true turns them back on to see the difference."""

    def __init__(self):
        self.external_uri = os.environ.get("MONGODB_URI")
        self.server: EmbeddedDatabase | None = None

    def __enter__(self) -> "BenchDatabase":
        if not self.external_uri:
            folder = Path(tempfile.mkdtemp(prefix="bench-database-"))
            self.server = EmbeddedDatabase(folder / "database").start()
        return self

    def __exit__(self, *exc) -> None:
        if self.server is not None:
            self.server.stop()
            shutil.rmtree(self.server.storage, ignore_errors=True)  # its log stays beside it

    @property
    def uri(self) -> str:
        return self.external_uri or self.server.uri

    @property
    def pid(self) -> int | None:
        return self.server.process.pid if self.server else None

    def describe(self) -> str:
        retryable = os.environ.get("MONGODB_RETRY_WRITES") or ("false" if self.server else "true")
        writes = f"journaled writes, retryable writes {'on' if retryable == 'true' else 'off'}"
        if self.server:
            return (f"database: a fresh embedded SecantusDB server ({DATABASE}) per instance count, {writes}; its "
                    "CPU and memory are in the tables")
        return (f"database: the server at MONGODB_URI, {writes}; not started by the bench, so its CPU and memory "
                "are NOT in the tables (the CPU per booking leaves the database's work out)")

    def status(self) -> tuple[dict[str, int], int]:
        """The server's operation counters so far (serverStatus.opcounters) and the platform's open connections
        (pools and monitors; the embedded server's cost per operation grows with those in use at once)."""
        with pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=5000) as client:
            status = client.admin.command("serverStatus")
        # less this client's own three: its operation, monitor and round-trip-time monitor connections
        return dict(status["opcounters"]), status["connections"]["current"] - 3


def start_platform(name: str, database: "BenchDatabase", instances: int, **extra_env):
    """The platform with `instances` processes of every service on `database`, its logs in a temporary folder."""
    return Platform(Path(tempfile.mkdtemp(prefix=f"bench-{name}-{instances}-")), database.uri,
                    instances=dict.fromkeys(SERVICES, instances), LOG_LEVEL="WARNING", **extra_env).start()


def round_trips(platform: Platform, calls: int, service: str = "spaces") -> dict[str, list[float]]:
    """Seconds per call of a bare RPC round trip (bench_echo.ping, started here for the purpose) and of
    `service`.health (the same round trip plus a database ping), `calls` of each, one after the other, on the
    drained platform."""
    log = open(platform.log_dir / "bench-echo.log", "ab")
    echo = subprocess.Popen([sys.executable, "-m", "scripts.run_service", "--config", "bench/echo.yml",
                             "bench.echo_service:EchoService"], cwd=ROOT, env=platform.env, stdout=log,
                            stderr=subprocess.STDOUT)
    log.close()
    try:
        with ClusterRpcProxy({"AMQP_URI": platform.env["AMQP_URI"]}, timeout=10) as rpc:
            wait_for_echo(rpc, echo)
            return {name: timed(call, calls) for name, call in
                    (("bare", rpc.bench_echo.ping), ("health", getattr(rpc, service).health))}
    finally:
        echo.terminate()
        echo.wait(timeout=20)


def wait_for_echo(rpc, echo: subprocess.Popen, timeout: float = 30) -> None:
    """Call until the echo service answers (a start-up wait: its queue exists once it is consuming)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            rpc.bench_echo.ping()
            return
        except UnknownService:
            if echo.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the bench's echo service did not start; see bench-echo.log")
            time.sleep(0.2)


def timed(call, calls: int) -> list[float]:
    call()  # the first call of a proxy sets up its reply queue
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def broker_pid() -> int | None:
    """The local RabbitMQ's Erlang VM, when it runs on this machine (its CPU includes other users' work)."""
    for stat in Path("/proc").glob("[0-9]*/comm"):
        try:
            if stat.read_text().strip() == "beam.smp":
                return int(stat.parent.name)
        except OSError:
            continue
    return None


def process_ids(platform, database: BenchDatabase, broker: bool = False) -> dict[str, int]:
    """Every process to measure by table name: each platform process ("spaces", "spaces#2", ..., "gateway"),
    the database server if the bench started it, and with `broker` the local RabbitMQ."""
    pids = {name: process.pid for name, process in platform.processes.items()}
    if database.pid:
        pids[DATABASE] = database.pid
    if broker and broker_pid():
        pids[BROKER] = broker_pid()
    return pids


def cpu_by_process(pids: dict[str, int]) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


def rss_by_process(pids: dict[str, int]) -> dict[str, float]:
    return {name: rss_mb(pid) for name, pid in pids.items()}


def per_unit(before: dict[str, float], after: dict[str, float], units: int, scale: float = 1.0) -> dict[str, float]:
    """What each counter grew by, per unit of work (times `scale`: 1000 turns CPU seconds into ms)."""
    return {name: round((after[name] - before.get(name, 0)) * scale / units, 2) for name in after}


def ordered_names(names) -> list[str]:
    """Process names grouped by service, instances in order: members, members#2, spaces, spaces#2, ..."""
    names = list(dict.fromkeys(names))
    bases = list(dict.fromkeys(name.partition("#")[0] for name in names))
    return sorted(names, key=lambda name: (bases.index(name.partition("#")[0]), int(name.partition("#")[2] or 1)))


def print_process_table(title: str, columns: dict[str, dict[str, float]], total: str | None = None,
                        leave_out_of_total: tuple = (BROKER, LOAD_GENERATOR), before_total: str = "") -> None:
    """One row per process, one column per run (a run with one instance per service has no "spaces#2": its
    cell stays empty); with `total`, a last row adding up the processes but those left out of the total,
    and the earlier figure beside it."""
    names = ordered_names(name for values in columns.values() for name in values)
    width = max(14, *(len(header) + 2 for header in columns))
    print(f"\n{title}")
    print(f"{'process':<24}" + "".join(f"{header:>{width}}" for header in columns)
          + (f"   {'in-memory store, before':<24}" if before_total else ""))
    for name in names:
        print(f"{name:<24}" + "".join(f"{values.get(name, ''):>{width}}" for values in columns.values()))
    if total:
        sums = [round(sum(value for name, value in values.items() if name not in leave_out_of_total), 2)
                for values in columns.values()]
        print(f"{total:<24}" + "".join(f"{value:>{width}}" for value in sums)
              + (f"   {before_total:<24}" if before_total else ""))


def print_comparison(results: list[dict], key: str, metrics: list[tuple[str, str]], before: dict) -> None:
    """Each metric of each run beside the earlier in-memory store's figure. `metrics` are (label, field of a
    result); `before` maps a label to {instances: text}, or to one text the earlier note gave for both runs
    (marked *)."""
    print(f"{'':<34}{'instances':>10}{'now':>18}   {'in-memory store, before'}")
    for label, field in metrics:
        for number, row in enumerate(results):
            earlier = before.get(label, "")
            earlier = earlier.get(row[key], "") if isinstance(earlier, dict) else f"{earlier} *" if earlier else ""
            print(f"{label if number == 0 else '':<34}{row[key]:>10}{row[field]:>18}   {earlier}")
    if any(isinstance(value, str) for value in before.values()):
        print("* one figure (or range) in the earlier note, not given per instance count")


def print_goal(text: str, value: float, met: bool) -> None:
    print(f"goal: {text}: {value} -> {'MET' if met else 'NOT MET'}")


class LightClient:
    """One keep-alive HTTP/1.1 connection with a bearer token, on `http.client`: a booking costs the load
    generator a fraction of what `requests` costs, so less of the shared CPU goes to measuring."""

    def __init__(self, base_url: str, token: str):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def post(self, path: str, body: dict) -> int:
        try:
            return self._post(path, body)
        except (http.client.HTTPException, ConnectionError):
            self.connection.close()  # the server closed an idle connection: open a new one, once
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            return self._post(path, body)

    def _post(self, path: str, body: dict) -> int:
        self.connection.request("POST", path, body=json.dumps(body), headers=self.headers)
        response = self.connection.getresponse()
        response.read()
        return response.status

    def close(self) -> None:
        self.connection.close()


def print_memory(results: list[dict], key: str) -> None:
    """The RSS table of a bench: one row per process, at rest and after load for each run."""
    columns = {}
    for row in results:
        for moment in ("at_rest", "after_load"):
            columns[f"{row[key]}: {moment.replace('_', ' ')}"] = row[f"rss_mib_{moment}"]
    print_process_table(f"Resident memory (MiB) per process, at rest and after the load, by {key.replace('_', ' ')}"
                        "; gateway = gunicorn and its workers", columns)
