"""Two bookings of one household at the same moment cannot together pass the household's weekly quota.

The ledgers are UTC weeks; a household's quota week is a local one (Monday 00:00 in Berlin is Sunday 22:00 or
23:00 UTC), so two bookings of one quota week may claim time in two different ledgers. Each must still notice
the other: here the second booking is made while the first one is between reading the ledgers and claiming.
"""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import RuleBroken
from services.common.unit_of_work import UnitOfWork
from services.spaces import commands
from services.spaces.models import Booking
from services.spaces.repository import SpacesRepository
from tests.support import memory_store
from tests.unit.spaces.examples import berlin

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
QUOTA = 90  # minutes per household and week: one booking of an hour fits, two do not


class Outbox:
    def send_after_reply(self, *documents):
        for document in documents:
            document.outbox = []


def work(repo) -> UnitOfWork:
    """A request's unit of work on the shared store: each booking below is a request of its own."""
    return UnitOfWork(repo, Outbox())


@pytest.fixture
def repo():
    memory_store.connect("spaces", f"quota_{uuid.uuid4().hex[:8]}")
    for document in SpacesRepository.documents:
        document.ensure_indexes()
    yield SpacesRepository()
    memory_store.disconnect("spaces")


def resident(number: int) -> dict:
    return {"member_id": f"member-{number}", "community_id": "community", "role": "resident",
            "timezone": "Europe/Berlin", "household": "Haus 7", "display_name": f"Resident {number}"}


def room(repo) -> str:
    organiser = {**resident(0), "role": "organiser"}
    return commands.create_space(work(repo), organiser, {
        "name": "Gästewohnung", "capacity": 4,
        "rules": {"open_from": "00:00", "open_until": "00:00", "slot_minutes": 30, "min_duration_minutes": 30,
                  "max_duration_minutes": 120, "max_days_ahead": 60, "household_quota_minutes_per_week": QUOTA}},
        NOW)["id"]


def request(space_id: str, start: datetime) -> dict:
    return {"space_id": space_id, "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat(),
            "purpose": "Besuch"}


@pytest.mark.parametrize("first, second", [
    (berlin(2026, 6, 8, 0, 30), berlin(2026, 6, 10, 10)),  # Monday 00:30 in Berlin is still the UTC week before
    (berlin(2026, 6, 10, 10), berlin(2026, 6, 8, 0, 30)),
])
def test_a_booking_made_while_another_is_claiming_is_counted(repo, monkeypatch, first, second):
    space_id = room(repo)
    claim, interleaved = repo.claim, {}

    def claim_after_the_other_booking(*args, **kwargs):
        if not interleaved:  # the first booking has read the ledgers; now the second one is made in full
            interleaved["started"] = True
            interleaved["booking"] = commands.book(work(repo), resident(2), request(space_id, second), NOW)
        return claim(*args, **kwargs)

    monkeypatch.setattr(repo, "claim", claim_after_the_other_booking)
    with pytest.raises(RuleBroken) as refused:
        commands.book(work(repo), resident(1), request(space_id, first), NOW)

    assert refused.value.extra["rule"] == "household_quota"
    assert interleaved["booking"]["status"] == "confirmed"
    assert [b.start for b in Booking.objects(status="confirmed")] == [second]


def test_bookings_of_the_household_in_different_weeks_both_fit(repo):
    space_id = room(repo)
    commands.book(work(repo), resident(1), request(space_id, berlin(2026, 6, 8, 0, 30)), NOW)
    commands.book(work(repo), resident(2), request(space_id, berlin(2026, 6, 7, 22)), NOW)  # Sunday: last week
    assert Booking.objects(status="confirmed").count() == 2
