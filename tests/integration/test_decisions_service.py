"""The decisions service in real Nameko containers on the real RabbitMQ, with a clock the test sets: two instances
closing the same decision publish one `decision.closed`, and votes racing the close are each either counted or
refused with 409, never lost."""
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from nameko.events import event_handler
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, replace_dependencies

from services.common.clock import isoformat_z
from services.common.errors import Conflict
from services.common.events import new_event
from services.decisions.models import Decision
from services.decisions.service import DecisionsService

COMMUNITY = "c-altona"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
VOTERS = [f"m{number:03d}" for number in range(120)]


def person(member_id, role="resident"):
    return {"member_id": member_id, "community_id": COMMUNITY, "role": role, "display_name": member_id.upper(),
            "timezone": "Europe/Berlin", "preferred_language": "de"}


OLGA = person("olga", "organiser")


class SetClock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


class DecisionRecorder:
    name = "decision_recorder"
    heard: list = []

    @event_handler("decisions", "decision.opened")
    def decision_opened(self, event):
        self.heard.append(event)

    @event_handler("decisions", "decision.closed")
    def decision_closed(self, event):
        self.heard.append(event)


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def succeeded(worker_ctx, result, exc_info):
    return exc_info is None


@pytest.fixture
def config(service_config):
    return {**service_config, "DECISIONS_TIMER_SECONDS": 3600}  # the test runs the timer itself


@pytest.fixture
def clock():
    return SetClock(NOW)


@pytest.fixture
def recorder(container_factory, config):
    DecisionRecorder.heard = []
    container = container_factory(DecisionRecorder, {**config, "max_workers": 1})
    container.start()
    return container


def start(container_factory, config, clock):
    container = container_factory(DecisionsService, config)
    replace_dependencies(container, clock=clock)
    container.start()
    return container


@pytest.fixture
def first(container_factory, config, clock, recorder):
    return start(container_factory, config, clock)


@pytest.fixture
def second(container_factory, config, clock, first):
    return start(container_factory, config, clock)


@pytest.fixture
def house(first, config):
    """Olga the organiser and 120 residents, known to the first instance (started before the second, so that
    it handles every member.joined)."""
    dispatch = event_dispatcher(config)
    for member_id in ["olga", *VOTERS]:
        role = "organiser" if member_id == "olga" else "resident"
        event = new_event("member.joined", community_id=COMMUNITY, occurred_at=NOW, payload={
            "member_id": member_id, "display_name": member_id.upper(), "role": role, "household": "B2",
            "preferred_language": "de", "languages": ["de"], "phone": "040 1", "active": True})
        with entrypoint_waiter(first, "member_joined",
                               callback=lambda ctx, result, exc, e=event: exc is None and ctx.args[0] == e):
            dispatch("members", "member.joined", event)


def all_closed(recorder, config, decision_id) -> list[dict]:
    """Every decision.closed of this decision published so far: a marker sent after them through the same queue
    arrives last."""
    marker = new_event("decision.closed", community_id="marker", occurred_at=NOW, payload={})
    with entrypoint_waiter(recorder, "decision_closed",
                           callback=lambda ctx, result, exc: ctx.args[0]["event_id"] == marker["event_id"],
                           timeout=20):
        event_dispatcher(config)("decisions", "decision.closed", marker)
    return [e for e in DecisionRecorder.heard
            if e["type"] == "decision.closed" and e["payload"].get("decision_id") == decision_id]


def open_poll(container, **extra):
    return call(container, "open_decision", OLGA, {
        "title": "Farbe", "body": "Welche Farbe?", "kind": "poll", "options": ["Gelb", "Blau", "Grün"],
        "closes_at": isoformat_z(NOW + timedelta(days=1)), **extra})


def test_two_instances_closing_at_the_same_moment_publish_one_decision_closed(first, house, second, recorder, clock,
                                                                               config):
    poll = open_poll(first)
    call(first, "vote", person(VOTERS[1]), poll["id"], {"options": [2]})
    clock.now = NOW + timedelta(days=1)
    with entrypoint_waiter(recorder, "decision_closed", callback=succeeded):
        # One run per instance at a time: nameko's entrypoint_hook answers the first worker of the entrypoint to
        # finish, so two runs on one container could each be told the other's result.
        runs = [eventlet.spawn(call, container, "watch") for container in (first, second)]
        results = [run.wait() for run in runs]
    assert sum(run["closed"] for run in results) == 1, results
    (closed,) = all_closed(recorder, config, poll["id"])
    assert closed["payload"]["results"]["by_option"] == {"0": 0, "1": 0, "2": 1}
    assert [run["closed"] for run in (call(first, "watch"), call(second, "watch"))] == [0, 0]
    with pytest.raises(Conflict):
        call(second, "vote", person(VOTERS[2]), poll["id"], {"options": [0]})


@pytest.mark.parametrize("secret", [False, True], ids=["open", "secret"])
def test_votes_racing_the_close_are_each_counted_or_refused_never_lost(first, house, second, recorder, config,
                                                                        secret):
    """120 votes sent at once through the broker to two instances, with the close sent in the middle of them:
    every vote answered as counted is in the result, every other one was refused with 409."""
    poll = open_poll(first, secret=secret)
    outcomes = {}

    def settle(member_id, number, reply):
        try:
            reply.result()
            outcomes[member_id] = ("counted", number % 3)
        except Conflict:
            outcomes[member_id] = ("refused", None)

    with ClusterRpcProxy(config) as rpc, entrypoint_waiter(recorder, "decision_closed", callback=succeeded,
                                                           timeout=30):
        vote = rpc.decisions.vote.call_async
        early = [(m, n, vote(person(m), poll["id"], {"options": [n % 3]})) for n, m in enumerate(VOTERS[:20])]
        closing = rpc.decisions.close.call_async(OLGA, poll["id"])
        for settled in early:
            settle(*settled)
        # The rest in waves of five while the close is under way: between waves the close can write, after it
        # the waves are refused.
        for start in range(20, len(VOTERS) - 5, 5):
            wave = [(m, n, vote(person(m), poll["id"], {"options": [n % 3]}))
                    for n, m in enumerate(VOTERS[start:start + 5], start=start)]
            for settled in wave:
                settle(*settled)
        closed = closing.result()
        # However the close fell among the waves (under load it may win only once they stop), the last votes come
        # after it has answered: each is refused.
        late = [(m, n, vote(person(m), poll["id"], {"options": [n % 3]}))
                for n, m in enumerate(VOTERS[-5:], start=len(VOTERS) - 5)]
        for settled in late:
            settle(*settled)
        assert [outcomes[m][0] for m, _, _ in late] == ["refused"] * 5
    counted = [choice for outcome, choice in outcomes.values() if outcome == "counted"]
    refused = [member_id for member_id, (outcome, _) in outcomes.items() if outcome == "refused"]
    expected = {str(option): counted.count(option) for option in range(3)}
    assert closed["results"]["votes"] == len(counted) and closed["results"]["by_option"] == expected
    (event,) = all_closed(recorder, config, poll["id"])
    assert event["payload"]["results"]["by_option"] == expected
    stored = Decision._get_collection().find_one({"_id": poll["id"]})
    voted = set(stored["voters"]) if secret else set(stored["ballots"])
    assert voted == {member_id for member_id, (outcome, _) in outcomes.items() if outcome == "counted"}
    print(f"{len(counted)} votes counted, {len(refused)} refused after the close")
