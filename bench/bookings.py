"""`make bench`: how fast the platform takes bookings through the gateway, measured on this machine.

Starts a database server (a fresh embedded SecantusDB in a temporary folder per instance count, or uses the one
at MONGODB_URI) and the platform as processes on it (like the end-to-end tests: every service instance a
process of its own),
seeds a realistic house (10 spaces, 5,000 stored bookings, 40 residents), then measures booking creation
through the HTTP API:
- bookings created per second at saturation (32 concurrent clients), and the share of requests that failed,
- p50 / p95 / p99 latency at 4 concurrent clients, and p50 at 1 client (a booking's path alone),
- next to a bare Nameko RPC round trip (bench/echo_service.py) and spaces.health (the same plus a database
  ping), measured in the same run,
- the CPU per booking of every process (each instance, the database server, the local RabbitMQ, the load
  generator) and the database operations per booking, at saturation (until the queues drained), and how
  busy the cores were,
- the resident memory (RSS) of each process at rest (started, nothing stored) and after the load,
for 1 and for 2 instances of each service, beside the figures of the earlier in-memory store. Prints tables
and writes bench-results/bookings.json. Smaller sizes for a quick try: see `--help`.

The clients are threads of this process, each with one keep-alive `http.client` connection (not `requests`):
the load generator runs on the same cores as the platform, so it should cost as little CPU as it can; its CPU
per booking is reported too.

Goals: booking p50 at 4 clients <= 10x the bare RPC p50 of the same run; 2 instances >= 1 instance in
bookings/s. Older targets on the 2-core machine: >= 250 bookings/s at saturation; p95 <= 30 ms at 4 clients.
"""
import argparse
import os
import statistics
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # nameko's import of it, not ours

from bench.measure import (  # noqa: E402
    BROKER, DATABASE, LOAD_GENERATOR, BenchDatabase, LightClient, bench_arguments, busy_share, cpu_by_process,
    machine_cpu, per_unit, percentile, print_comparison, print_goal, print_memory, print_process_table,
    process_ids, round_trips, rss_by_process, run_bench, start_platform,
)
from tests.support.processes import Platform  # noqa: E402

RESULTS = ROOT / "bench-results"
SPACES = 10
RESIDENTS = 40
PASSWORD = "benchmark password 1"
SLOT = timedelta(minutes=60)
FIRST_DAY = (datetime.now(timezone.utc) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)


class Slots:
    """Hands out distinct free hours spread like a real house's bookings: round-robin over the spaces, one a
    day per space across a year, at `first_hour`, then two hours later, ... So no request clashes, and each
    space holds a handful of bookings a week rather than one every half hour."""

    DAYS = 360

    def __init__(self, spaces: list[str], first_hour: int):
        self.spaces = spaces
        self.first_hour = first_hour
        self.next = 0
        self.lock = threading.Lock()

    def take(self) -> dict:
        with self.lock:
            number = self.next
            self.next += 1
        rounds, rest = divmod(number, len(self.spaces) * self.DAYS)
        day, space = divmod(rest, len(self.spaces))
        start = FIRST_DAY + timedelta(days=day, hours=self.first_hour + 2 * rounds)
        return {"space_id": self.spaces[space], "start": start.isoformat(), "end": (start + SLOT).isoformat(),
                "purpose": "Benchmark"}


def make_sessions(platform: Platform, tokens: list[str], count: int) -> list[LightClient]:
    return [LightClient(platform.url, tokens[number % len(tokens)]) for number in range(count)]


def book_many(platform, sessions, slots: Slots, total: int) -> tuple[list[float], float, dict, float]:
    """`total` bookings spread over the sessions (one client thread each); latencies, wall time, statuses and
    the load generator's own CPU milliseconds per booking."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    per_client = total // len(sessions)

    def client(session):
        mine, seen = [], {}
        for _ in range(per_client):
            body = slots.take()
            started = time.perf_counter()
            status = session.post("/api/v1/bookings", body)
            mine.append(time.perf_counter() - started)
            seen[status] = seen.get(status, 0) + 1
        with lock:
            latencies.extend(mine)
            for status, count in seen.items():
                statuses[status] = statuses.get(status, 0) + count

    started, cpu_started = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(len(sessions)) as pool:
        list(pool.map(client, sessions))
    wall = time.perf_counter() - started
    cpu_ms = (time.process_time() - cpu_started) * 1000 / total
    for session in sessions:
        session.close()
    return latencies, wall, statuses, cpu_ms


def wait_until_drained(platform: Platform, timeout: float = 600) -> float:
    """Wait until the queues the platform consumes are empty: requests the gateway gave up on (its RPC timeout)
    during the load are still queued for the services, and a round trip timed behind them would measure the
    backlog. Two readings of nothing queued in a row (the management API's figures lag); returns the seconds
    waited. Queues nobody consumes (dead letters) do not count."""
    started = time.monotonic()
    empty_readings = 0
    while empty_readings < 2:
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"the platform's queues did not drain in {timeout} s")
        queued = sum(queue.get("messages", 0) for queue in platform.queues() if queue.get("consumers"))
        empty_readings = empty_readings + 1 if queued == 0 else 0
        time.sleep(2)
    return time.monotonic() - started


# The in-memory store's figures (mongomock inside each service), from the last closing note, same machine:
# two runs where two are given. Keys are the labels of the comparison table.
BEFORE = {
    "bookings/s @32 clients": {1: "156.2 / 149.7", 2: "155.4 / 144.1"},
    "p50 ms @4 clients": "24.6",
    "p95 ms @4 clients": "33.2",
    "p99 ms @4 clients": "39.5",
    "CPU ms/booking, platform+db": "11.9-12.5",
}
METRICS = [
    ("bookings/s @32 clients", "bookings_per_second"),
    ("  requests failed @32 clients %", "failed_at_saturation_percent"),
    ("p50 ms @1 client", "p50_ms_at_1_client"),
    ("p50 ms @4 clients", "p50_ms"),
    ("p95 ms @4 clients", "p95_ms"),
    ("p99 ms @4 clients", "p99_ms"),
    ("bare RPC p50 ms (echo)", "rpc_round_trip_p50_ms"),
    ("spaces.health p50 ms (+db ping)", "health_round_trip_p50_ms"),
    ("booking p50 / bare RPC p50", "booking_p50_over_rpc_p50"),
    ("CPU ms/booking, platform+db", "cpu_ms_per_booking_total"),
    ("  of which the database server", "database_cpu_ms_per_booking"),
    ("cores busy @32 clients %, all", "machine_busy_percent_at_saturation"),
    ("  of which platform+db %", "platform_share_percent_at_saturation"),
    ("database operations/booking", "database_operations_per_booking"),
    ("database connections open", "database_connections_after_saturation"),
    ("queues drained after load, s", "seconds_until_queues_drained_after_saturation"),
    ("seeding s", "seeding_seconds"),
]


def seed(platform: Platform, bookings: int) -> tuple[list[str], list[str], dict[int, int]]:
    """10 spaces, 40 residents and `bookings` bookings through the API: the spaces, the residents' tokens and
    the HTTP statuses of the bookings (a few may fail, e.g. with the gateway's RPC timeout)."""
    organiser = platform.organiser()
    spaces = []
    for number in range(SPACES):
        response = organiser.post("/api/v1/spaces", json={
            "name": f"Raum {number + 1}", "capacity": 20,
            "rules": {"open_from": "00:00", "open_until": "00:00", "slot_minutes": 30, "min_duration_minutes": 30,
                      "max_duration_minutes": 240, "max_days_ahead": 730}})
        response.raise_for_status()
        spaces.append(response.json()["id"])
    tokens = []
    for number in range(RESIDENTS):
        email = f"resident{number}@example.org"
        code = organiser.post("/api/v1/invitations", json={
            "email": email, "role": "resident", "household": f"Haus {number // 2}"}).json()["code"]
        platform.client().post("/api/v1/members", json={
            "invitation_code": code, "email": email, "password": PASSWORD, "display_name": f"Resident {number}",
            "preferred_language": "de"}).raise_for_status()
        tokens.append(platform.login(email, PASSWORD).session.headers["Authorization"].split()[1])
    # 4 clients: seeding is not measured, and more clients would only queue at the database server (beyond the
    # gateway's 5 s RPC timeout, once its writes are slow: see bench.measure.BenchDatabase)
    _, _, statuses, _ = book_many(platform, make_sessions(platform, tokens, 4), Slots(spaces, first_hour=0), bookings)
    if statuses.get(201, 0) < 0.99 * sum(statuses.values()):
        raise RuntimeError(f"seeding failed: {statuses}")
    return spaces, tokens, statuses


def measure(instances: int, database: BenchDatabase, sizes: argparse.Namespace) -> dict:
    platform = start_platform("bookings", database, instances, GATEWAY_THREADS="16")
    try:
        rss_at_rest = rss_by_process(process_ids(platform, database))
        started = time.perf_counter()
        spaces, tokens, seeded = seed(platform, sizes.seeded)
        seeding = time.perf_counter() - started
        later = Slots(spaces, first_hour=1)
        book_many(platform, make_sessions(platform, tokens, 4), later, sizes.warm_up)
        alone, _, statuses_1, _ = book_many(platform, make_sessions(platform, tokens, 1), later, sizes.alone)
        latencies, _, statuses_4, _ = book_many(platform, make_sessions(platform, tokens, 4), later, sizes.latency)
        saturation = sizes.saturation - sizes.saturation % 32
        pids = process_ids(platform, database, broker=True)
        (operations_before, _), cpu_before, machine_before = database.status(), cpu_by_process(pids), machine_cpu()
        _, wall, statuses_32, client_cpu_ms = book_many(platform, make_sessions(platform, tokens, 32), later,
                                                        saturation)
        machine_after, cpu_end_of_load = machine_cpu(), cpu_by_process(pids)
        # The CPU and the operations until the queues drained: requests the gateway gave up on (a 503 after its
        # RPC timeout) are still carried out by the services after the load, and belong to it.
        drained = wait_until_drained(platform)
        cpu_after, (operations_after, connections) = cpu_by_process(pids), database.status()
        round_trip = round_trips(platform, sizes.rpc_calls)
        rss_after_load = rss_by_process(process_ids(platform, database))
    finally:
        platform.stop()
    cpu_ms = {**per_unit(cpu_before, cpu_after, saturation, scale=1000), LOAD_GENERATOR: round(client_cpu_ms, 2)}
    operations = per_unit(operations_before, operations_after, saturation)
    p50, rpc_p50 = percentile(latencies, 0.50), statistics.median(round_trip["bare"])
    platform_cpu_ms = sum(value for name, value in cpu_ms.items() if name not in (BROKER, LOAD_GENERATOR))
    platform_cpu_during_load = sum(cpu_end_of_load[name] - cpu_before[name] for name in cpu_before if name != BROKER)
    return {
        "instances": instances,
        "seeded_bookings": seeded.get(201, 0),
        "statuses_while_seeding": seeded,
        "seeding_seconds": round(seeding, 1),
        "saturation_clients": 32,
        "saturation_bookings": saturation,
        "bookings_per_second": round(statuses_32.get(201, 0) / wall, 1),
        "failed_at_saturation_percent": round(100 * (saturation - statuses_32.get(201, 0)) / saturation, 1),
        "load_generator_cpu_ms_per_booking": round(client_cpu_ms, 2),
        "cpu_ms_per_booking_at_saturation": cpu_ms,
        "cpu_ms_per_booking_total": round(platform_cpu_ms, 2),
        "machine_busy_percent_at_saturation": busy_share(machine_before, machine_after),
        "platform_share_percent_at_saturation": round(100 * platform_cpu_during_load / wall / os.cpu_count(), 1),
        "database_cpu_ms_per_booking": cpu_ms.get(DATABASE, "n/a"),
        "database_operations_per_booking": round(sum(operations.values()), 1),
        "database_operations_by_kind": operations,
        "database_connections_after_saturation": connections,
        "statuses_at_saturation": statuses_32,
        "seconds_until_queues_drained_after_saturation": round(drained, 1),
        "latency_clients": 4,
        "latency_bookings": len(latencies),
        "p50_ms": round(p50 * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "statuses_at_4_clients": statuses_4,
        "p50_ms_at_1_client": round(percentile(alone, 0.50) * 1000, 1),
        "statuses_at_1_client": statuses_1,
        "rpc_round_trip_p50_ms": round(rpc_p50 * 1000, 2),
        "health_round_trip_p50_ms": round(statistics.median(round_trip["health"]) * 1000, 2),
        "booking_p50_over_rpc_p50": round(p50 / rpc_p50, 1),
        "rss_mib_at_rest": rss_at_rest,
        "rss_mib_after_load": rss_after_load,
    }


def main() -> None:
    parser = bench_arguments("Booking creation through the gateway.")
    parser.add_argument("--seeded", type=int, default=5_000, help="bookings stored before measuring")
    parser.add_argument("--warm-up", type=int, default=200, help="bookings at 4 clients before measuring")
    parser.add_argument("--alone", type=int, default=200, help="bookings timed at 1 client")
    parser.add_argument("--latency", type=int, default=1_000, help="bookings timed at 4 clients")
    parser.add_argument("--saturation", type=int, default=3_200, help="bookings at 32 clients (a multiple of 32)")
    parser.add_argument("--rpc-calls", type=int, default=500, help="calls timed of each RPC round trip")
    sizes = parser.parse_args()
    results = run_bench("bookings", f"Booking creation through the gateway, {sizes.seeded} bookings stored",
                        measure, sizes)
    print_comparison(results, "instances", METRICS, BEFORE)
    for row in results:
        print_goal(f"booking p50 @4 clients <= 10x bare RPC p50, {row['instances']} instance(s)",
                   row["booking_p50_over_rpc_p50"], row["booking_p50_over_rpc_p50"] <= 10)
    by_instances = {row["instances"]: row["bookings_per_second"] for row in results}
    if {1, 2} <= set(by_instances):
        ratio = round(by_instances[2] / by_instances[1], 2)
        print_goal("bookings/s @32 clients, 2 instances / 1 instance >= 1.0", ratio, ratio >= 1.0)
    print("older targets: >= 250 bookings/s at 32 clients; p95 <= 30 ms at 4 clients")
    for row in results:
        phases = ("while_seeding", "at_1_client", "at_4_clients", "at_saturation")
        if any(set(row[f"statuses_{phase}"]) != {201} for phase in phases):
            print(f"NOTE: not every booking was created with {row['instances']} instance(s); HTTP statuses "
                  + ", ".join(f"{phase.replace('_', ' ')} {row[f'statuses_{phase}']}" for phase in phases))
    print("database operations per booking by kind: " + "; ".join(
        f"{row['instances']} instance(s) " + ", ".join(f"{kind} {count}" for kind, count
                                                       in row["database_operations_by_kind"].items() if count)
        for row in results))
    print_process_table("CPU ms per booking request at 32 clients until the queues drained, per process (rabbitmq: "
                        "the whole local broker, shared with anything else using it)",
                        {f"{row['instances']} instance(s)": row["cpu_ms_per_booking_at_saturation"]
                         for row in results},
                        total="platform + database", before_total=BEFORE["CPU ms/booking, platform+db"])
    print_memory(results, "instances")
    print(f"written to {RESULTS / 'bookings.json'}")


if __name__ == "__main__":
    main()
