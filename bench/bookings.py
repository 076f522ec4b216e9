"""`make bench`: how fast the platform takes bookings through the gateway, measured on this machine.

Starts the platform as processes (like the end-to-end tests), seeds a realistic house (10 spaces, 5,000 stored
bookings, 40 residents), then measures booking creation through the HTTP API:
- requests per second at saturation (32 concurrent clients),
- p50 / p95 / p99 latency at 4 concurrent clients,
- next to a bare Nameko RPC round trip measured in the same run,
- the resident memory (RSS) of each process at rest (started, nothing stored) and after the load,
for 1 and for 2 instances of each service. Prints a table and writes bench-results/bookings.json.

The clients are threads of this process, each with one keep-alive `http.client` connection (not `requests`):
the load generator runs on the same cores as the platform, so it should cost as little CPU as it can; its CPU
per booking is reported too.

Targets on the 2-core machine: >= 250 bookings/s at saturation; p95 <= 30 ms at 4 clients.
"""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from bench.measure import (  # noqa: E402
    LightClient, machine_line, machine_speed, percentile, platform_cpu, platform_rss, print_memory, write_results,
)
from tests.support.processes import Platform  # noqa: E402

RESULTS = ROOT / "bench-results"
SPACES = 10
SEEDED_BOOKINGS = 5_000
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


def rpc_round_trip(amqp_uri: str, calls: int = 500) -> list[float]:
    samples = []
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as rpc:
        rpc.spaces.health()
        for _ in range(calls):
            started = time.perf_counter()
            rpc.spaces.health()
            samples.append(time.perf_counter() - started)
    return samples


def seed(platform: Platform) -> tuple[list[str], list[str]]:
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
    sessions = make_sessions(platform, tokens, 16)
    _, _, statuses, _ = book_many(platform, sessions, Slots(spaces, first_hour=0), SEEDED_BOOKINGS)
    if set(statuses) != {201}:
        raise RuntimeError(f"seeding failed: {statuses}")
    return spaces, tokens


def measure(instances: int) -> dict:
    log_dir = Path(tempfile.mkdtemp(prefix=f"bench-{instances}-"))
    platform = Platform(log_dir, instances=dict.fromkeys(("members", "spaces", "help", "notifications"), instances),
                        LOG_LEVEL="WARNING", GATEWAY_THREADS="16").start()
    try:
        rss_at_rest = platform_rss(platform)
        started = time.perf_counter()
        spaces, tokens = seed(platform)
        seeding = time.perf_counter() - started
        later = Slots(spaces, first_hour=1)
        book_many(platform, make_sessions(platform, tokens, 4), later, 200)  # warm-up
        latencies, _, statuses_4, _ = book_many(platform, make_sessions(platform, tokens, 4), later, 1_000)
        cpu_before = platform_cpu(platform)
        _, wall, statuses_32, client_cpu_ms = book_many(platform, make_sessions(platform, tokens, 32), later, 3_200)
        cpu_after = platform_cpu(platform)
        rpc = rpc_round_trip(platform.env["AMQP_URI"])
        rss_after_load = platform_rss(platform)
    finally:
        platform.stop()
    return {
        "instances": instances,
        "seeded_bookings": SEEDED_BOOKINGS,
        "seeding_seconds": round(seeding, 1),
        "saturation_clients": 32,
        "bookings_per_second": round(3_200 / wall, 1),
        "load_generator_cpu_ms_per_booking": round(client_cpu_ms, 2),
        "cpu_ms_per_booking_at_saturation": {name: round((cpu_after[name] - cpu_before[name]) * 1000 / 3_200, 2)
                                             for name in cpu_after},
        "statuses_at_saturation": statuses_32,
        "latency_clients": 4,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "statuses_at_4_clients": statuses_4,
        "rpc_round_trip_p50_ms": round(statistics.median(rpc) * 1000, 2),
        "booking_p50_over_rpc_p50": round(percentile(latencies, 0.50) / statistics.median(rpc), 1),
        "rss_mib_at_rest": rss_at_rest,
        "rss_mib_after_load": rss_after_load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Booking creation through the gateway.")
    parser.add_argument("--instances", default="1,2", help="comma-separated instance counts to measure")
    args = parser.parse_args()
    speed = machine_speed()
    results = [measure(int(count)) for count in args.instances.split(",")]
    write_results("bookings", speed, results)
    print(f"\nBooking creation through the gateway ({os.cpu_count()} cores, {SEEDED_BOOKINGS} bookings stored; "
          f"{machine_line(speed)})")
    print(f"{'instances':>9} {'bookings/s @32':>15} {'p50 ms @4':>10} {'p95 ms @4':>10} {'p99 ms @4':>10} "
          f"{'RPC p50 ms':>11} {'p50/RPC':>8}")
    for row in results:
        print(f"{row['instances']:>9} {row['bookings_per_second']:>15} {row['p50_ms']:>10} {row['p95_ms']:>10} "
              f"{row['p99_ms']:>10} {row['rpc_round_trip_p50_ms']:>11} {row['booking_p50_over_rpc_p50']:>8}")
    print("targets: >= 250 bookings/s at 32 clients; p95 <= 30 ms at 4 clients")
    print("load generator: client threads in one process on keep-alive http.client connections; its CPU per "
          "booking at 32 clients: " + ", ".join(f"{row['load_generator_cpu_ms_per_booking']} ms" for row in results))
    print("\nCPU per booking at 32 clients (ms)")
    names = list(results[0]["cpu_ms_per_booking_at_saturation"])
    print(f"{'instances':>9}" + "".join(f"{name:>16}" for name in [*names, "load generator"]))
    for row in results:
        values = row["cpu_ms_per_booking_at_saturation"]
        print(f"{row['instances']:>9}" + "".join(f"{values[name]:>16}" for name in names)
              + f"{row['load_generator_cpu_ms_per_booking']:>16}")
    print("\nResident memory (MiB; a service's instances share one process; gateway = gunicorn and its workers)")
    print_memory(results, "instances", "instances", 16)
    print(f"written to {RESULTS / 'bookings.json'}")


if __name__ == "__main__":
    main()
