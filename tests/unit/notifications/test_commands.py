"""The notifications service's commands on a unit of work in memory: events into inboxes, emails after the quiet
hours, notices with their receipts, and what each announces."""
from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import Forbidden, Invalid, NotFound
from services.notifications import commands
from services.notifications.models import Delivery, Preferences
from tests.support.fakes import FakeUnitOfWork, done, fresh
from tests.support.fakes.notifications import FakeNotificationsRepository

NOW = datetime(2026, 6, 1, 20, 30, tzinfo=timezone.utc)  # 22:30 in Berlin: quiet hours
COMMUNITY = "altona"
OLGA = {"member_id": "olga", "community_id": COMMUNITY, "role": "organiser", "display_name": "Olga",
        "preferred_language": "de", "timezone": "Europe/Berlin"}
AYSE = {**OLGA, "member_id": "ayse", "role": "resident", "display_name": "Ayşe", "preferred_language": "tr"}
BORA = {**AYSE, "member_id": "bora", "display_name": "Bora", "preferred_language": "de"}


def member_event(actor: dict, household: str) -> dict:
    return {"event_id": f"joined-{actor['member_id']}", "type": "member.joined", "community_id": COMMUNITY,
            "payload": {"member_id": actor["member_id"], "display_name": actor["display_name"],
                        "email": f"{actor['member_id']}@example.org", "preferred_language": actor["preferred_language"],
                        "household": household, "role": actor["role"], "timezone": "Europe/Berlin",
                        "phone": f"040 {actor['member_id']}", "languages": [actor["preferred_language"]]}}


@pytest.fixture
def uow():
    unit = FakeUnitOfWork(FakeNotificationsRepository())
    for actor, household in ((OLGA, "Haus A"), (AYSE, "Haus B"), (BORA, "Haus B")):
        done(unit, commands.remember_member, member_event(actor, household))
    return unit


def booking_event(type_: str, **payload) -> dict:
    return {"event_id": f"{type_}-1", "type": type_, "community_id": COMMUNITY, "payload": {
        "booking_id": "b1", "space_name": "Gemeinschaftsraum", "member_id": "ayse", "start": "2026-06-10T16:00:00Z",
        "end": "2026-06-10T18:00:00Z", **payload}}


class Mailer:
    def __init__(self, refuse=False):
        self.refuse, self.sent = refuse, []

    def send(self, to, subject, body, language):
        if self.refuse:
            raise ConnectionRefusedError("the mail relay is away")
        self.sent.append((to, subject))


def inbox_kinds(uow, actor: dict) -> list[str]:
    return [item["kind"] for item in commands.inbox(fresh(uow), actor, {})["items"]]


def test_an_event_puts_one_entry_in_each_inbox_it_concerns_however_often_it_comes(uow):
    event = booking_event("booking.requested")
    assert len(commands.handle_event(uow, event, NOW)) == 2
    assert commands.handle_event(fresh(uow), event, NOW) == []
    assert inbox_kinds(uow, AYSE) == ["booking_pending"]
    assert inbox_kinds(uow, OLGA) == ["booking_approval_needed"]
    assert inbox_kinds(uow, BORA) == []


def test_an_email_chosen_waits_for_the_end_of_the_quiet_hours(uow):
    done(uow, commands.set_preferences, AYSE, {"channels": {"email": True}}, NOW)
    commands.handle_event(uow, booking_event("booking.confirmed"), NOW)
    [delivery] = uow.repository.all(Delivery)
    assert delivery.due_at == datetime(2026, 6, 2, 6, 0, tzinfo=timezone.utc)  # 08:00 in Berlin


def test_new_preferences_are_announced_after_the_reply(uow):
    shown = commands.set_preferences(uow, AYSE, {"channels": {"email": False}, "help_categories": ["garden"]}, NOW)
    assert shown["help_categories"] == ["garden"] and uow.outbox.published == []
    assert uow.events() == ["preferences.updated"]
    assert uow.repository.stored(Preferences, "ayse").outbox == []


def test_a_notice_reaches_its_audience_and_is_announced_after_the_reply(uow):
    notice = commands.publish_notice(uow, OLGA, {"title": "Wasser", "body": "Dienstag kein Wasser.",
                                                 "audience": {"household": "Haus B"}}, NOW)
    assert notice["recipients"] == 2 and uow.outbox.published == []
    assert uow.events() == ["notice.published"]
    assert inbox_kinds(uow, BORA)[0] == "notice" and "notice" not in inbox_kinds(uow, OLGA)


def test_only_organisers_publish_notices_and_only_to_somebody(uow):
    with pytest.raises(Forbidden) as resident:
        commands.publish_notice(uow, AYSE, {"title": "x", "body": "y", "audience": "all"}, NOW)
    with pytest.raises(Invalid) as nobody:
        commands.publish_notice(uow, OLGA, {"title": "x", "body": "y", "audience": {"household": "Haus Z"}}, NOW)
    assert nobody.value.errors == {"audience": ["Nobody matches."]} and uow.commits == 0
    # The problem documents' details, as the resident and the organiser read them.
    assert resident.value.detail == "Only organisers publish notices."
    assert nobody.value.detail == "Nobody in the community matches this audience."


def test_the_receipts_list_who_has_not_read_a_notice_with_their_phone(uow):
    notice = done(uow, commands.publish_notice, OLGA, {"title": "Fest", "body": "Samstag", "audience": "all"}, NOW)
    [entry] = [item for item in commands.inbox(fresh(uow), BORA, {})["items"] if item["kind"] == "notice"]
    commands.mark_read(fresh(uow), BORA, entry["id"], NOW)
    receipts = commands.receipts(uow, OLGA, notice["id"])
    assert (receipts["delivered"], receipts["read"]) == (3, 1)
    assert [(p["member_id"], p["phone"]) for p in receipts["unread"]] == [("olga", "040 olga"), ("ayse", "040 ayse")]
    with pytest.raises(Forbidden) as resident:
        commands.receipts(fresh(uow), AYSE, notice["id"])
    assert resident.value.detail == "Only organisers see who has read a notice."


def test_marking_a_notification_that_is_not_mine_is_not_found(uow):
    with pytest.raises(NotFound):
        commands.mark_read(uow, AYSE, "someone-elses", NOW)


def test_a_sent_email_is_announced_and_a_refused_one_tried_again_later(uow):
    no_quiet_hours = {"from": "00:00", "until": "00:00"}
    done(uow, commands.set_preferences, AYSE, {"channels": {"email": True}, "quiet_hours": no_quiet_hours}, NOW)
    done(uow, commands.handle_event, booking_event("booking.confirmed"), NOW)
    refused = commands.send_due_emails(uow, Mailer(refuse=True), retry_delays=[30], now=NOW)
    [delivery] = uow.repository.all(Delivery)
    assert refused == 0 and (delivery.status, delivery.attempts) == ("pending", 1) and uow.events() == []
    mailer = Mailer()
    later = fresh(uow)
    assert commands.send_due_emails(later, mailer, retry_delays=[30], now=NOW + timedelta(seconds=31)) == 1
    assert mailer.sent[0][0] == "ayse@example.org" and later.events() == ["notification.delivered"]


def test_an_erased_member_leaves_no_inbox_behind(uow):
    done(uow, commands.handle_event, booking_event("booking.confirmed"), NOW)
    commands.erase(uow, "ayse")
    assert commands.export(fresh(uow), AYSE)["notifications"] == []


def test_an_erased_member_s_flat_and_phone_leave_the_alerts_in_others_inboxes(uow):
    done(uow, commands.handle_event, {"event_id": "raised-1", "type": "alert.raised", "community_id": COMMUNITY,
                                      "payload": {"alert_id": "ayse:2026-06-01", "member_id": "ayse", "step": 0,
                                                  "household": "Haus B", "phone": "040 ayse", "notify": ["bora"],
                                                  "alerted": ["bora"]}}, NOW)
    assert "040 ayse" in alerts_told(uow, BORA)[0]["body"]

    commands.erase(uow, "ayse")

    (told,) = alerts_told(uow, BORA)
    assert "040 ayse" not in told["body"] and "Haus B" not in told["body"]


def alerts_told(uow, actor: dict) -> list[dict]:
    return [item for item in commands.inbox(fresh(uow), actor, {})["items"] if item["kind"] == "checkin_alert"]
