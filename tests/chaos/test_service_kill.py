"""`make chaos`: services are SIGKILLed one after another under load, restarted, and nothing is lost or doubled.

Residents book rooms, ask for and offer help, and an organiser publishes notices and books, from several
threads through the gateway (tests/chaos/load.py). Every service instance is an OS process of its own, and
all of them keep their data on the session's database server. Mid-load the spaces, then the help, then the
notifications service process is killed with SIGKILL (no graceful stop: running workers die, unacked messages
go back to their queues) and started again. The clients behave as the API asks them to: every POST carries an
Idempotency-Key and is repeated with the same key while the answer is a 503 or no answer at all. When the load
is over, `audit` (tests/chaos/load.py) holds the platform to what the clients were told: every request
answered 2xx is stored, every event is consumed and its effect is in its inbox once, no inbox holds the same
notification twice, no two bookings of one space overlap; and every operation got its answer in the end.

Storage across the kill: the database server is a process of its own that outlives the killed service, and
every write waits for its journal before the service answers; a restarted service finds all it confirmed.

The figures (requests sent, answers by class, faults injected, writes lost, duplicates, server errors) are
printed as a table and written to test-artifacts/chaos-kill.json.
"""
import pytest

from tests.chaos.load import Ledger, Load, assert_audit, audit, audit_details, audit_figures, community, log_dir, report
from tests.support.processes import Platform

pytestmark = pytest.mark.chaos

BETWEEN_FAULTS = 40  # operations finished after the platform is ready again, before the next kill or the end
KILLED = ("spaces", "help", "notifications")


@pytest.fixture
def platform(database_uri):
    running = Platform(log_dir("chaos-kill"), database_uri, RPC_TIMEOUT_SECONDS="5").start()
    yield running
    running.stop()


def test_killed_services_lose_no_answered_write_and_consume_every_event_once(platform):
    place = community(platform)
    ledger = Ledger()
    load = Load(ledger, place).start()

    faults = []
    try:
        for service in KILLED:
            load.after_more(BETWEEN_FAULTS)
            platform.kill_service(service)
            faults.append({"service": service, "signal": "SIGKILL", "after_operations": ledger.finished})
            platform.start_service(service)
            platform.wait_until_ready(timeout=60)
            faults[-1]["ready_again_after_operations"] = ledger.finished
        load.after_more(BETWEEN_FAULTS)
    finally:
        load_seconds = load.stop()

    found = audit(platform, place, ledger)
    figures = {**ledger.figures(), "faults injected": len(faults), **audit_figures(found),
               "load seconds": round(load_seconds, 1)}
    # The order of the figures as before: the faults after the answers' figures.
    details = {**audit_details(found, ledger), "faults": faults}
    report("chaos-kill", figures, details)
    assert_audit(found, ledger, details)
