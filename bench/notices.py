"""`make bench`, second part: how fast notices and notifications reach residents, measured on this machine.

On the database server of bench/bookings.py (the embedded SecantusDB in a temporary folder, or the one at
MONGODB_URI), with every service instance a process of its own:
- a notice to 5,000 members (the benchmark adds them to the community by publishing their member.joined
  events, as the members service would): time until every inbox entry exists, and deliveries per second;
- next to a raw RabbitMQ publish-and-consume rate measured in the same run;
- the latency from booking.confirmed to the booker's inbox entry (p50/p95), seen through the API;
- the CPU per delivery of every process (each instance, the database server, the local RabbitMQ) during the
  fan-out, and the database operations per delivery;
- the resident memory (RSS) of each process at rest and after the 5,000 members and the notice;
with 1 and with 2 instances of every service, beside the figures of the earlier in-memory store. Prints tables
and writes bench-results/notices.json. Smaller sizes for a quick try: see `--help`.
Targets: >= 1,000 deliveries/s; p95 <= 250 ms.
"""
import argparse
import sys
import time
import uuid
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # nameko's import of it, not ours

from kombu import Connection, Exchange, Queue  # noqa: E402
from nameko.standalone.events import event_dispatcher  # noqa: E402

from bench.measure import (  # noqa: E402
    BROKER, BenchDatabase, bench_arguments, cpu_by_process, per_unit, percentile, print_comparison,
    print_memory, print_process_table, process_ids, rss_by_process, run_bench,
    start_platform,
)
from services.common.events import new_event  # noqa: E402
from tests.support.processes import Platform  # noqa: E402

RAW_MESSAGES = 5_000
SLOW = 120  # seconds an HTTP call about every member may take (the gateway's RPC timeout here is 60 s)
LANGUAGES = ("de", "tr", "ar", "ru", "en")
RESULTS = ROOT / "bench-results"
# The in-memory store's figures (mongomock inside each service), from the last closing note, same machine:
# ranges over the runs. Keys are the labels of the comparison table.
BEFORE = {
    "deliveries/s": {1: "3,397-3,812", 2: "3,810-3,962"},
    "booking->inbox p95 ms": "57.6-57.9",
}
METRICS = [
    ("fan-out s", "notice_fan_out_seconds"),
    ("deliveries/s", "deliveries_per_second"),
    ("raw RabbitMQ msg/s", "raw_rabbitmq_messages_per_second"),
    ("booking->inbox p50 ms", "booking_to_inbox_p50_ms"),
    ("booking->inbox p95 ms", "booking_to_inbox_p95_ms"),
    ("  inbox entries seen within 10 s", "booking_to_inbox_samples"),
    ("CPU ms/1,000 deliveries, platf.+db", "cpu_ms_per_1000_deliveries_total"),
    ("database operations, the notice", "database_operations_for_the_notice"),
    ("seeding s (member.joined)", "seeding_seconds"),
]


def raw_rabbitmq_rate(uri: str) -> float:
    """Publish (with confirms, as the services do) and consume RAW_MESSAGES small messages."""
    exchange = Exchange("bench-raw", type="direct", durable=False, auto_delete=True)
    queue = Queue(f"bench-raw-{uuid.uuid4().hex[:6]}", exchange, routing_key="raw", auto_delete=True)
    body = {"event_id": "x", "payload": {"member_id": "m"}}
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        queue(connection.default_channel).declare()
        started = time.perf_counter()
        for _ in range(RAW_MESSAGES):
            producer.publish(body, exchange=exchange, routing_key="raw", serializer="json")
        received = 0

        def count(_, message):
            nonlocal received
            received += 1
            message.ack()

        with connection.Consumer(queue, callbacks=[count]):
            while received < RAW_MESSAGES:
                connection.drain_events(timeout=10)
        return RAW_MESSAGES / (time.perf_counter() - started)


def add_members(platform: Platform, community_id: str, members: int) -> None:
    """Publish member.joined for `members` residents, then wait until the notifications service knows them all
    (its welcome entries are the visible trace: one per member)."""
    dispatch = event_dispatcher({"AMQP_URI": platform.env["AMQP_URI"]})
    now = datetime.now(timezone.utc)
    for number in range(members):
        dispatch("members", "member.joined", new_event("member.joined", community_id=community_id, occurred_at=now,
                                                       payload={"member_id": f"bench-{number}",
                                                                "display_name": f"Resident {number}",
                                                                "preferred_language": LANGUAGES[number % 5],
                                                                "languages": [], "household": f"H{number // 2}",
                                                                "active": True, "role": "resident",
                                                                "timezone": "Europe/Berlin"}))


def measure(instances: int, database: BenchDatabase, sizes: argparse.Namespace) -> dict:
    platform = start_platform("notices", database, instances, RPC_TIMEOUT_SECONDS="60")
    try:
        rss_at_rest = rss_by_process(process_ids(platform, database))
        raw = raw_rabbitmq_rate(platform.env["AMQP_URI"])
        organiser = platform.organiser()
        community_id = organiser.get("/api/v1/members/me").json()["community_id"]
        started = time.perf_counter()
        add_members(platform, community_id, sizes.members)
        # The last member's copy exists when the notice reaches everybody: publish until it counts them all.
        deadline = time.monotonic() + 300
        while True:
            last_household = {"household": f"H{(sizes.members - 1) // 2}"}
            probe = organiser.post("/api/v1/notices", json={"title": "Probe", "body": "Wer ist da?",
                                                             "audience": last_household}, timeout=SLOW)
            if probe.status_code == 201 or time.monotonic() > deadline:
                break
            time.sleep(0.5)  # the member events are still being taken in
        seeding = time.perf_counter() - started

        pids = process_ids(platform, database, broker=True)
        (operations_before, _), cpu_before = database.status(), cpu_by_process(pids)
        started = time.perf_counter()
        notice = organiser.post("/api/v1/notices", json={
            "title": "Sommerfest", "body": "Am Samstag feiern wir im Garten.", "audience": "all",
            "translations": {"tr": {"title": "Yaz şenliği", "body": "Cumartesi bahçede kutluyoruz."}}},
            timeout=SLOW)
        fan_out = time.perf_counter() - started
        cpu_after, (operations_after, _) = cpu_by_process(pids), database.status()
        notice.raise_for_status()
        recipients = notice.json()["recipients"]
        receipts = organiser.get(f"/api/v1/notices/{notice.json()['id']}/receipts", timeout=SLOW).json()
        assert receipts["delivered"] == recipients, receipts["delivered"]

        latencies = booking_to_inbox(platform, organiser, sizes.samples)
        rss_after_load = rss_by_process(process_ids(platform, database))
    finally:
        platform.stop()
    cpu_ms = per_unit(cpu_before, cpu_after, recipients / 1000, scale=1000)
    return {
        "instances": instances, "members": sizes.members, "seeding_seconds": round(seeding, 1),
        "notice_recipients": recipients,
        "notice_fan_out_seconds": round(fan_out, 3), "deliveries_per_second": round(recipients / fan_out, 1),
        "cpu_ms_per_1000_deliveries": cpu_ms,
        "cpu_ms_per_1000_deliveries_total": round(sum(value for name, value in cpu_ms.items() if name != BROKER), 1),
        "database_operations_for_the_notice": sum(per_unit(operations_before, operations_after, 1).values()),
        "raw_rabbitmq_messages_per_second": round(raw, 1),
        "booking_to_inbox_p50_ms": round(percentile(latencies, 0.5) * 1000, 1) if latencies else "none",
        "booking_to_inbox_p95_ms": round(percentile(latencies, 0.95) * 1000, 1) if latencies else "none",
        "booking_to_inbox_samples": f"{len(latencies)} of {sizes.samples}",
        "rss_mib_at_rest": rss_at_rest, "rss_mib_after_load": rss_after_load,
    }


def booking_to_inbox(platform: Platform, organiser, samples: int) -> list[float]:
    room = organiser.post("/api/v1/spaces", json={"name": "Bench-Raum", "capacity": 10, "rules": {
        "open_from": "00:00", "open_until": "00:00", "max_days_ahead": 365}}).json()
    first = (datetime.now(timezone.utc) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    latencies = []
    for number in range(samples):
        start = first + timedelta(hours=number)
        booked = organiser.post("/api/v1/bookings", json={"space_id": room["id"], "start": start.isoformat(),
                                                          "end": (start + timedelta(minutes=30)).isoformat()})
        sent = time.perf_counter()
        booking_link = f"/bookings/{booked.json()['id']}"
        while time.perf_counter() - sent < 10:
            items = organiser.get("/api/v1/notifications", params={"unread": "true", "limit": 5}).json()["items"]
            if any(item["link"] == booking_link for item in items):
                latencies.append(time.perf_counter() - sent)
                break
            time.sleep(0.002)  # polling through the API: a 2 ms grain on a figure measured in tens of ms
    return latencies


def main() -> None:
    parser = bench_arguments("Notice fan-out and booking -> inbox latency.")
    parser.add_argument("--members", type=int, default=5_000, help="members the notice goes to")
    parser.add_argument("--samples", type=int, default=100, help="bookings timed until their inbox entry")
    sizes = parser.parse_args()
    results = run_bench("notices", f"Notices and notifications, a notice to {sizes.members} members", measure,
                        sizes)
    print_comparison(results, "instances", METRICS, BEFORE)
    print("targets: >= 1,000 deliveries/s; booking -> inbox p95 <= 250 ms")
    print_process_table("CPU ms per 1,000 deliveries during the fan-out, per process (rabbitmq: the whole local "
                        "broker, shared with anything else using it)",
                        {f"{row['instances']} instance(s)": row["cpu_ms_per_1000_deliveries"] for row in results},
                        total="platform + database")
    print_memory(results, "instances")
    print(f"written to {RESULTS / 'notices.json'}")


if __name__ == "__main__":
    main()
