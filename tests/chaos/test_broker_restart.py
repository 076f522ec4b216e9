"""`make chaos`: the broker goes away under the running platform and comes back.

While RabbitMQ is stopped the gateway answers 503 problem documents promptly (no hang beyond the RPC
timeout, no 500); once it is back every service reconnects by itself and the platform works again without
restarting anything. This stops and starts the local RabbitMQ application, so it is not part of `make test`.
"""
import subprocess
import time

import pytest

from tests.support.processes import Platform

pytestmark = pytest.mark.chaos


def rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


@pytest.fixture
def platform(tmp_path):
    running = Platform(tmp_path, RPC_TIMEOUT_SECONDS="3").start()
    yield running
    running.stop()


def test_the_platform_answers_503_while_the_broker_is_away_and_recovers_by_itself(platform):
    organiser = platform.organiser()
    room = organiser.post("/api/v1/spaces", json={"name": "Raum", "capacity": 5, "rules": {
        "open_from": "00:00", "open_until": "00:00"}}).json()
    rabbitmqctl("stop_app")
    try:
        started = time.monotonic()
        ready = platform.client().get("/readyz")
        listing = organiser.get("/api/v1/spaces")
        took = time.monotonic() - started
        assert ready.status_code == 503 and listing.status_code == 503
        assert listing.headers["Content-Type"].startswith("application/problem+json")
        assert took < 2 * 3 + 2  # two calls, each within the RPC timeout
    finally:
        rabbitmqctl("start_app")
    back = time.monotonic()
    platform.wait_until_ready(timeout=30)
    assert time.monotonic() - back < 15  # reconnected by themselves
    booking = organiser.post("/api/v1/bookings", json={"space_id": room["id"], "start": "2030-01-07T10:00:00+01:00",
                                                       "end": "2030-01-07T11:00:00+01:00"})
    assert booking.status_code in (201, 422), booking.text  # 422 only if 2030 is beyond the days-ahead rule
