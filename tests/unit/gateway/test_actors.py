"""The gateway's copy of who may act, and its fences, without a broker."""
import threading
from datetime import datetime, timezone

import pytest

from gateway.actors import ActorCopy, Actors, Fences, actor_from_profile
from services.common.errors import Unauthorized
from services.members import events
from services.members.commands import actor_view
from services.members.models import Member

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def member(**changes) -> Member:
    fields = dict(id="m-1", community_id="c-1", email="a@example.org", display_name="Ayşe", name_key="ayşe",
                  household="B 2.1", preferred_language="tr", languages=["tr", "de"], role="resident", active=True,
                  revision=3, created_at=NOW, updated_at=NOW, tokens_valid_after=NOW)
    return Member(**{**fields, **changes})


def updated(revision=3, **changes) -> dict:
    return events.member_updated(member(revision=revision, **changes), "Europe/Berlin", ["role"], NOW)


def test_the_actor_built_from_an_event_is_the_one_the_members_service_answers():
    stored = member()
    assert actor_from_profile(updated()) == actor_view(stored.to_mongo().to_dict(), "Europe/Berlin")


def test_a_newer_event_replaces_the_members_answer_and_an_older_one_does_not():
    copy = ActorCopy()
    copy.remember(actor_from_profile(updated(revision=3)), copy.generation)
    copy.apply(updated(revision=4, role="organiser"))
    assert copy.get("m-1")[1]["role"] == "organiser"
    copy.apply(updated(revision=3, role="resident"))  # a relay's late repeat
    copy.remember(actor_from_profile(updated(revision=2)), copy.generation)  # an answer asked before the change
    assert copy.get("m-1")[1]["role"] == "organiser"


@pytest.mark.parametrize("event", [
    events.member_deactivated(member(revision=4), "organiser", NOW),
    events.member_erased(member(revision=4), NOW),
    events.member_updated(member(revision=4, active=False), "Europe/Berlin", ["active"], NOW),
])
def test_a_member_who_left_may_not_act_even_if_an_older_answer_arrives_later(event):
    copy = ActorCopy()
    generation = copy.generation
    copy.apply(event)
    copy.remember(actor_from_profile(updated(revision=3)), generation)
    assert copy.get("m-1") == (4, None)


def test_an_answer_asked_before_the_copy_was_emptied_is_not_stored():
    copy = ActorCopy()
    generation = copy.generation
    copy.empty()
    copy.remember(actor_from_profile(updated()), generation)
    assert copy.get("m-1") is None


def test_a_full_copy_starts_afresh_rather_than_growing():
    copy = ActorCopy(max_entries=2)
    for number in range(3):
        copy.apply(events.member_erased(member(id=f"m-{number}", revision=2), NOW))
    assert copy.get("m-0") is None and copy.get("m-2") == (2, None)


def test_an_event_without_a_revision_empties_the_copy_and_refuses_answers_asked_before():
    copy = ActorCopy()
    copy.apply(updated(revision=3))
    generation = copy.generation
    event = events.member_deactivated(member(revision=4), "organiser", NOW)
    del event["payload"]["revision"]  # as a members service from before revisions sends it
    copy.apply(event)
    copy.remember(actor_from_profile(updated(revision=3)), generation)
    assert copy.get("m-1") is None


class LoopbackFences:
    """Fences whose messages come back when the test says so."""

    def __init__(self, timeout=5.0):
        self.sent = []
        self._sent = threading.Condition()
        self.fences = Fences(self._send, timeout)

    def _send(self, number):
        with self._sent:
            self.sent.append(number)
            self._sent.notify_all()

    def until_sent(self, count):
        with self._sent:
            assert self._sent.wait_for(lambda: len(self.sent) >= count, timeout=5)


def test_a_fence_sent_before_the_wait_began_does_not_count():
    loop = LoopbackFences(timeout=0.05)
    waiter = threading.Thread(target=loop.fences.wait)
    waiter.start()
    loop.until_sent(1)
    # Fence 1 is on its way; a request arriving now needs fence 2, sent once fence 1 is back.
    result = []
    second = threading.Thread(target=lambda: result.append(loop.fences.wait()))
    second.start()
    loop.fences.came_back(1)
    waiter.join()
    second.join()
    assert loop.sent == [1, 2] and result == [False]  # fence 2 never came back: the second request falls back


def test_requests_waiting_together_share_one_fence():
    loop = LoopbackFences()
    first = threading.Thread(target=loop.fences.wait)
    first.start()
    loop.until_sent(1)
    results = []
    waiters = [threading.Thread(target=lambda: results.append(loop.fences.wait())) for _ in range(5)]
    for waiter in waiters:
        waiter.start()
    loop.fences.came_back(1)
    first.join()
    loop.until_sent(2)
    loop.fences.came_back(2)
    for waiter in waiters:
        waiter.join()
    assert loop.sent == [1, 2] and results == [True] * 5


def test_fences_lost_with_the_connection_wake_their_waiters_who_fall_back():
    loop = LoopbackFences()
    results = []
    waiter = threading.Thread(target=lambda: results.append(loop.fences.wait()))
    waiter.start()
    loop.until_sent(1)
    loop.fences.lost()
    waiter.join()
    assert results == [False]
    assert not loop.fences.overdue()


def test_without_a_listener_every_request_asks_the_members_service():
    actors = Actors("memory://", listen=False)
    asked = []
    assert actors.actor("m-1", fetch=lambda: asked.append(1) or {"member_id": "m-1"}) == {"member_id": "m-1"}
    assert actors.actor("m-1", fetch=lambda: asked.append(1) or {"member_id": "m-1"}) == {"member_id": "m-1"}
    assert len(asked) == 2


def test_the_members_services_refusal_passes_through():
    def refuse():
        raise Unauthorized("Please log in again.")

    with pytest.raises(Unauthorized):
        Actors("memory://", listen=False).actor("m-1", fetch=refuse)
