"""The care service's messages beyond alerts: the daily email with the check-in link (an email only, never in the
inbox, whatever the email preference, its link forgotten once sent), the emergency sheet's review, and buddy
requests, each in the reader's language with a link to its page."""
from datetime import datetime, timedelta, timezone

from services.common.clock import as_utc
from services.notifications import commands, domain
from services.notifications.models import Delivery, Notification, Preferences, Recipient
from tests.support.fakes import FakeUnitOfWork, fresh
from tests.support.fakes.notifications import FakeNotificationsRepository

SIX_IN_BERLIN = datetime(2026, 12, 1, 5, 0, tzinfo=timezone.utc)  # before the quiet hours end at 08:00
TOKEN = "eyJsIjoiYXlzZToyMDI2LTEyLTAxIn0.signature"
LINK_ISSUED = {"event_id": "e-link", "type": "checkin.link_issued", "community_id": "c", "payload": {
    "member_id": "ayse", "day": "2026-12-01", "daily_by": "08:00", "token": TOKEN,
    "expires_at": "2026-12-01T23:00:00Z"}}
AYSE = {"member_id": "ayse", "community_id": "c", "role": "resident"}
BORA = {"member_id": "bora", "community_id": "c", "role": "resident"}


class Mailer:
    def __init__(self):
        self.sent = []

    def send(self, to, subject, body, language):
        self.sent.append((to, subject, body, language))


def store(*, email_preference=False, ayse_email="ayse@example.org") -> FakeUnitOfWork:
    """Ayşe reads Turkish and has not chosen email for her messages; Bora reads German and chose it."""
    return FakeUnitOfWork(FakeNotificationsRepository(
        Recipient(id="ayse", community_id="c", display_name="Ayşe", email=ayse_email, preferred_language="tr",
                  timezone="Europe/Berlin"),
        Recipient(id="bora", community_id="c", display_name="Bora", email="bora@example.org",
                  preferred_language="de", timezone="Europe/Berlin"),
        Preferences(id="ayse", community_id="c", email=email_preference),
        Preferences(id="bora", community_id="c", email=True)))


def send(uow, now=SIX_IN_BERLIN) -> Mailer:
    mailer = Mailer()
    commands.send_due_emails(fresh(uow), mailer, retry_delays=[30], now=now, public_url="https://haus.example/")
    return mailer


def test_the_check_in_link_is_an_email_only_sent_at_once_in_the_residents_language():
    uow = store()
    assert commands.handle_event(uow, LINK_ISSUED, SIX_IN_BERLIN) == []
    assert uow.repository.all(Notification) == []  # never in the inbox
    (delivery,) = uow.repository.all(Delivery)
    assert (delivery.status, as_utc(delivery.due_at), delivery.notification_id) == ("pending", SIX_IN_BERLIN, None)

    ((to, subject, body, language),) = send(uow).sent
    assert (to, language) == ("ayse@example.org", "tr")
    assert subject == "Günaydın Ayşe: Bugün iyi misiniz?" and "08:00" in body
    assert body.endswith(f"\n\nhttps://haus.example/check-in/link/{TOKEN}")


def test_once_sent_the_link_is_no_longer_kept_and_a_second_delivery_of_the_event_sends_nothing():
    uow = store()
    commands.handle_event(uow, LINK_ISSUED, SIX_IN_BERLIN)
    commands.handle_event(fresh(uow), LINK_ISSUED, SIX_IN_BERLIN)
    assert len(send(uow).sent) == 1
    (delivery,) = uow.repository.all(Delivery)
    assert delivery.status == "sent" and delivery.link is None and delivery.facts == {}
    assert TOKEN not in str(delivery.to_mongo())
    assert send(uow).sent == []


def test_no_link_email_without_an_address_and_none_for_a_member_who_left():
    uow = store(ayse_email=None)
    commands.handle_event(uow, LINK_ISSUED, SIX_IN_BERLIN)
    assert uow.repository.all(Delivery) == []


def test_the_sheet_review_is_in_the_inbox_and_emailed_with_the_sheet_s_address_to_those_who_chose_email():
    uow = store(email_preference=True)
    event = {"event_id": "e-review", "type": "sheet.review_came_due", "community_id": "c",
             "payload": {"member_id": "ayse", "saved_at": "2026-09-02T10:00:00Z"}}
    commands.handle_event(uow, event, datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc))
    (item,) = commands.inbox(fresh(uow), AYSE, {})["items"]
    assert (item["kind"], item["link"], item["urgent"]) == ("sheet_review", "/emergency-sheet", False)
    assert item["title"] == "Lütfen acil durum formunuzu gözden geçirin"
    ((_, _, body, _),) = send(uow, datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)).sent
    assert body.endswith("\n\nhttps://haus.example/emergency-sheet")

    not_chosen = store(email_preference=False)
    commands.handle_event(not_chosen, event, datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc))
    assert not_chosen.repository.all(Delivery) == []


def test_the_neighbour_asked_hears_in_their_language_and_the_resident_hears_the_answer():
    uow = store()
    payload = {"request_id": "ayse:bora", "member_id": "ayse", "buddy_id": "bora"}
    commands.handle_event(uow, {"event_id": "e-ask", "type": "buddy.asked", "community_id": "c",
                                "payload": payload}, SIX_IN_BERLIN)
    (asked,) = commands.inbox(fresh(uow), BORA, {})["items"]
    assert (asked["kind"], asked["title"], asked["link"]) == (
        "buddy_asked", "Ayşe bittet Sie, Buddy zu sein", "/check-in/buddy-requests")

    for minutes, type_, kind, title in ((1, "buddy.declined", "buddy_declined", "Bora yardımcı komşunuz olamıyor"),
                                        (2, "buddy.accepted", "buddy_accepted", "Bora artık yardımcı komşunuz")):
        commands.handle_event(fresh(uow), {"event_id": f"e-{kind}", "type": type_, "community_id": "c",
                                           "payload": payload}, SIX_IN_BERLIN + timedelta(minutes=minutes))
        newest = commands.inbox(fresh(uow), AYSE, {})["items"][0]
        assert (newest["kind"], newest["title"], newest["link"]) == (kind, title, "/check-in/settings")


def test_only_the_link_email_is_urgent_and_email_only():
    planned = {kind: domain.plan({"type": type_, "payload": payload}, organisers=[])[0] for kind, type_, payload in (
        ("link", "checkin.link_issued", LINK_ISSUED["payload"]),
        ("review", "sheet.review_came_due", {"member_id": "ayse"}),
        ("asked", "buddy.asked", {"member_id": "ayse", "buddy_id": "bora"}))}
    assert [(p.urgent, p.email_only) for p in planned.values()] == [(True, True), (False, False), (False, False)]
    assert planned["link"].link == f"/check-in/link/{TOKEN}" and TOKEN not in str(planned["link"].facts)
