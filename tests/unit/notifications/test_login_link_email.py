"""The email with a sign-in link, on a unit of work in memory: sent at once in the member's language, retried
briefly, recorded without the link, never twice for one event, and the token kept nowhere (not even when
sending fails for good, when the event would otherwise be parked with it)."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from services.notifications import commands
from services.notifications.models import Delivery, Notification
from tests.support.fakes import FakeUnitOfWork, fresh
from tests.support.fakes.notifications import FakeNotificationsRepository

NOW = datetime(2026, 6, 1, 21, 30, tzinfo=timezone.utc)  # 23:30 in Berlin: quiet hours do not hold it back
TOKEN = "a-secret-token-0123456789"
PUBLIC_URL = "https://haus.example.org/"


def link_event(language="tr", expires_at=NOW + timedelta(minutes=15), event_id="link-1") -> dict:
    return {"event_id": event_id, "type": "login_link.requested", "community_id": "altona",
            "occurred_at": "2026-06-01T21:30:00Z", "version": 1, "payload": {
                "member_id": "ayse", "email": "ayse@example.org", "display_name": "Ayşe",
                "preferred_language": language, "timezone": "Europe/Berlin", "token": TOKEN,
                "expires_at": expires_at.isoformat().replace("+00:00", "Z")}}


class Mailer:
    def __init__(self, failures: int = 0):
        self.failures = failures
        self.sent: list[tuple] = []
        self.tries = 0

    def send(self, to, subject, body, language):
        self.tries += 1
        if self.tries <= self.failures:
            raise ConnectionRefusedError("the mail relay is down")
        self.sent.append((to, subject, body, language))


@pytest.fixture
def uow():
    return FakeUnitOfWork(FakeNotificationsRepository())


def send(uow, mailer, event, *, delays=(1, 5), now=NOW, slept=None):
    unit = fresh(uow)
    outcome = commands.send_login_link(unit, mailer, event, public_url=PUBLIC_URL, retry_delays=list(delays),
                                       now=now, sleep=(slept if slept is not None else []).append)
    unit.events()
    return outcome, unit.outbox.published


def stored_anywhere(uow) -> str:
    return json.dumps([d.to_mongo().to_dict() for kind in (Delivery, Notification)
                       for d in uow.repository.all(kind)], default=str)


@pytest.mark.parametrize("language, words", [("tr", "Giriş bağlantınız"), ("de", "Ihr Anmelde-Link"),
                                             ("ar", "رابط تسجيل الدخول"), ("ru", "Ваша ссылка"),
                                             ("en", "Your sign-in link"), ("pl", "Ihr Anmelde-Link")])
def test_the_link_is_emailed_at_once_in_the_members_language(uow, language, words):
    mailer = Mailer()
    outcome, published = send(uow, mailer, link_event(language))
    [(to, subject, body, _language)] = mailer.sent
    assert outcome == "sent" and to == "ayse@example.org" and words in subject
    assert f"https://haus.example.org/login/link/{TOKEN}\n" in body
    assert "Ayşe" in body and "23:45" in body  # valid until 23:45 on the community's clock
    assert [event["payload"]["outcome"] for event in published] == ["sent"]


def test_the_link_is_kept_nowhere_and_not_put_in_the_inbox(uow):
    send(uow, Mailer(), link_event())
    [delivery] = uow.repository.all(Delivery)
    assert delivery.status == "sent" and delivery.notification_id is None
    assert uow.repository.all(Notification) == []
    assert TOKEN not in stored_anywhere(uow)


def test_one_event_delivered_twice_sends_one_email(uow):
    mailer = Mailer()
    send(uow, mailer, link_event())
    assert send(uow, mailer, link_event())[0] == "already"
    assert len(mailer.sent) == 1


def test_a_refused_email_is_retried_briefly(uow):
    mailer, slept = Mailer(failures=2), []
    outcome, _published = send(uow, mailer, link_event(), slept=slept)
    assert outcome == "sent" and slept == [1, 5] and len(mailer.sent) == 1
    assert uow.repository.all(Delivery)[0].attempts == 3


def test_an_email_that_cannot_be_sent_is_recorded_failed_without_the_link_and_raises_nothing(uow):
    mailer, slept = Mailer(failures=10), []
    outcome, published = send(uow, mailer, link_event(), slept=slept)
    assert outcome == "failed" and mailer.sent == [] and slept == [1, 5]
    [delivery] = uow.repository.all(Delivery)
    assert delivery.status == "failed" and "relay is down" in delivery.last_error
    assert [event["payload"]["outcome"] for event in published] == ["failed"]
    assert TOKEN not in stored_anywhere(uow)


def test_a_link_that_expired_before_it_could_be_sent_is_not_sent(uow):
    mailer = Mailer()
    outcome, _published = send(uow, mailer, link_event(expires_at=NOW - timedelta(seconds=1)))
    assert outcome == "failed" and mailer.sent == []


def test_an_unexpected_error_is_swallowed_so_the_event_is_never_parked_with_its_token(uow, caplog):
    broken = link_event()
    del broken["payload"]["email"]
    outcome, _published = send(uow, Mailer(), broken)
    assert outcome == "failed"
    assert TOKEN not in caplog.text
