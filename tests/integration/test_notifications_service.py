"""The notifications service in real Nameko containers on the real RabbitMQ, with a real SMTP server."""
import mailbox
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from email.header import decode_header, make_header

import eventlet
import pytest
from nameko.events import event_handler
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.common.events import new_event
from services.notifications.models import Delivery, Notice, Notification
from services.notifications.service import NotificationsService

COMMUNITY = "c-altona"
AYSE = {"member_id": "ayse", "community_id": COMMUNITY, "role": "resident", "display_name": "Ayşe",
        "preferred_language": "tr", "timezone": "Europe/Berlin"}
BORA = {**AYSE, "member_id": "bora", "display_name": "Bora", "preferred_language": "de"}
OLGA = {**AYSE, "member_id": "olga", "display_name": "Olga", "preferred_language": "ru", "role": "organiser"}


class DeliveryRecorder:
    name = "delivery_recorder"
    heard: list = []

    @event_handler("notifications", "notification.delivered")
    def delivered(self, event):
        self.heard.append(event)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(tmp_path):
    """A real SMTP server (aiosmtpd) in its own process, storing what it receives in a Maildir."""
    port, maildir = free_port(), tmp_path / "maildir"
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                               "-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # waiting for a process to listen, not for an event
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield port, maildir
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def recorder(container_factory, service_config):
    DeliveryRecorder.heard = []
    container = container_factory(DeliveryRecorder, service_config)
    container.start()
    return container


def start_notifications(container_factory, service_config, **config):
    container = container_factory(NotificationsService, {**service_config, **config})
    container.start()
    return container


@pytest.fixture
def notifications(container_factory, service_config, recorder, smtp_server):
    return start_notifications(container_factory, service_config, SMTP_PORT=smtp_server[0],
                               EMAIL_RETRY_DELAYS_SECONDS="0,0")


def hook(container, method, *args):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args)


def deliver(container, config, source, type_, handler, payload, event=None):
    event = event or new_event(type_, community_id=COMMUNITY, payload=payload, occurred_at=datetime.now(timezone.utc))
    with entrypoint_waiter(container, handler):
        event_dispatcher(config)(source, type_, event)
    return event


def join(container, config, actor, email, phone=None, share_phone=False, household="Haus A"):
    deliver(container, config, "members", "member.joined", "member_joined", {
        "member_id": actor["member_id"], "display_name": actor["display_name"], "email": email,
        "preferred_language": actor["preferred_language"], "languages": [actor["preferred_language"]],
        "household": household, "phone": phone, "share_phone": share_phone, "role": actor["role"],
        "active": True, "timezone": "Europe/Berlin"})


BOOKING = {"booking_id": "b1", "space_id": "s1", "space_name": "Gemeinschaftsraum", "member_id": "ayse",
           "member_name": "Ayşe", "start": "2026-12-24T17:00:00Z", "end": "2026-12-24T19:00:00Z",
           "timezone": "Europe/Berlin", "status": "confirmed"}


def test_an_event_delivered_twice_gives_one_inbox_entry_in_the_recipients_language(notifications, service_config):
    join(notifications, service_config, AYSE, "ayse@example.org")
    event = deliver(notifications, service_config, "spaces", "booking.confirmed", "booking_confirmed", BOOKING)
    deliver(notifications, service_config, "spaces", "booking.confirmed", "booking_confirmed", BOOKING, event=event)
    inbox = hook(notifications, "inbox", AYSE, {})["items"]
    bookings = [item for item in inbox if item["kind"] == "booking_confirmed"]
    assert len(bookings) == 1
    assert "Gemeinschaftsraum" in bookings[0]["title"] and "18:00" in bookings[0]["body"]
    assert bookings[0]["language"] == "tr" and "Aralık" in bookings[0]["body"]  # December, in Turkish
    assert [item["kind"] for item in inbox].count("welcome") == 1


def test_every_event_type_reaches_its_recipients_once(notifications, service_config):
    for person in (AYSE, BORA, OLGA):
        join(notifications, service_config, person, f"{person['member_id']}@example.org")
    help_facts = {"request_id": "r1", "requester_id": "ayse", "title": "Einkauf", "category": "shopping",
                  "helper_id": "bora"}
    cases = [("spaces", "booking.requested", "booking_requested", BOOKING),
             ("spaces", "booking.approved", "booking_approved", BOOKING),
             ("spaces", "booking.rejected", "booking_rejected", BOOKING),
             ("spaces", "booking.cancelled", "booking_cancelled", {**BOOKING, "cancelled_by": "olga"}),
             ("spaces", "booking.reminder_came_due", "booking_reminder_came_due", BOOKING),
             ("help", "help.requested", "help_requested", {**help_facts, "audience": ["bora", "olga"]}),
             ("help", "help.offered", "help_offered", help_facts),
             ("help", "help.accepted", "help_accepted", help_facts),
             ("help", "help.completed", "help_completed", help_facts),
             ("help", "help.cancelled", "help_cancelled", {**help_facts, "cancelled_by": "ayse"}),
             ("help", "help.expired", "help_expired", help_facts),
             ("help", "help.reopened", "help_reopened", help_facts)]
    for source, type_, handler, payload in cases:
        event = deliver(notifications, service_config, source, type_, handler, payload)
        deliver(notifications, service_config, source, type_, handler, payload, event=event)  # again
    count = {}
    for entry in Notification.objects(kind__ne="welcome"):
        count[(entry.member_id, entry.kind)] = count.get((entry.member_id, entry.kind), 0) + 1
    assert count == {
        ("ayse", "booking_pending"): 1, ("olga", "booking_approval_needed"): 1, ("ayse", "booking_approved"): 1,
        ("ayse", "booking_rejected"): 1, ("ayse", "booking_cancelled"): 1, ("ayse", "booking_reminder"): 1,
        ("bora", "help_requested"): 1, ("olga", "help_requested"): 1, ("ayse", "help_offer_received"): 1,
        ("bora", "help_offer_accepted"): 1, ("bora", "help_completed"): 1, ("bora", "help_cancelled"): 1,
        ("ayse", "help_expired"): 1, ("ayse", "help_reopened"): 1}
    for person in (AYSE, BORA, OLGA):  # every text renders in its reader's language
        assert all(item["title"] for item in hook(notifications, "inbox", person, {})["items"])


def test_a_reminder_published_under_its_old_name_still_reaches_the_booker(notifications, service_config):
    """`booking.reminder_due` was renamed `booking.reminder_came_due`: for one version, what a spaces service of
    before left queued or in its outbox still reminds the booker."""
    join(notifications, service_config, AYSE, "ayse@example.org")
    deliver(notifications, service_config, "spaces", "booking.reminder_due", "booking_reminder_due", BOOKING)
    assert [entry.kind for entry in Notification.objects(member_id="ayse", kind__ne="welcome")] == ["booking_reminder"]


def test_an_email_reaches_a_real_smtp_server_in_the_recipients_language(notifications, service_config,
                                                                        smtp_server, recorder):
    join(notifications, service_config, AYSE, "ayse@example.org")
    hook(notifications, "set_preferences", AYSE, {"channels": {"in_app": True, "email": True},
                                                  "quiet_hours": {"from": "00:00", "until": "00:00"}})
    deliver(notifications, service_config, "spaces", "booking.confirmed", "booking_confirmed", BOOKING)
    with entrypoint_waiter(recorder, "delivered"):
        assert hook(notifications, "send_emails") == 1
    messages = list(mailbox.Maildir(smtp_server[1]))
    assert len(messages) == 1
    assert messages[0]["To"] == "ayse@example.org"
    subject = str(make_header(decode_header(messages[0]["Subject"])))
    assert "Gemeinschaftsraum" in subject
    assert "Aralık" in messages[0].get_payload(decode=True).decode()
    assert DeliveryRecorder.heard[0]["payload"]["outcome"] == "sent"
    assert hook(notifications, "send_emails") == 0  # sent once, not again


def test_a_failing_smtp_server_is_retried_and_then_recorded_as_failed(container_factory, service_config, recorder):
    closed_port = free_port()  # nothing listens here
    notifications = start_notifications(container_factory, service_config, SMTP_PORT=closed_port,
                                        EMAIL_RETRY_DELAYS_SECONDS="0,0")
    join(notifications, service_config, AYSE, "ayse@example.org")
    hook(notifications, "set_preferences", AYSE, {"channels": {"in_app": True, "email": True},
                                                  "quiet_hours": {"from": "00:00", "until": "00:00"}})
    deliver(notifications, service_config, "spaces", "booking.confirmed", "booking_confirmed", BOOKING)
    for attempt in (1, 2):
        hook(notifications, "send_emails")
        delivery = Delivery.objects.get()
        assert delivery.status == "pending" and delivery.attempts == attempt and delivery.last_error
    with entrypoint_waiter(recorder, "delivered"):
        hook(notifications, "send_emails")
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 3
    assert DeliveryRecorder.heard[0]["payload"]["outcome"] == "failed"


def test_an_email_in_quiet_hours_waits(notifications, service_config):
    join(notifications, service_config, AYSE, "ayse@example.org")
    hook(notifications, "set_preferences", AYSE, {"channels": {"in_app": True, "email": True},
                                                  "quiet_hours": {"from": "00:00", "until": "23:59"}})
    deliver(notifications, service_config, "spaces", "booking.confirmed", "booking_confirmed", BOOKING)
    assert hook(notifications, "send_emails") == 0
    assert Delivery.objects.get().status == "pending"


def test_a_notice_reaches_everyone_in_their_language_and_receipts_follow_reading(notifications, service_config):
    join(notifications, service_config, AYSE, "ayse@example.org", phone="040 111", share_phone=True)
    join(notifications, service_config, BORA, "bora@example.org", phone="040 222", share_phone=False)
    join(notifications, service_config, OLGA, "olga@example.org")
    notice = hook(notifications, "publish_notice", OLGA, {
        "title": "Wasser abgestellt", "body": "Am Dienstag von 9 bis 12 Uhr gibt es kein Wasser.", "language": "de",
        "audience": "all", "urgent": True, "translations": {"tr": {"title": "Su kesintisi",
                                                                   "body": "Salı günü 9-12 arası su yok."}}})
    assert notice["recipients"] == 3
    ayse_inbox = [i for i in hook(notifications, "inbox", AYSE, {})["items"] if i["kind"] == "notice"]
    bora_inbox = [i for i in hook(notifications, "inbox", BORA, {})["items"] if i["kind"] == "notice"]
    assert ayse_inbox[0]["title"] == "Su kesintisi" and bora_inbox[0]["title"] == "Wasser abgestellt"

    receipts = hook(notifications, "receipts", OLGA, notice["id"])
    assert receipts["delivered"] == 3 and receipts["read"] == 0
    by_member = {person["member_id"]: person for person in receipts["unread"]}
    # Organisers call those who have not read an urgent notice, whether or not they share the phone with neighbours.
    assert by_member["ayse"]["phone"] == "040 111" and by_member["bora"]["phone"] == "040 222"

    hook(notifications, "mark_read", AYSE, ayse_inbox[0]["id"])
    receipts = hook(notifications, "receipts", OLGA, notice["id"])
    assert receipts["read"] == 1 and "ayse" not in {p["member_id"] for p in receipts["unread"]}


def test_a_daily_digest_gathers_the_news_into_one_morning_email(notifications, service_config, smtp_server):
    join(notifications, service_config, BORA, "bora@example.org")
    hook(notifications, "set_preferences", BORA, {"channels": {"in_app": True, "email": True}, "digest": "daily"})
    for number in range(3):
        deliver(notifications, service_config, "spaces", "booking.confirmed", "booking_confirmed",
                {**BOOKING, "booking_id": f"b{number}", "member_id": "bora"})
    assert hook(notifications, "send_emails") == 0  # nothing goes one by one
    assert {d.status for d in Delivery.objects(member_id="bora")} == {"digest"}
    Delivery.objects(member_id="bora").update(set__due_at=datetime.now(timezone.utc))  # as if it were 08:00
    assert hook(notifications, "send_digests") == 1
    messages = list(mailbox.Maildir(smtp_server[1]))
    assert len(messages) == 1 and messages[0]["To"] == "bora@example.org"
    assert messages[0].get_payload(decode=True).decode().count("• ") == 3  # one item per booking
    assert {d.status for d in Delivery.objects(member_id="bora")} == {"sent"}


def test_two_instances_send_each_email_and_each_digest_once(container_factory, service_config, notifications,
                                                           smtp_server):
    join(notifications, service_config, AYSE, "ayse@example.org")
    join(notifications, service_config, BORA, "bora@example.org")
    hook(notifications, "set_preferences", AYSE, {"channels": {"in_app": True, "email": True}})
    hook(notifications, "set_preferences", BORA, {"channels": {"in_app": True, "email": True}, "digest": "daily"})
    for number in range(3):
        for member in ("ayse", "bora"):
            deliver(notifications, service_config, "spaces", "booking.confirmed", "booking_confirmed",
                    {**BOOKING, "booking_id": f"{member}{number}", "member_id": member})
    Delivery.objects(member_id="ayse").update(set__due_at=datetime.now(timezone.utc))  # outside quiet hours
    Delivery.objects(member_id="bora").update(set__due_at=datetime.now(timezone.utc))  # as if it were 08:00
    # The second instance starts once the events are in (with two, either may take an event).
    second = start_notifications(container_factory, service_config, SMTP_PORT=smtp_server[0],
                                 EMAIL_RETRY_DELAYS_SECONDS="0,0")
    for timer in ("send_emails", "send_digests"):  # both instances at the same moment (one hook each at a time)
        runs = [eventlet.spawn(hook, container, timer) for container in (notifications, second)]
        [run.wait() for run in runs]

    received = Counter(message["To"] for message in mailbox.Maildir(smtp_server[1]))
    assert received == {"ayse@example.org": 3, "bora@example.org": 1}
    assert {d.status for d in Delivery.objects()} == {"sent"}


def test_erasure_removes_a_members_notifications_and_preferences(notifications, service_config):
    join(notifications, service_config, AYSE, "ayse@example.org")
    hook(notifications, "set_preferences", AYSE, {"channels": {"in_app": True, "email": True}})
    deliver(notifications, service_config, "spaces", "booking.confirmed", "booking_confirmed", BOOKING)
    assert hook(notifications, "export_member", AYSE)["notifications"]
    deliver(notifications, service_config, "members", "member.erased", "member_erased", {"member_id": "ayse"})
    exported = hook(notifications, "export_member", AYSE)
    assert exported["notifications"] == [] and exported["deliveries"] == []
    assert exported["preferences"]["channels"]["email"] is False  # back to the defaults: nothing kept
    assert Notification.objects(member_id="ayse").count() == 0


def test_erasure_takes_the_members_words_out_of_other_members_messages(notifications, service_config):
    for person in (AYSE, BORA):
        join(notifications, service_config, person, f"{person['member_id']}@example.org")
    asked = {"request_id": "r1", "requester_id": "ayse", "title": "Steuerbescheid übersetzen",
             "category": "translation", "helper_id": "bora"}
    offered = {**asked, "request_id": "r2", "requester_id": "bora", "title": "Fahrt zum Arzt", "helper_id": "ayse"}
    deliver(notifications, service_config, "help", "help.requested", "help_requested", {**asked, "audience": ["bora"]})
    deliver(notifications, service_config, "help", "help.accepted", "help_accepted", asked)
    deliver(notifications, service_config, "help", "help.offered", "help_offered", offered)

    def bora_reads():
        return "\n".join(f"{item['title']} {item['body']}" for item in hook(notifications, "inbox", BORA, {})["items"])

    assert bora_reads().count("Steuerbescheid übersetzen") == 2 and "Ayşe" in bora_reads()
    deliver(notifications, service_config, "members", "member.erased", "member_erased", {"member_id": "ayse"})
    assert "Steuerbescheid übersetzen" not in bora_reads() and "Ayşe" not in bora_reads()
    assert "Fahrt zum Arzt" in bora_reads()  # his own request, which she offered to help with, keeps its title


def test_a_repeat_after_a_killed_attempt_returns_that_notice_instead_of_publishing_it_twice(notifications,
                                                                                            service_config):
    join(notifications, service_config, AYSE, "ayse@example.org")
    join(notifications, service_config, OLGA, "olga@example.org")
    body = {"title": "Hoffest", "body": "Samstag ab 15 Uhr.", "audience": "all"}
    with entrypoint_hook(notifications, "publish_notice") as publish:
        first = publish(OLGA, body, idempotency_key="k-1")
    # What a SIGKILL (or the database going away) after the notice was stored leaves: the key still "running".
    Notice._get_db().idempotency_keys.update_one({"_id": "notice:olga:k-1"}, {
        "$set": {"state": "running", "owner": "killed-process"}, "$unset": {"result": ""}})

    with entrypoint_hook(notifications, "publish_notice") as publish:
        again = publish(OLGA, body, idempotency_key="k-1")

    assert again["id"] == first["id"]
    assert Notice.objects(community_id=COMMUNITY, title="Hoffest").count() == 1
    assert Notification.objects(member_id="ayse", kind="notice").count() == 1
