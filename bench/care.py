"""`make bench`, third part: Safe at home under a whole house's morning, measured on this machine.

On the database server of the other benchmarks (a fresh embedded SecantusDB per instance count, or the one at
MONGODB_URI), with every service instance a process of its own and the care timer at its configured interval:
- 10,000 residents with the daily check-in on and the same deadline (the next whole minute, no grace), each
  with two accepted buddies; 95 % of them checked in, 5 % did not. They are written straight into the care and
  notifications databases in bulk (settings, buddy requests, check-ins, the members' copies), as the services
  would have stored them, rather than through 10,000 HTTP calls;
- the time from the deadline until every first buddy of a resident who missed it has the alert in their inbox
  (read in the notifications database: the entries' own `created_at`, and when polling first saw them all),
  with how many alerts the care service raised (one per missed resident: no more, no fewer), the CPU of every
  process and the database operations of that minute;
- `POST /check-ins` through the gateway at 4 clients (p50/p95), next to the bare RPC round trip
  (bench/echo_service.py) and care.health (the same plus a database ping) of the same run.
With 1 and 2 instances of every service. Prints figures, never pass or fail, and writes bench-results/care.json.
Smaller sizes for a quick try: see `--help`. Goal: every first buddy alerted within 60 s of the deadline.
"""
import argparse
import statistics
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # nameko's import of it, not ours

import pymongo  # noqa: E402

from bench.measure import (  # noqa: E402
    BROKER, BenchDatabase, LightClient, bench_arguments, cpu_by_process, per_unit, percentile, print_comparison,
    print_goal, print_memory, print_process_table, process_ids, round_trips, rss_by_process, run_bench,
    start_platform,
)
from tests.support.processes import Platform  # noqa: E402

RESULTS = ROOT / "bench-results"
BERLIN = ZoneInfo("Europe/Berlin")  # the community's zone (the platform's default)
PASSWORD = "benchmark password 1"
CLIENTS = 4
LANGUAGES = ("de", "tr", "ar", "ru", "en")
WAIT_FOR_ALERTS = 300  # seconds after the deadline the bench waits for the inboxes before it gives up
METRICS = [
    ("deadline -> last first buddy s", "deadline_to_last_first_buddy_seconds"),
    ("  seen by polling after s", "deadline_to_all_seen_seconds"),
    ("  first buddies alerted", "first_buddies_alerted"),
    ("alerts raised (one per miss)", "alerts_raised"),
    ("deadline -> first inbox entry s", "deadline_to_first_entry_seconds"),
    ("CPU s in that time, platform+db", "cpu_seconds_until_alerted_total"),
    ("database operations then", "database_operations_until_alerted"),
    ("check-in p50 ms @4 clients", "check_in_p50_ms"),
    ("check-in p95 ms @4 clients", "check_in_p95_ms"),
    ("bare RPC p50 ms (echo)", "rpc_round_trip_p50_ms"),
    ("care.health p50 ms (+db ping)", "health_round_trip_p50_ms"),
    ("check-in p50 / bare RPC p50", "check_in_p50_over_rpc_p50"),
    ("seeding s (bulk)", "seeding_seconds"),
]


def next_deadline(after: datetime) -> datetime:
    """The first whole minute after `after`, in Berlin, but never local midnight (a check-in a moment before
    it would count for the day before)."""
    moment = (after.astimezone(BERLIN) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    return moment + timedelta(minutes=1) if (moment.hour, moment.minute) == (0, 0) else moment


def seed(platform: Platform, community_id: str, residents: int, missing_every: int, deadline: datetime) -> set[str]:
    """The residents' copies (care and notifications), their settings due at `deadline`, two accepted buddies
    each (the next two residents), and a check-in a second before the deadline for all but every
    `missing_every`-th resident. Returns the first buddies of those who will miss it. (Times go in aware:
    the driver stores them as UTC, as MongoEngine does.)"""
    now = datetime.now(timezone.utc)
    ids = [f"bench-{number}" for number in range(residents)]
    day = deadline.astimezone(BERLIN).date().isoformat()
    first_buddies = set()
    neighbours, recipients, settings, requests, check_ins = [], [], [], [], []
    for number, member in enumerate(ids):
        language = LANGUAGES[number % len(LANGUAGES)]
        profile = {"_id": member, "community_id": community_id, "display_name": f"Resident {number}",
                   "household": f"H{number // 2}", "role": "resident", "preferred_language": language,
                   "timezone": "Europe/Berlin", "active": True}
        neighbours.append({**profile, "phone": f"040 {number:06d}"})
        recipients.append({**profile, "phone": f"040 {number:06d}", "languages": [language], "email": None})
        buddies = [ids[(number + 1) % residents], ids[(number + 2) % residents]]
        settings.append({"_id": member, "community_id": community_id, "enabled": True,
                         "daily_by": deadline.astimezone(BERLIN).strftime("%H:%M"), "grace_minutes": 0,
                         "escalation_minutes": 30, "buddies": buddies, "timezone": "Europe/Berlin", "due_day": day,
                         "due_at": deadline, "updated_at": now,
                         "version": 0})
        requests += [{"_id": f"{member}:{buddy}", "community_id": community_id, "member_id": member,
                      "buddy_id": buddy, "status": "accepted", "asked_at": now, "answered_at": now} for buddy in buddies]
        if number % missing_every:
            check_ins.append({"_id": f"checkin-{member}", "community_id": community_id, "member_id": member,
                              "at": deadline - timedelta(seconds=1), "outbox": []})
        else:
            first_buddies.add(buddies[0])
    with pymongo.MongoClient(platform.database_uri) as client:
        care, notifications = client[platform.databases["CARE_DB"]], client[platform.databases["NOTIFICATIONS_DB"]]
        for collection, documents in ((care.neighbours, neighbours), (care.buddy_requests, requests),
                                      (care.checkins, check_ins), (notifications.recipients, recipients),
                                      (care.checkin_settings, settings)):  # the settings last: they start it
            for start in range(0, len(documents), 1000):
                collection.insert_many(documents[start:start + 1000], ordered=False)
    return first_buddies


def watch_inboxes(platform: Platform, first_buddies: set[str], deadline: datetime) -> dict:
    """Poll the notifications database until every first buddy has a check-in alert; the entries' times."""
    with pymongo.MongoClient(platform.database_uri) as client:
        entries = client[platform.databases["NOTIFICATIONS_DB"]].notifications
        give_up = deadline + timedelta(seconds=WAIT_FOR_ALERTS)
        while True:
            told = set(entries.distinct("member_id", {"kind": "checkin_alert"}))
            now = datetime.now(timezone.utc)
            if first_buddies <= told or now > give_up:
                break
            time.sleep(0.2)
        seen = (now - deadline).total_seconds()
        times = [entry["created_at"].replace(tzinfo=timezone.utc) for entry in
                 entries.find({"kind": "checkin_alert", "member_id": {"$in": list(first_buddies)}},
                              {"created_at": 1})]
        alerts = client[platform.databases["CARE_DB"]].alerts
        raised = alerts.count_documents({"status": {"$ne": "cancelled"}})
    return {"told": len(first_buddies & told), "seen": seen, "raised": raised,
            "first": (min(times) - deadline).total_seconds() if times else None,
            "last": (max(times) - deadline).total_seconds() if times else None}


def residents_for_check_ins(platform: Platform, organiser) -> list[str]:
    """One resident per client, through the API (invitation, registration, login): their tokens."""
    tokens = []
    for number in range(CLIENTS):
        email = f"checker{number}@example.org"
        code = organiser.post("/api/v1/invitations", json={"email": email, "role": "resident"}).json()["code"]
        platform.client().post("/api/v1/members", json={
            "invitation_code": code, "email": email, "password": PASSWORD, "display_name": f"Checker {number}",
            "preferred_language": LANGUAGES[number % len(LANGUAGES)]}).raise_for_status()
        tokens.append(platform.login(email, PASSWORD).session.headers["Authorization"].split()[1])
    return tokens


def check_ins(platform: Platform, tokens: list[str], total: int) -> tuple[list[float], dict[int, int]]:
    """`total` check-ins spread over one client thread per token; their latencies and HTTP statuses."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client(token):
        session, mine, seen = LightClient(platform.url, token), [], {}
        for _ in range(total // len(tokens)):
            started = time.perf_counter()
            status = session.post("/api/v1/check-ins", {})
            mine.append(time.perf_counter() - started)
            seen[status] = seen.get(status, 0) + 1
        session.close()
        with lock:
            latencies.extend(mine)
            for status, count in seen.items():
                statuses[status] = statuses.get(status, 0) + count

    with ThreadPoolExecutor(len(tokens)) as pool:
        list(pool.map(client, tokens))
    return latencies, statuses


def measure(instances: int, database: BenchDatabase, sizes: argparse.Namespace) -> dict:
    platform = start_platform("care", database, instances)
    try:
        rss_at_rest = rss_by_process(process_ids(platform, database))
        organiser = platform.organiser()
        community_id = organiser.get("/api/v1/members/me").json()["community_id"]
        tokens = residents_for_check_ins(platform, organiser)
        # The deadline: the next whole minute that leaves the seeding time enough (measured at a smaller size
        # on this machine: about 1.5 s per 1,000 residents, doubled).
        deadline = next_deadline(datetime.now(timezone.utc) + timedelta(seconds=5 + 3 * sizes.residents / 1000))
        started = time.perf_counter()
        first_buddies = seed(platform, community_id, sizes.residents, sizes.missing_every, deadline)
        seeding = time.perf_counter() - started
        if datetime.now(timezone.utc) >= deadline:
            raise RuntimeError("seeding took longer than the time left before the deadline")

        pids = process_ids(platform, database, broker=True)
        time.sleep(max(0.0, (deadline - datetime.now(timezone.utc)).total_seconds()))  # until the deadline
        (operations_before, _), cpu_before = database.status(), cpu_by_process(pids)
        alerted = watch_inboxes(platform, first_buddies, deadline)
        cpu_after, (operations_after, _) = cpu_by_process(pids), database.status()

        check_ins(platform, tokens, sizes.warm_up)
        latencies, statuses = check_ins(platform, tokens, sizes.check_ins)
        round_trip = round_trips(platform, sizes.rpc_calls, service="care")
        rss_after_load = rss_by_process(process_ids(platform, database))
    finally:
        platform.stop()
    cpu_seconds = per_unit(cpu_before, cpu_after, 1)
    p50, rpc_p50 = percentile(latencies, 0.50), statistics.median(round_trip["bare"])
    return {
        "instances": instances, "residents": sizes.residents, "missed": len(first_buddies),
        "timer_seconds": platform.env.get("CHECKIN_TIMER_SECONDS", "15 (config.yml)"),
        "deadline": deadline.isoformat(),
        "seeding_seconds": round(seeding, 1),
        "first_buddies_alerted": f"{alerted['told']} of {len(first_buddies)}",
        "alerts_raised": alerted["raised"],
        "deadline_to_first_entry_seconds": round(alerted["first"], 1) if alerted["first"] is not None else "none",
        "deadline_to_last_first_buddy_seconds": round(alerted["last"], 1) if alerted["last"] is not None else "none",
        "deadline_to_all_seen_seconds": round(alerted["seen"], 1),
        "cpu_seconds_until_alerted": cpu_seconds,
        "cpu_seconds_until_alerted_total": round(sum(value for name, value in cpu_seconds.items()
                                                     if name != BROKER), 1),
        "database_operations_until_alerted": sum(per_unit(operations_before, operations_after, 1).values()),
        "check_ins_timed": len(latencies), "check_in_statuses": statuses,
        "check_in_p50_ms": round(p50 * 1000, 1),
        "check_in_p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "rpc_round_trip_p50_ms": round(rpc_p50 * 1000, 2),
        "health_round_trip_p50_ms": round(statistics.median(round_trip["health"]) * 1000, 2),
        "check_in_p50_over_rpc_p50": round(p50 / rpc_p50, 1),
        "rss_mib_at_rest": rss_at_rest, "rss_mib_after_load": rss_after_load,
    }


def main() -> None:
    parser = bench_arguments("Missed check-ins of a whole house at one deadline, and check-in latency.")
    parser.add_argument("--residents", type=int, default=10_000, help="residents with the same deadline")
    parser.add_argument("--missing-every", type=int, default=20, help="every n-th resident misses it (20: 5 %%)")
    parser.add_argument("--warm-up", type=int, default=100, help="check-ins at 4 clients before timing")
    parser.add_argument("--check-ins", type=int, default=1_000, help="check-ins timed at 4 clients")
    parser.add_argument("--rpc-calls", type=int, default=500, help="calls timed of each RPC round trip")
    sizes = parser.parse_args()
    results = run_bench("care", f"Safe at home: {sizes.residents} residents with one deadline, every "
                                f"{sizes.missing_every}th missing it", measure, sizes)
    print_comparison(results, "instances", METRICS, {})
    for row in results:
        last = row["deadline_to_last_first_buddy_seconds"]
        print_goal(f"every first buddy alerted <= 60 s after the deadline, {row['instances']} instance(s), "
                   f"timer every {row['timer_seconds']} s", last, isinstance(last, float) and last <= 60)
        if set(row["check_in_statuses"]) != {201}:
            print(f"NOTE: not every check-in was taken with {row['instances']} instance(s): "
                  f"{row['check_in_statuses']}")
    print_process_table("CPU seconds per process from the deadline until every first buddy was alerted "
                        "(rabbitmq: the whole local broker, shared with anything else using it)",
                        {f"{row['instances']} instance(s)": row["cpu_seconds_until_alerted"] for row in results},
                        total="platform + database")
    print_memory(results, "instances")
    print(f"written to {RESULTS / 'care.json'}")


if __name__ == "__main__":
    main()
