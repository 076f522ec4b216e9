"""Idempotency keys: a repeat returns the first result, and a claim left by a dead process is taken over."""
from datetime import timedelta

import mongomock
import pytest

from services.common import idempotency
from services.common.clock import utcnow
from services.common.errors import Conflict
from services.common.idempotency import OWNER_LOST_AFTER, PROCESS, run_once
from services.common.mongo import Repository


class StoreOnly(Repository):
    """The shared repository on a store of its own (no MongoEngine connection needed)."""

    def __init__(self):
        self.db = mongomock.MongoClient().db


@pytest.fixture
def repo():
    return StoreOnly()


def left_running_by(repo, process, *, key="k", request=None, at=None):
    """The claim a worker of `process` made just before it was killed."""
    repo.db.idempotency_keys.insert_one({"_id": f"scope:{key}", "fingerprint": idempotency.fingerprint(request or {}),
                                         "state": "running", "at": at or utcnow(), "owner": process})


def test_a_repeat_returns_the_first_result_without_running_again(repo):
    runs = []
    first = run_once(repo, scope="scope", key="k", request={}, command=lambda: runs.append(1) or {"id": "b1"})
    again = run_once(repo, scope="scope", key="k", request={}, command=lambda: runs.append(2) or {"id": "b2"})
    assert first == again == {"id": "b1"} and runs == [1]


def test_a_claim_of_a_process_that_stopped_beating_is_taken_over_at_once(repo):
    repo.beat("killed", utcnow() - OWNER_LOST_AFTER - timedelta(seconds=1))
    left_running_by(repo, "killed")
    assert run_once(repo, scope="scope", key="k", request={}, command=lambda: "done") == "done"
    assert repo.db.idempotency_keys.find_one({"_id": "scope:k"})["state"] == "done"


def test_a_claim_of_a_process_never_seen_alive_is_taken_over(repo):
    left_running_by(repo, "a process from before the journal")
    assert run_once(repo, scope="scope", key="k", request={}, command=lambda: "done") == "done"


def test_a_claim_of_a_process_that_is_alive_is_left_alone(repo):
    repo.beat("alive", utcnow())
    left_running_by(repo, "alive")
    with pytest.raises(Conflict):
        run_once(repo, scope="scope", key="k", request={}, command=lambda: "twice")


def test_a_claim_of_this_very_process_is_left_alone_while_a_worker_runs_it(repo):
    def repeated_meanwhile():
        with pytest.raises(Conflict):
            run_once(repo, scope="scope", key="k", request={}, command=lambda: "twice")
        return "once"

    assert run_once(repo, scope="scope", key="k", request={}, command=repeated_meanwhile) == "once"


def test_a_claim_this_very_process_left_when_the_database_went_away_is_taken_over(repo):
    # Its worker could neither finish nor release it, and answered 503 a moment ago.
    left_running_by(repo, PROCESS, at=utcnow() - timedelta(seconds=3))
    assert run_once(repo, scope="scope", key="k", request={}, command=lambda: "done") == "done"
    assert repo.db.idempotency_keys.find_one({"_id": "scope:k"})["state"] == "done"


def test_only_one_of_two_callers_takes_over_an_abandoned_claim(repo):
    left_running_by(repo, "killed")
    earlier = repo.db.idempotency_keys.find_one({"_id": "scope:k"})
    assert repo.retake_idempotency_key(earlier, utcnow(), "first")
    assert not repo.retake_idempotency_key(earlier, utcnow(), "second")
