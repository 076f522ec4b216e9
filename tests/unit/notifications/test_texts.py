"""Text messages: who may choose them, which notifications go by text and when, the two-segment limit, retries and
the call list of an urgent notice. The sender is a fake here; tests/e2e/test_text_messages.py sends through Apprise."""
from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import Invalid
from services.notifications import commands
from services.notifications.models import Delivery
from services.notifications.texts import GSM_LIMIT, UCS2_LIMIT, short_text, size_and_limit
from tests.support.fakes import FakeUnitOfWork, done, fresh
from tests.support.fakes.notifications import FakeNotificationsRepository

NOW = datetime(2026, 6, 1, 20, 30, tzinfo=timezone.utc)  # 22:30 in Berlin: quiet hours
COMMUNITY = "altona"
OLGA = {"member_id": "olga", "community_id": COMMUNITY, "role": "organiser", "display_name": "Olga",
        "preferred_language": "de", "timezone": "Europe/Berlin"}
AYSE = {**OLGA, "member_id": "ayse", "role": "resident", "display_name": "Ayşe", "preferred_language": "tr"}
BORA = {**AYSE, "member_id": "bora", "display_name": "Bora", "preferred_language": "de"}
TEXTS = {"channels": {"in_app": True, "email": False, "sms": True}}


def joined(actor: dict, phone: str | None) -> dict:
    return {"event_id": f"joined-{actor['member_id']}", "type": "member.joined", "community_id": COMMUNITY,
            "payload": {"member_id": actor["member_id"], "display_name": actor["display_name"],
                        "email": f"{actor['member_id']}@example.org", "preferred_language": actor["preferred_language"],
                        "household": "Haus B", "role": actor["role"], "timezone": "Europe/Berlin", "phone": phone,
                        "languages": [actor["preferred_language"]]}}


class Texts:
    def __init__(self, refuse=False):
        self.refuse, self.sent = refuse, []

    def send(self, phone, text):
        if self.refuse:
            raise RuntimeError("the provider answered 503")
        self.sent.append((phone, text))


@pytest.fixture
def uow():
    unit = FakeUnitOfWork(FakeNotificationsRepository())
    for actor, phone in ((OLGA, "040 31 41 59"), (AYSE, "0171 2345678"), (BORA, None)):
        done(unit, commands.remember_member, joined(actor, phone))
    done(unit, commands.set_preferences, AYSE, TEXTS, NOW, texts_offered=True)
    return unit


def notice(uow, urgent: bool, when=NOW) -> dict:
    return done(uow, commands.publish_notice, OLGA, {"title": "Wasser", "body": "Heute kein Wasser", "audience": "all",
                                                    "urgent": urgent, "translations": {"tr": {
                                                        "title": "Su", "body": "Bugün su yok"}}}, when)


def send(uow, texts, when=NOW, delays=(30, 120)):
    return done(uow, commands.send_due_emails, None, retry_delays=list(delays), now=when, texts=texts)


@pytest.mark.parametrize("offered, member, refused", [(False, AYSE, "Not offered here."),
                                                      (True, BORA, "No phone number in your profile.")])
def test_texts_are_refused_without_a_provider_or_without_a_phone(uow, offered, member, refused):
    with pytest.raises(Invalid) as invalid:
        commands.set_preferences(fresh(uow), member, TEXTS, NOW, texts_offered=offered)
    assert invalid.value.errors == {"channels.sms": [refused]}


def test_an_urgent_notice_goes_by_text_at_once_in_the_readers_language_despite_quiet_hours(uow):
    notice(uow, urgent=True)
    texts = Texts()
    assert send(uow, texts) == 1
    assert texts.sent == [("0171 2345678", "Su: Bugün su yok")]
    assert send(uow, texts, NOW + timedelta(minutes=5)) == 0 and len(texts.sent) == 1  # once


def test_a_notice_that_is_not_urgent_waits_in_the_inbox(uow):
    notice(uow, urgent=False)
    texts = Texts()
    assert send(uow, texts, NOW + timedelta(hours=12)) == 0 and texts.sent == []


def test_a_reminder_waits_for_the_end_of_the_quiet_hours(uow):
    done(uow, commands.handle_event, {"event_id": "r-1", "type": "booking.reminder_came_due", "community_id": COMMUNITY,
                                      "payload": {"booking_id": "b1", "space_name": "Saal", "member_id": "ayse",
                                                  "start": "2026-06-02T16:00:00Z", "end": "2026-06-02T18:00:00Z"}},
         NOW)
    texts = Texts()
    assert send(uow, texts) == 0
    assert send(uow, texts, datetime(2026, 6, 2, 6, 0, tzinfo=timezone.utc)) == 1  # 08:00 in Berlin
    assert "Saal" in texts.sent[0][1]


def test_a_text_the_provider_refuses_is_tried_again_then_failed_and_its_reader_is_on_the_call_list(uow):
    published = notice(uow, urgent=True)
    refusing = Texts(refuse=True)
    send(uow, refusing)
    send(uow, refusing, NOW + timedelta(seconds=30))
    send(uow, refusing, NOW + timedelta(seconds=150))
    [delivery] = [d for d in uow.repository.all(Delivery) if d.channel == "sms"]
    assert (delivery.status, delivery.attempts) == ("failed", 3)

    receipts = commands.receipts(fresh(uow), OLGA, published["id"])
    [ayse] = [person for person in receipts["unread"] if person["member_id"] == "ayse"]
    assert ayse["text_failed"] == "RuntimeError: the provider answered 503" and ayse["phone"] == "0171 2345678"
    commands.mark_read(fresh(uow), AYSE, f"notice:{published['id']}:ayse", NOW)
    still = commands.receipts(fresh(uow), OLGA, published["id"])
    assert "ayse" in [p["member_id"] for p in still["unread"]] and still["read"] == 1


def test_without_a_provider_a_text_fails_with_the_reason(uow):
    notice(uow, urgent=True)
    send(uow, None, delays=())
    [delivery] = [d for d in uow.repository.all(Delivery) if d.channel == "sms"]
    assert delivery.status == "failed" and "SMS_URL" in delivery.last_error


def test_a_short_text_is_sent_whole():
    assert short_text("Wasser", "Heute\nkein  Wasser", "Mehr im Postfach.") == "Wasser: Heute kein Wasser"


@pytest.mark.parametrize("body, more, limit", [
    ("Am Dienstag gibt es im ganzen Haus kein Wasser. " * 10, "Mehr im Postfach.", GSM_LIMIT),
    ("Salı günü bütün evde su yok. " * 10, "Devamı gelen kutunuzda.", UCS2_LIMIT),
    ("لا يوجد ماء في البيت كله يوم الثلاثاء. " * 10, "المزيد في صندوق رسائلك.", UCS2_LIMIT),
])
def test_a_long_text_is_cut_at_a_word_to_two_segments_and_points_to_the_inbox(body, more, limit):
    text = short_text("Hinweis", body, more)
    size, allowed = size_and_limit(text)
    assert allowed == limit and limit - 12 < size <= limit
    assert text.endswith(f"... {more}") and text.split("... ")[0] in " ".join(f"Hinweis: {body}".split())
