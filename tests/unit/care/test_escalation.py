"""An alert's steps: the first buddy at once, every escalation_minutes the next, then the organisers; who may
acknowledge and resolve it; a check-in settles it; the buddies who count."""
from datetime import date, datetime, timedelta, timezone

import pytest

from services.care import domain
from services.care.domain import Alert, BuddyRequest

DEADLINE = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def alert(buddies=("bora", "cem"), escalation=30) -> Alert:
    return Alert(id="ayse:2026-12-01", member_id="ayse", day=date(2026, 12, 1), deadline=DEADLINE,
                 buddies=tuple(buddies), escalation_minutes=escalation)


def minutes(n: int) -> datetime:
    return DEADLINE + timedelta(minutes=n)


def run_steps(found: Alert, until: datetime, organisers=("olga", "otto")) -> list[tuple[datetime, list[str]]]:
    """What a timer running every minute until `until` would tell, and when."""
    told = []
    moment = DEADLINE
    while moment <= until:
        while domain.step_due(found, moment):
            told.append((moment, domain.take_step(found, organisers=organisers, now=moment)))
        moment += timedelta(minutes=1)
    return told


class TestEscalationOrder:
    def test_a_pending_alert_is_due_at_its_deadline_and_not_before(self):
        found = alert()

        assert not domain.step_due(found, minutes(-1))
        assert domain.step_due(found, minutes(0))

    def test_the_first_buddy_at_once_then_each_buddy_then_every_organiser(self):
        found = alert(escalation=30)

        assert run_steps(found, minutes(120)) == [
            (minutes(0), ["bora"]), (minutes(30), ["cem"]), (minutes(60), ["olga", "otto"])]
        assert found.alerted == ["bora", "cem", "olga", "otto"]
        assert found.status == domain.OPEN and domain.next_step_at(found) is None

    def test_raising_is_the_first_step_and_is_on_the_timeline(self):
        found = alert()
        domain.take_step(found, organisers=[], now=minutes(2))

        assert found.status == domain.OPEN and found.raised_at == minutes(2)
        assert [(e.step, e.who) for e in found.timeline] == [("raised", None), ("notified", "bora")]

    def test_a_late_timer_catches_up_on_every_step_that_is_due(self):
        found = alert(escalation=10)
        domain.take_step(found, organisers=["olga"], now=minutes(0))

        told = []
        while domain.step_due(found, minutes(45)):
            told.append(domain.take_step(found, organisers=["olga"], now=minutes(45)))

        assert told == [["cem"], ["olga"]]

    def test_one_buddy_then_the_organisers(self):
        found = alert(buddies=["bora"], escalation=15)

        assert run_steps(found, minutes(60), organisers=["olga"]) == [(minutes(0), ["bora"]), (minutes(15), ["olga"])]

    def test_organisers_already_told_as_buddies_and_the_resident_are_not_told_again(self):
        found = alert(buddies=["olga"], escalation=5)

        told = run_steps(found, minutes(30), organisers=["olga", "ayse", "otto"])

        assert told == [(minutes(0), ["olga"]), (minutes(5), ["otto"])]

    def test_acknowledging_stops_the_escalation(self):
        found = alert()
        domain.take_step(found, organisers=[], now=minutes(0))
        domain.acknowledge(found, actor_id="bora", now=minutes(5))

        assert domain.next_step_at(found) is None and not domain.step_due(found, minutes(500))
        with pytest.raises(domain.IllegalTransition):
            domain.take_step(found, organisers=[], now=minutes(30))


class TestAcknowledgeAndResolve:
    def raised(self) -> Alert:
        found = alert()
        domain.take_step(found, organisers=[], now=minutes(0))
        return found

    def test_only_someone_told_may_look_after_it(self):
        found = self.raised()

        with pytest.raises(domain.NotAllowed):
            domain.acknowledge(found, actor_id="cem", now=minutes(1))  # not told yet
        assert domain.acknowledge(found, actor_id="bora", now=minutes(1)) is True
        assert found.acknowledged_by == "bora"

    def test_saying_it_twice_is_harmless_but_a_second_person_is_told_someone_is_on_it(self):
        found = self.raised()
        domain.take_step(found, organisers=[], now=minutes(30))
        domain.acknowledge(found, actor_id="bora", now=minutes(31))

        assert domain.acknowledge(found, actor_id="bora", now=minutes(32)) is False
        with pytest.raises(domain.IllegalTransition) as refused:
            domain.acknowledge(found, actor_id="cem", now=minutes(33))
        assert refused.value.current_status == domain.ACKNOWLEDGED

    def test_someone_told_or_an_organiser_resolves_it_with_an_outcome(self):
        found = self.raised()

        with pytest.raises(domain.NotAllowed):
            domain.resolve(found, actor_id="dana", actor_is_organiser=False, outcome="fine", note=None, now=minutes(2))
        domain.resolve(found, actor_id="olga", actor_is_organiser=True, outcome="needed_help", note=" Sturz ",
                       now=minutes(2))

        assert (found.status, found.outcome, found.note, found.resolved_by) == (
            domain.RESOLVED, "needed_help", "Sturz", "olga")
        with pytest.raises(domain.IllegalTransition):
            domain.resolve(found, actor_id="bora", actor_is_organiser=False, outcome="fine", note=None,
                           now=minutes(3))

    def test_only_the_outcomes_of_the_contract_are_accepted(self):
        with pytest.raises(domain.InvalidSettings):
            domain.resolve(self.raised(), actor_id="bora", actor_is_organiser=False, outcome="checked_in",
                           note=None, now=minutes(2))

    def test_what_the_viewer_may_do(self):
        found = self.raised()

        assert domain.actions(found, viewer_id="bora", viewer_is_organiser=False) == ["acknowledge", "resolve"]
        assert domain.actions(found, viewer_id="olga", viewer_is_organiser=True) == ["resolve"]
        assert domain.actions(found, viewer_id="cem", viewer_is_organiser=False) == []

    def test_those_told_and_organisers_see_it_nobody_else(self):
        found = self.raised()

        domain.check_may_view(found, viewer_id="bora", viewer_is_organiser=False)
        domain.check_may_view(found, viewer_id="olga", viewer_is_organiser=True)
        with pytest.raises(domain.NotAllowed):
            domain.check_may_view(found, viewer_id="cem", viewer_is_organiser=False)


class TestCheckInSettlesAlerts:
    def test_a_check_in_before_anyone_was_told_cancels_it_quietly(self):
        found = alert()

        assert domain.settle_by_check_in(found, now=minutes(1)) is False
        assert found.status == domain.CANCELLED and not domain.may_view(found, viewer_id="olga",
                                                                         viewer_is_organiser=True)

    def test_a_late_check_in_resolves_a_raised_alert_and_everyone_told_hears_of_it(self):
        found = alert()
        domain.take_step(found, organisers=[], now=minutes(0))
        domain.acknowledge(found, actor_id="bora", now=minutes(3))

        assert domain.settle_by_check_in(found, now=minutes(5)) is True
        assert (found.status, found.outcome, found.resolved_by) == (domain.RESOLVED, domain.CHECKED_IN, "ayse")

    def test_a_resolved_alert_stays_as_it_is(self):
        found = alert()
        domain.take_step(found, organisers=[], now=minutes(0))
        domain.resolve(found, actor_id="bora", actor_is_organiser=False, outcome="fine", note=None, now=minutes(1))

        assert domain.settle_by_check_in(found, now=minutes(5)) is False
        assert found.outcome == "fine"

    def test_a_pending_alert_no_longer_needed_is_called_off(self):
        found = alert()
        domain.call_off(found, reason=domain.BEING_AWAY, now=minutes(0))

        assert found.status == domain.CANCELLED and found.outcome == domain.BEING_AWAY

    def test_a_resident_who_leaves_closes_their_alerts(self):
        found = alert()
        domain.take_step(found, organisers=[], now=minutes(0))

        assert domain.close_for_member_gone(found, now=minutes(1)) is True
        assert found.outcome == domain.MEMBER_LEFT and found.resolved_by == domain.SYSTEM


class TestBuddies:
    def test_only_accepted_and_active_buddies_count_in_the_residents_order(self):
        requests = [BuddyRequest("r1", "ayse", "cem", domain.ACCEPTED), BuddyRequest("r2", "ayse", "bora",
                                                                                    domain.ACCEPTED),
                    BuddyRequest("r3", "ayse", "dana", domain.ASKED), BuddyRequest("r4", "ayse", "emre",
                                                                                  domain.ACCEPTED)]

        assert domain.accepted_in_order(["bora", "dana", "cem", "emre"], requests, active=["bora", "cem", "dana"]) \
            == ["bora", "cem"]

    @pytest.mark.parametrize("buddies, enabled, problem", [
        ([], True, "at least one"),
        (["bora", "cem", "dana", "emre"], True, "at most 3"),
        (["ayse"], True, "your own buddy"),
        (["bora", "bora"], True, "each buddy once"),
        (["zora"], True, "Not an active member"),
    ])
    def test_one_to_three_known_neighbours_other_than_oneself(self, buddies, enabled, problem):
        with pytest.raises(domain.InvalidSettings) as refused:
            domain.check_buddies("ayse", buddies, enabled=enabled, neighbours=["bora", "cem", "dana", "emre"])
        assert any(problem in message for message in refused.value.errors["buddies"])

    def test_switched_off_needs_no_buddy(self):
        domain.check_buddies("ayse", [], enabled=False, neighbours=[])

    def test_only_the_neighbour_asked_answers_and_may_change_their_mind(self):
        request = BuddyRequest("r1", "ayse", "bora")

        with pytest.raises(domain.NotAllowed):
            domain.answer(request, actor_id="ayse", accept=True)
        assert domain.answer(request, actor_id="bora", accept=True) is True
        assert domain.answer(request, actor_id="bora", accept=True) is False
        assert domain.answer(request, actor_id="bora", accept=False) is True and request.status == domain.DECLINED

    def test_a_withdrawn_request_cannot_be_answered(self):
        with pytest.raises(domain.IllegalTransition):
            domain.answer(BuddyRequest("r1", "ayse", "bora", domain.WITHDRAWN), actor_id="bora", accept=True)
