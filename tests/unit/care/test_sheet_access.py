"""Who may read a resident's emergency sheet, and when: the resident, the readers they name, and whoever
acknowledged an alert about them while it is not resolved; nobody else, organisers included."""
from datetime import date, datetime, timedelta, timezone

import pytest

from services.care import domain
from services.care.domain import Alert

DEADLINE = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def raised_alert(member_id="ayse") -> Alert:
    found = Alert(id=f"{member_id}:2026-12-01", member_id=member_id, day=date(2026, 12, 1), deadline=DEADLINE,
                  buddies=("bora", "cem"), escalation_minutes=30)
    domain.take_step(found, organisers=[], now=DEADLINE)
    return found


def access(reader, readers=(), alerts=()):
    return domain.sheet_access(reader_id=reader, resident_id="ayse", readers=readers, alerts=alerts)


def test_the_resident_reads_their_own_sheet():
    assert access("ayse") == domain.Access(True, own=True)


def test_a_named_reader_may_read_it_at_any_time():
    assert access("dana", readers=["dana"]) == domain.Access(True, during_alert=False)


@pytest.mark.parametrize("reader", ["olga", "bora", "zora"])
def test_nobody_else_may_without_an_alert_organisers_included(reader):
    assert access(reader, readers=["dana"]).allowed is False
    with pytest.raises(domain.NotAllowed):
        domain.check_may_read(access(reader, readers=["dana"]))


def test_being_told_about_an_alert_is_not_enough():
    assert access("bora", alerts=[raised_alert()]).allowed is False


def test_the_acknowledger_may_read_it_while_the_alert_is_not_resolved():
    found = raised_alert()
    domain.acknowledge(found, actor_id="bora", now=DEADLINE + timedelta(minutes=3))

    assert access("bora", alerts=[found]) == domain.Access(True, during_alert=True, alert_id=found.id)
    assert access("cem", alerts=[found]).allowed is False


def test_and_not_once_it_is_resolved():
    found = raised_alert()
    domain.acknowledge(found, actor_id="bora", now=DEADLINE + timedelta(minutes=3))
    domain.resolve(found, actor_id="bora", actor_is_organiser=False, outcome="fine", note=None,
                   now=DEADLINE + timedelta(minutes=20))

    assert access("bora", alerts=[found]).allowed is False


def test_an_alert_about_someone_else_gives_no_right_to_this_sheet():
    found = raised_alert(member_id="emre")
    domain.acknowledge(found, actor_id="bora", now=DEADLINE + timedelta(minutes=3))

    assert access("bora", alerts=[found]).allowed is False


def test_a_named_reader_who_also_looks_after_an_alert_reads_during_the_alert():
    found = raised_alert()
    domain.acknowledge(found, actor_id="bora", now=DEADLINE + timedelta(minutes=3))

    assert access("bora", readers=["bora"], alerts=[found]).during_alert is True


@pytest.mark.parametrize("readers, problem", [
    (["ayse"], "your own sheet"), (["bora", "bora"], "each reader once"), (["zora"], "Not an active member")])
def test_readers_are_other_active_neighbours_each_once(readers, problem):
    with pytest.raises(domain.InvalidSettings) as refused:
        domain.check_readers("ayse", readers, neighbours=["bora"])
    assert any(problem in message for message in refused.value.errors["readers"])
