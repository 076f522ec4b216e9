"""The gateway's copy of who may act, fed by a real members service's events on the real RabbitMQ."""
import threading
from unittest import mock

import pytest

from gateway.actors import Actors
from services.common.errors import Unauthorized
from tests.integration.test_members_service import join, new_community


@pytest.fixture
def actors(service_config):
    actors = Actors(service_config["AMQP_URI"])
    listener = actors._started()
    assert listener.ready.wait(10), "the listener did not connect"
    yield actors
    actors.stop()
    listener.join(5)


def test_changes_answered_by_the_members_service_are_in_the_copy_at_once(call, actors):
    _, organiser = new_community(call)
    resident, _ = join(call, organiser, "r@example.org")
    asked = []

    def authenticate():
        asked.append(resident["member_id"])
        return call("authenticate", resident["member_id"])

    actors.copy.empty()  # as if the member had joined before this gateway process started
    assert actors.actor(resident["member_id"], authenticate)["role"] == "resident"
    assert actors.actor(resident["member_id"], authenticate)["role"] == "resident"
    assert len(asked) == 1  # the second time from the copy

    call("change_member", organiser, resident["member_id"], {"role": "organiser", "household": "C 1"})
    actor = actors.actor(resident["member_id"], authenticate)
    assert (actor["role"], actor["household"]) == ("organiser", "C 1")

    call("change_member", organiser, resident["member_id"], {"active": False})
    with pytest.raises(Unauthorized):
        actors.actor(resident["member_id"], authenticate)
    assert len(asked) == 1


def test_a_member_who_joined_while_the_gateway_listened_is_known_without_asking(call, actors):
    _, organiser = new_community(call)
    resident, profile = join(call, organiser, "new@example.org", display_name="Nesrin")

    def must_not_ask():
        raise AssertionError("the members service was asked")

    actor = actors.actor(resident["member_id"], must_not_ask)
    assert actor == {**call("authenticate", resident["member_id"])}
    assert actor["display_name"] == "Nesrin"


def test_a_request_right_after_a_deactivation_waits_for_the_event_even_if_the_listener_lags(call, actors):
    """The race a copy fed by events invites: the organiser has the 200, the member's next request arrives
    before this process has applied the event. Here the listener is held until the request's fence is sent."""
    _, organiser = new_community(call)
    resident, _ = join(call, organiser, "lagging@example.org")
    assert actors.actor(resident["member_id"], lambda: None)["member_id"] == resident["member_id"]

    listener = actors._listener
    fence_sent = threading.Event()
    apply, send_fence = actors.copy.apply, listener.fences._send

    def apply_when_the_fence_is_out(event):
        assert fence_sent.wait(10)
        apply(event)

    def send(number):
        fence_sent.set()
        send_fence(number)

    with mock.patch.object(actors.copy, "apply", apply_when_the_fence_is_out), \
            mock.patch.object(listener.fences, "_send", send):
        call("change_member", organiser, resident["member_id"], {"active": False})
        with pytest.raises(Unauthorized):
            actors.actor(resident["member_id"], lambda: None)
