"""`make bench`, second part: how fast notices and notifications reach residents, measured on this machine.

- A notice to 5,000 members (the benchmark adds them to the community by publishing their member.joined
  events, as the members service would): time until every inbox entry exists, and deliveries per second;
- next to a raw RabbitMQ publish-and-consume rate measured in the same run;
- the latency from booking.confirmed to the booker's inbox entry (p50/p95), seen through the API;
- the resident memory (RSS) of each process at rest and after the 5,000 members and the notice;
with 1 and with 2 instances of the notifications service. Prints a table and writes bench-results/notices.json.
Targets: >= 1,000 deliveries/s; p95 <= 250 ms.
"""
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kombu import Connection, Exchange, Queue  # noqa: E402
from nameko.standalone.events import event_dispatcher  # noqa: E402

from bench.measure import (  # noqa: E402
    machine_line, machine_speed, percentile, platform_rss, print_memory, write_results,
)
from services.common.events import new_event  # noqa: E402
from tests.support.processes import Platform  # noqa: E402

MEMBERS = 5_000
RAW_MESSAGES = 5_000
LATENCY_SAMPLES = 100
RESULTS = ROOT / "bench-results"


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


def add_members(platform: Platform, community_id: str) -> None:
    """Publish member.joined for MEMBERS residents, then wait until the notifications service knows them all
    (its welcome entries are the visible trace: one per member)."""
    dispatch = event_dispatcher({"AMQP_URI": platform.env["AMQP_URI"]})
    now = datetime.now(timezone.utc)
    for number in range(MEMBERS):
        dispatch("members", "member.joined", new_event("member.joined", community_id=community_id, occurred_at=now,
                                                       payload={"member_id": f"bench-{number}",
                                                                "display_name": f"Resident {number}",
                                                                "preferred_language": ("de", "tr", "ar", "ru", "en")[number % 5],
                                                                "languages": [], "household": f"H{number // 2}",
                                                                "active": True, "role": "resident",
                                                                "timezone": "Europe/Berlin"}))


def measure(instances: int) -> dict:
    platform = Platform(Path(tempfile.mkdtemp(prefix=f"bench-notices-{instances}-")),
                        instances={"notifications": instances}, LOG_LEVEL="WARNING", RPC_TIMEOUT_SECONDS="60").start()
    try:
        rss_at_rest = platform_rss(platform)
        raw = raw_rabbitmq_rate(platform.env["AMQP_URI"])
        organiser = platform.organiser()
        community_id = organiser.get("/api/v1/members/me").json()["community_id"]
        started = time.perf_counter()
        add_members(platform, community_id)
        # The last member's copy exists when the notice reaches everybody: publish until it counts them all.
        deadline = time.monotonic() + 300
        while True:
            probe = organiser.post("/api/v1/notices", json={"title": "Probe", "body": "Wer ist da?",
                                                             "audience": {"household": f"H{(MEMBERS - 1) // 2}"}})
            if probe.status_code == 201 or time.monotonic() > deadline:
                break
            time.sleep(0.5)  # the 5,000 member events are still being taken in
        seeding = time.perf_counter() - started

        started = time.perf_counter()
        notice = organiser.post("/api/v1/notices", json={
            "title": "Sommerfest", "body": "Am Samstag feiern wir im Garten.", "audience": "all",
            "translations": {"tr": {"title": "Yaz şenliği", "body": "Cumartesi bahçede kutluyoruz."}}})
        fan_out = time.perf_counter() - started
        notice.raise_for_status()
        recipients = notice.json()["recipients"]
        receipts = organiser.get(f"/api/v1/notices/{notice.json()['id']}/receipts").json()
        assert receipts["delivered"] == recipients, receipts["delivered"]

        latencies = booking_to_inbox(platform, organiser)
        rss_after_load = platform_rss(platform)
    finally:
        platform.stop()
    return {
        "notifications_instances": instances, "members": MEMBERS, "seeding_seconds": round(seeding, 1), "notice_recipients": recipients,
        "notice_fan_out_seconds": round(fan_out, 3), "deliveries_per_second": round(recipients / fan_out, 1),
        "raw_rabbitmq_messages_per_second": round(raw, 1),
        "booking_to_inbox_p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "booking_to_inbox_p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "booking_to_inbox_samples": len(latencies),
        "rss_mib_at_rest": rss_at_rest, "rss_mib_after_load": rss_after_load,
    }


def booking_to_inbox(platform: Platform, organiser) -> list[float]:
    room = organiser.post("/api/v1/spaces", json={"name": "Bench-Raum", "capacity": 10, "rules": {
        "open_from": "00:00", "open_until": "00:00", "max_days_ahead": 365}}).json()
    first = (datetime.now(timezone.utc) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    latencies = []
    for number in range(LATENCY_SAMPLES):
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
    speed = machine_speed()
    results = [measure(instances) for instances in (1, 2)]
    write_results("notices", speed, results)
    print(f"\nNotices and notifications ({os.cpu_count()} cores, a notice to {MEMBERS} members; "
          f"{machine_line(speed)})")
    print(f"{'notifications instances':>23} {'fan-out s':>10} {'deliveries/s':>13} {'raw RabbitMQ msg/s':>19} "
          f"{'booking->inbox p50 ms':>22} {'p95 ms':>7}")
    for row in results:
        print(f"{row['notifications_instances']:>23} {row['notice_fan_out_seconds']:>10} "
              f"{row['deliveries_per_second']:>13} {row['raw_rabbitmq_messages_per_second']:>19} "
              f"{row['booking_to_inbox_p50_ms']:>22} {row['booking_to_inbox_p95_ms']:>7}")
    print("targets: >= 1,000 deliveries/s; booking -> inbox p95 <= 250 ms")
    print("\nResident memory (MiB; gateway = gunicorn and its workers)")
    print_memory(results, "notifications_instances", "notifications instances", 14)
    print(f"written to {RESULTS / 'notices.json'}")


if __name__ == "__main__":
    main()
