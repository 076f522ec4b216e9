"""The care service's daily email, the sheet's review and buddy requests in real Nameko containers on the real
RabbitMQ, with the notifications service sending to a real SMTP server: two care instances send one email a day,
its link checks in once, the review reminder comes once, buddy requests reach the inbox."""
import mailbox
import re
from datetime import datetime, timedelta, timezone
from email.header import decode_header, make_header

import eventlet
import pytest
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from services.care.models import CheckIn
from services.common.events import new_event
from services.notifications.models import Delivery
from services.notifications.service import NotificationsService
from tests.integration.test_care_service import (
    AYSE, BORA, CEM, COMMUNITY, DAY, OLGA, SetClock, berlin, call, handled, start_care, succeeded,
)
from tests.integration.test_notifications_service import smtp_server  # noqa: F401 (a fixture)
from tests.support.database import drop_databases

EMAILS = {"ayse": "ayse@example.org", "bora": "bora@example.org"}
LANGUAGES = {"ayse": "tr"}


@pytest.fixture
def config(service_config):
    # The timers do not fire by themselves during a test: the test runs them when the clock says so.
    return {**service_config, "CHECKIN_TIMER_SECONDS": 3600, "REMINDER_TIMER_SECONDS": 3600}


@pytest.fixture
def clock():
    return SetClock(berlin(DAY - timedelta(days=1), 12))


@pytest.fixture
def notifications(container_factory, config, smtp_server, database_uri):  # noqa: F811
    own = {**config, "DATABASE_NAME": f"{config['DATABASE_NAME']}_notifications", "SMTP_PORT": smtp_server[0],
           "PUBLIC_URL": "https://haus.example"}
    container = container_factory(NotificationsService, own)
    container.start()
    yield container
    drop_databases(database_uri, own["DATABASE_NAME"])


@pytest.fixture
def care(container_factory, config, clock, notifications):
    return start_care(container_factory, config, clock)


@pytest.fixture
def house(care, notifications, config):
    """Ayşe (who reads Turkish) and her neighbours, known to both services, with their email addresses."""
    dispatch = event_dispatcher(config)
    for someone in (AYSE, BORA, CEM, OLGA):
        member_id = someone["member_id"]
        event = new_event("member.joined", community_id=COMMUNITY, occurred_at=datetime.now(timezone.utc), payload={
            "member_id": member_id, "display_name": someone["display_name"], "phone": someone["phone"],
            "household": someone["household"], "role": someone["role"],
            "preferred_language": LANGUAGES.get(member_id, "de"), "timezone": "Europe/Berlin", "languages": ["de"],
            "email": EMAILS.get(member_id), "active": True})
        with entrypoint_waiter(care, "member_joined", callback=handled(event)), \
                entrypoint_waiter(notifications, "member_joined", callback=handled(event)):
            dispatch("members", "member.joined", event)


def at_once(*runs) -> list:
    """Run each (container, method, *args) at the same moment, as two instances would."""
    threads = [eventlet.spawn(call, container, method, *args) for container, method, *args in runs]
    return [thread.wait() for thread in threads]


def emails_to(maildir, address: str) -> list:
    return [message for message in mailbox.Maildir(maildir) if message["To"] == address]


def sent_once(notifications):
    """Wait for the notifications service's own email timer (every 2 s) to send what is due."""
    return entrypoint_waiter(notifications, "send_emails", timeout=20,
                             callback=lambda worker, result, exc: exc is None and bool(result))


def inbox_kinds(notifications, someone) -> list[str]:
    return [item["kind"] for item in call(notifications, "inbox", someone, {})["items"] if item["kind"] != "welcome"]


def test_two_instances_send_one_email_a_day_whose_link_checks_in_once(
        container_factory, config, clock, care, notifications, house, smtp_server):  # noqa: F811
    second = start_care(container_factory, config, clock)
    call(care, "set_settings", AYSE, {"enabled": True, "daily_by": "10:00", "grace_minutes": 30,
                                      "buddies": ["bora"], "email_reminder": True})
    call(care, "accept_buddy_request", BORA, "ayse:bora")

    clock.set(berlin(DAY, 7, 59))
    assert at_once((care, "send_reminders"), (second, "send_reminders")) == [{"links": 0, "reviews": 0}] * 2
    clock.set(berlin(DAY, 8))  # two hours before 10:00
    with entrypoint_waiter(notifications, "checkin_link_issued", callback=succeeded), sent_once(notifications):
        runs = at_once((care, "send_reminders"), (second, "send_reminders"))
    assert sum(run["links"] for run in runs) == 1
    assert at_once((care, "send_reminders"), (second, "send_reminders")) == [{"links": 0, "reviews": 0}] * 2

    (email,) = emails_to(smtp_server[1], "ayse@example.org")
    assert str(make_header(decode_header(email["Subject"]))) == "Günaydın Ayşe Kaya: Bugün iyi misiniz?"
    body = email.get_payload(decode=True).decode()
    token = re.search(r"https://haus\.example/check-in/link/(\S+)", body).group(1)
    assert [d.link for d in Delivery.objects(member_id="ayse")] == [None]  # not kept once sent
    assert "checkin_link" not in inbox_kinds(notifications, AYSE)  # an email only

    clock.set(berlin(DAY, 9, 12))
    assert call(second, "check_in_link", token)["status"] == "ready"  # opening it checks nobody in
    assert CheckIn.objects(member_id="ayse").count() == 0
    pressed = at_once((care, "redeem_check_in_link", token), (second, "redeem_check_in_link", token))
    assert sorted(answer["status"] for answer in pressed) == ["checked_in", "done"]
    assert CheckIn.objects(member_id="ayse").count() == 1
    assert call(care, "get_settings", AYSE)["today"] == {"day": "2026-12-01", "status": "done",
                                                         "done_at": "2026-12-01T08:12:00Z"}
    assert call(care, "redeem_check_in_link", token)["status"] == "done"
    assert call(care, "redeem_check_in_link", token[:-3] + "abc")["status"] == "invalid"

    clock.set(berlin(DAY, 10, 30))  # checked in by the link: no alert
    assert call(care, "watch")["alerts"] == 0
    clock.set(berlin(DAY + timedelta(days=1), 0, 1))
    assert call(care, "check_in_link", token)["status"] == "expired"


def test_the_sheet_s_review_is_asked_for_once_after_ninety_days_and_buddy_requests_reach_the_inbox(
        container_factory, config, clock, care, notifications, house):
    second = start_care(container_factory, config, clock)
    with entrypoint_waiter(notifications, "buddy_asked", callback=succeeded):
        call(care, "set_settings", AYSE, {"enabled": True, "daily_by": "10:00", "buddies": ["bora"]})
    assert inbox_kinds(notifications, BORA) == ["buddy_asked"]
    with entrypoint_waiter(notifications, "buddy_declined", callback=succeeded):
        call(care, "decline_buddy_request", BORA, "ayse:bora")
    (declined,) = call(notifications, "inbox", AYSE, {})["items"][:1]
    assert (declined["kind"], declined["title"]) == ("buddy_declined", "Bora yardımcı komşunuz olamıyor")

    saved = call(care, "set_sheet", AYSE, {"contacts": [], "allergies": "Penicillin", "readers": []})
    assert saved["review_due_at"] == "2027-02-28T11:00:00Z"  # saved on 2026-11-30 at 12:00
    clock.advance(days=90)
    with entrypoint_waiter(notifications, "sheet_review_came_due", callback=succeeded):
        runs = at_once((care, "send_reminders"), (second, "send_reminders"))
    assert sum(run["reviews"] for run in runs) == 1
    assert at_once((care, "send_reminders"), (second, "send_reminders")) == [{"links": 0, "reviews": 0}] * 2
    review = call(notifications, "inbox", AYSE, {})["items"][0]
    assert (review["kind"], review["link"]) == ("sheet_review", "/emergency-sheet")
    assert inbox_kinds(notifications, AYSE).count("sheet_review") == 1
