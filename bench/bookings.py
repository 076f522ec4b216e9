"""`make bench`: how fast the platform takes bookings through the gateway, measured on this machine.

Starts the platform as processes (like the end-to-end tests), seeds a realistic house (10 spaces, 5,000 stored
bookings, 40 residents), then measures booking creation through the HTTP API:
- requests per second at saturation (32 concurrent clients),
- p50 / p95 / p99 latency at 4 concurrent clients,
- next to a bare Nameko RPC round trip measured in the same run,
for 1 and for 2 instances of each service. Prints a table and writes bench-results/bookings.json.

Targets on the 2-core machine: >= 250 bookings/s at saturation; p95 <= 30 ms at 4 clients.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from tests.support.processes import Platform  # noqa: E402

RESULTS = ROOT / "bench-results"
SPACES = 10
SEEDED_BOOKINGS = 5_000
RESIDENTS = 40
PASSWORD = "benchmark password 1"
SLOT = timedelta(minutes=60)
FIRST_DAY = (datetime.now(timezone.utc) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


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


def make_sessions(platform: Platform, tokens: list[str], count: int) -> list[requests.Session]:
    sessions = []
    for number in range(count):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {tokens[number % len(tokens)]}"
        sessions.append(session)
    return sessions


def book_many(platform, sessions, slots: Slots, total: int) -> tuple[list[float], float, dict]:
    """`total` bookings spread over the sessions (one client thread each); latencies, wall time, statuses."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    per_client = total // len(sessions)

    def client(session):
        mine, seen = [], {}
        for _ in range(per_client):
            body = slots.take()
            started = time.perf_counter()
            response = session.post(f"{platform.url}/api/v1/bookings", json=body, timeout=30)
            mine.append(time.perf_counter() - started)
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
        with lock:
            latencies.extend(mine)
            for status, count in seen.items():
                statuses[status] = statuses.get(status, 0) + count

    started = time.perf_counter()
    with ThreadPoolExecutor(len(sessions)) as pool:
        list(pool.map(client, sessions))
    return latencies, time.perf_counter() - started, statuses


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
    _, _, statuses = book_many(platform, sessions, Slots(spaces, first_hour=0), SEEDED_BOOKINGS)
    if set(statuses) != {201}:
        raise RuntimeError(f"seeding failed: {statuses}")
    return spaces, tokens


def measure(instances: int) -> dict:
    log_dir = Path(tempfile.mkdtemp(prefix=f"bench-{instances}-"))
    platform = Platform(log_dir, instances={"members": instances, "spaces": instances},
                        LOG_LEVEL="WARNING", GATEWAY_THREADS="16").start()
    try:
        started = time.perf_counter()
        spaces, tokens = seed(platform)
        seeding = time.perf_counter() - started
        later = Slots(spaces, first_hour=1)
        book_many(platform, make_sessions(platform, tokens, 4), later, 200)  # warm-up
        latencies, _, statuses_4 = book_many(platform, make_sessions(platform, tokens, 4), later, 1_000)
        _, wall, statuses_32 = book_many(platform, make_sessions(platform, tokens, 32), later, 3_200)
        rpc = rpc_round_trip(platform.env["AMQP_URI"])
    finally:
        platform.stop()
    return {
        "instances": instances,
        "seeded_bookings": SEEDED_BOOKINGS,
        "seeding_seconds": round(seeding, 1),
        "saturation_clients": 32,
        "bookings_per_second": round(3_200 / wall, 1),
        "statuses_at_saturation": statuses_32,
        "latency_clients": 4,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "statuses_at_4_clients": statuses_4,
        "rpc_round_trip_p50_ms": round(statistics.median(rpc) * 1000, 2),
        "booking_p50_over_rpc_p50": round(percentile(latencies, 0.50) / statistics.median(rpc), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Booking creation through the gateway.")
    parser.add_argument("--instances", default="1,2", help="comma-separated instance counts to measure")
    args = parser.parse_args()
    results = [measure(int(count)) for count in args.instances.split(",")]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bookings.json").write_text(json.dumps(
        {"measured_at": datetime.now(timezone.utc).isoformat(), "cores": os.cpu_count(), "results": results},
        indent=2))
    print(f"\nBooking creation through the gateway ({os.cpu_count()} cores, {SEEDED_BOOKINGS} bookings stored)")
    print(f"{'instances':>9} {'bookings/s @32':>15} {'p50 ms @4':>10} {'p95 ms @4':>10} {'p99 ms @4':>10} "
          f"{'RPC p50 ms':>11} {'p50/RPC':>8}")
    for row in results:
        print(f"{row['instances']:>9} {row['bookings_per_second']:>15} {row['p50_ms']:>10} {row['p95_ms']:>10} "
              f"{row['p99_ms']:>10} {row['rpc_round_trip_p50_ms']:>11} {row['booking_p50_over_rpc_p50']:>8}")
    print("targets: >= 250 bookings/s at 32 clients; p95 <= 30 ms at 4 clients")
    print(f"written to {RESULTS / 'bookings.json'}")


if __name__ == "__main__":
    main()
