"""`make bench`, third part: deciding together at the size of a large estate, measured on this machine.

On a fresh database server (as bench/bookings.py), with every service instance a process of its own:
- 5,000 members join (their member.joined events, as the members service would publish them; both the decisions
  and the notifications service take them in), and the organiser opens one poll for everybody through the API;
- 2,000 of them vote at once: 2,000 votes sent by 100 concurrent clients (each its own connection to the broker,
  20 votes one after another) straight to the decisions service's `vote` RPC, across the instances; votes per
  second and the latency of each vote (p50 / p95 / p99). Straight to the service, not through the gateway: the
  members exist only as events (registering 2,000 real members costs two argon2 hashes each, minutes of CPU), so
  the gateway could not log them in; the gateway adds its own ~constant share per request (bench/bookings.py);
- the close, through the API: the seconds from `POST /decisions/{id}/close` until every one of the 5,000
  inboxes holds the result (counted in the notifications database), and until the close answered;
- every vote counted: the result's `votes` equals the votes answered 201.
With 1 and 2 instances of every service by default. Prints a table and writes bench-results/decisions.json.
Smaller sizes for a quick try: see `--help`.
"""
import argparse
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

import pymongo  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from bench.measure import (  # noqa: E402
    BenchDatabase, bench_arguments, cpu_by_process, per_unit, percentile, print_comparison, print_process_table,
    process_ids, run_bench, start_platform,
)
from bench.notices import add_members  # noqa: E402

RESULTS = ROOT / "bench-results"
SLOW = 120  # seconds an HTTP call about every member may take
METRICS = [
    ("votes/s (2,000 at once)", "votes_per_second"),
    ("vote p50 ms", "vote_p50_ms"),
    ("vote p95 ms", "vote_p95_ms"),
    ("vote p99 ms", "vote_p99_ms"),
    ("  votes counted / answered 201", "votes_counted"),
    ("close answered s", "close_answered_seconds"),
    ("close -> every inbox s", "close_to_every_inbox_seconds"),
    ("  inboxes with the result", "inboxes_with_the_result"),
    ("opening the poll s", "open_seconds"),
    ("seeding s (member.joined)", "seeding_seconds"),
]


def seed(platform, database: BenchDatabase, organiser, community_id: str, members: int) -> tuple[dict, float]:
    """The members joined, then a poll for everybody, opened once both the decisions and the notifications
    service know them all (counted in their databases: a probe through the API would open, and fan out, a poll
    each time): the poll, and how long opening it took."""
    add_members(platform, community_id, members)
    with pymongo.MongoClient(database.uri, serverSelectionTimeoutMS=5000) as client:
        electors = client[platform.databases["DECISIONS_DB"]]["electors"]
        recipients = client[platform.databases["NOTIFICATIONS_DB"]]["recipients"]
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline and (electors.count_documents({"community_id": community_id}) <= members
                                               or recipients.count_documents({}) <= members):
            time.sleep(0.5)  # thousands of events being taken in: counted twice a second
    body = {"title": "Farbe der Fassade", "body": "Welche Farbe soll die Fassade bekommen?", "kind": "poll",
            "options": ["Weiß", "Ocker", "Grau", "Rot"],
            "closes_at": (datetime.now(timezone.utc) + timedelta(days=7)).isoformat(),
            "translations": {"tr": {"title": "Cephenin rengi", "body": "Cephe hangi renk olsun?",
                                    "options": ["Beyaz", "Koyu sarı", "Gri", "Kırmızı"]}}}
    started = time.perf_counter()
    poll = organiser.post("/api/v1/decisions", json=body, timeout=SLOW)
    opened = time.perf_counter() - started
    poll.raise_for_status()
    return poll.json(), opened


def vote_at_once(amqp_uri: str, community_id: str, decision_id: str, voters: int, clients: int) -> dict:
    """`voters` votes from `clients` concurrent clients, each with its own broker connection."""
    latencies: list[float] = []
    answered = {"ok": 0, "refused": 0}
    lock = threading.Lock()
    per_client = voters // clients
    ready = threading.Barrier(clients + 1)

    def client(number: int):
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=60) as rpc:
            ready.wait()
            for index in range(number * per_client, (number + 1) * per_client):
                actor = {"member_id": f"bench-{index}", "community_id": community_id, "role": "resident",
                         "preferred_language": "de", "display_name": f"Resident {index}"}
                sent = time.perf_counter()
                try:
                    rpc.decisions.vote(actor, decision_id, {"options": [index % 4]})
                    outcome = "ok"
                except Exception:  # noqa: BLE001  (counted, not hidden)
                    outcome = "refused"
                took = time.perf_counter() - sent
                with lock:
                    latencies.append(took)
                    answered[outcome] += 1

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(client, number) for number in range(clients)]
        ready.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()
        elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "latencies": latencies, **answered}


def results_delivered(database_uri: str, database_name: str, link: str) -> int:
    with pymongo.MongoClient(database_uri, serverSelectionTimeoutMS=5000) as client:
        return client[database_name]["notifications"].count_documents({"kind": "decision_result", "link": link})


def measure(instances: int, database: BenchDatabase, sizes: argparse.Namespace) -> dict:
    platform = start_platform("decisions", database, instances, RPC_TIMEOUT_SECONDS="60")
    try:
        organiser = platform.organiser()
        community_id = organiser.get("/api/v1/members/me").json()["community_id"]
        started = time.perf_counter()
        poll, opened = seed(platform, database, organiser, community_id, sizes.members)
        seeding = time.perf_counter() - started
        audience = poll["audience_size"]

        pids = process_ids(platform, database, broker=True)
        cpu_before = cpu_by_process(pids)
        voted = vote_at_once(platform.env["AMQP_URI"], community_id, poll["id"], sizes.voters, sizes.clients)
        cpu_after = cpu_by_process(pids)

        link = f"/decisions/{poll['id']}"
        notifications_db = platform.databases["NOTIFICATIONS_DB"]
        started = time.perf_counter()
        closed = organiser.post(f"/api/v1/decisions/{poll['id']}/close", timeout=SLOW)
        answered = time.perf_counter() - started
        closed.raise_for_status()
        delivered = 0
        while time.perf_counter() - started < 600:
            delivered = results_delivered(database.uri, notifications_db, link)
            if delivered >= audience:
                break
            time.sleep(0.05)  # counting in the database: a 50 ms grain on a figure of seconds
        every_inbox = time.perf_counter() - started
    finally:
        platform.stop()
    latencies = voted["latencies"]
    return {
        "instances": instances, "members": sizes.members, "audience": audience, "voters": sizes.voters,
        "clients": sizes.clients, "seeding_seconds": round(seeding, 1), "open_seconds": round(opened, 2),
        "votes_per_second": round(len(latencies) / voted["elapsed"], 1),
        "vote_p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "vote_p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "vote_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "votes_refused": voted["refused"],
        "votes_counted": f"{closed.json()['results']['votes']} / {voted['ok']}",
        "close_answered_seconds": round(answered, 2),
        "close_to_every_inbox_seconds": round(every_inbox, 2),
        "inboxes_with_the_result": f"{delivered} of {audience}",
        "cpu_ms_per_vote": per_unit(cpu_before, cpu_after, max(len(latencies), 1), scale=1000),
    }


def main() -> None:
    parser = bench_arguments("Votes at once on one poll, and its result delivered to every inbox.")
    parser.add_argument("--members", type=int, default=5_000, help="members in the poll's audience")
    parser.add_argument("--voters", type=int, default=2_000, help="members who vote at once")
    parser.add_argument("--clients", type=int, default=100, help="concurrent clients sending the votes")
    sizes = parser.parse_args()
    results = run_bench("decisions", f"Deciding together: {sizes.voters} votes at once on one poll, its result to "
                                     f"{sizes.members} inboxes", measure, sizes)
    print_comparison(results, "instances", METRICS, {})
    print_process_table("CPU ms per vote, per process (rabbitmq: the whole local broker, shared with anything "
                        "else using it)",
                        {f"{row['instances']} instance(s)": row["cpu_ms_per_vote"] for row in results},
                        total="platform + database")
    print(f"written to {RESULTS / 'decisions.json'}")


if __name__ == "__main__":
    main()
