"""Two bookings made at the same moment: the interleaving that decides a race, forced rather than hoped for.

In each test a second booking is made in full while the first one is between reading the space's week
ledgers and claiming its time in them (the moment two service processes really meet), in both orders. The
first booking's claim must then fail on the version it read, read again and find the second booking:
- two bookings whose times clash (the same slot, overlapping, within the cleaning buffer, across the UTC week
  boundary) are never both stored: this holds only while the claim of the booked weeks is conditional on
  their version;
- two bookings of one household cannot together pass the household's weekly quota. The ledgers are UTC
  weeks; a household's quota week is a local one (Monday 00:00 in Berlin is Sunday 22:00 or 23:00 UTC), so two
  bookings of one quota week may claim time in two different ledgers, and each must still notice the other.
"""
from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import Conflict, RuleBroken
from services.spaces import commands
from services.spaces.models import Booking
from tests.unit.spaces.conftest import work
from tests.unit.spaces.examples import berlin

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
QUOTA = 90  # minutes per household and week: one booking of an hour fits, two do not


def resident(number: int) -> dict:
    return {"member_id": f"member-{number}", "community_id": "community", "role": "resident",
            "timezone": "Europe/Berlin", "household": "Haus 7", "display_name": f"Resident {number}"}


def room(repo, **rules) -> str:
    organiser = {**resident(0), "role": "organiser"}
    return commands.create_space(work(repo), organiser, {
        "name": "Gästewohnung", "capacity": 4,
        "rules": {"open_from": "00:00", "open_until": "00:00", "slot_minutes": 30, "min_duration_minutes": 30,
                  "max_duration_minutes": 120, "max_days_ahead": 60, **rules}}, NOW)["id"]


def request(space_id: str, start: datetime, end: datetime | None = None) -> dict:
    return {"space_id": space_id, "start": start.isoformat(),
            "end": (end or start + timedelta(hours=1)).isoformat(), "purpose": "Besuch"}


def made_while_claiming(repo, monkeypatch, booking: dict, actor: dict) -> dict:
    """Make `booking` in full the moment the next booking has read the ledgers and is about to claim; what it
    was answered is filled in then."""
    claim, interleaved = repo.claim, {}

    def claim_after_the_other_booking(*args, **kwargs):
        if not interleaved:
            interleaved["started"] = True  # before: the other booking's own claim comes through here too
            interleaved.update(commands.book(work(repo), actor, booking, NOW))
        return claim(*args, **kwargs)

    monkeypatch.setattr(repo, "claim", claim_after_the_other_booking)
    return interleaved


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=timezone.utc)


WEDNESDAY, SUNDAY, MONDAY = 10, 14, 15  # June 2026; the UTC week of the ledgers turns between 14 and 15
CLASHING = {  # (first, second): the second is made while the first is claiming
    "the same slot": ((utc(WEDNESDAY, 10), utc(WEDNESDAY, 11)), (utc(WEDNESDAY, 10), utc(WEDNESDAY, 11))),
    "overlapping, the later first": ((utc(WEDNESDAY, 10, 30), utc(WEDNESDAY, 11, 30)),
                                     (utc(WEDNESDAY, 10), utc(WEDNESDAY, 11))),
    "overlapping, the earlier first": ((utc(WEDNESDAY, 10), utc(WEDNESDAY, 11)),
                                       (utc(WEDNESDAY, 10, 30), utc(WEDNESDAY, 11, 30))),
    "within the cleaning time, the later first": ((utc(WEDNESDAY, 11), utc(WEDNESDAY, 12)),
                                                  (utc(WEDNESDAY, 10), utc(WEDNESDAY, 11))),
    "within the cleaning time, the earlier first": ((utc(WEDNESDAY, 10), utc(WEDNESDAY, 11)),
                                                    (utc(WEDNESDAY, 11), utc(WEDNESDAY, 12))),
    "across the week boundary, the longer first": ((utc(SUNDAY, 23), utc(MONDAY, 1)),
                                                   (utc(MONDAY, 0), utc(MONDAY, 1))),
    "across the week boundary, the shorter first": ((utc(MONDAY, 0), utc(MONDAY, 1)),
                                                    (utc(SUNDAY, 23), utc(MONDAY, 1))),
}


@pytest.mark.parametrize("first, second", CLASHING.values(), ids=CLASHING.keys())
def test_a_clashing_booking_made_while_another_is_claiming_stops_the_other(repo, monkeypatch, first, second):
    space_id = room(repo, buffer_minutes=30)
    interleaved = made_while_claiming(repo, monkeypatch, request(space_id, *second), resident(2))

    with pytest.raises(Conflict) as refused:
        commands.book(work(repo), resident(1), request(space_id, *first), NOW)

    assert interleaved["status"] == "confirmed"
    assert [clash["id"] for clash in refused.value.extra["conflicts"]] == [interleaved["id"]]
    assert [(b.id, b.start) for b in Booking.objects(status__in=["confirmed", "pending"])] == \
        [(interleaved["id"], second[0])]
    assert [claim["booking_id"] for claim in repo.ledgers(space_id, first[0], first[1]).live_claims()] == \
        [interleaved["id"]]  # the refused booking took back what it had claimed


@pytest.mark.parametrize("first, second", [
    (berlin(2026, 6, 8, 0, 30), berlin(2026, 6, 10, 10)),  # Monday 00:30 in Berlin is still the UTC week before
    (berlin(2026, 6, 10, 10), berlin(2026, 6, 8, 0, 30)),
])
def test_a_booking_of_the_household_made_while_another_is_claiming_is_counted(repo, monkeypatch, first, second):
    space_id = room(repo, household_quota_minutes_per_week=QUOTA)
    interleaved = made_while_claiming(repo, monkeypatch, request(space_id, second), resident(2))

    with pytest.raises(RuleBroken) as refused:
        commands.book(work(repo), resident(1), request(space_id, first), NOW)

    assert refused.value.extra["rule"] == "household_quota"
    assert interleaved["status"] == "confirmed"
    assert [b.start for b in Booking.objects(status="confirmed")] == [second]


def test_bookings_of_the_household_in_different_weeks_both_fit(repo):
    space_id = room(repo, household_quota_minutes_per_week=QUOTA)
    commands.book(work(repo), resident(1), request(space_id, berlin(2026, 6, 8, 0, 30)), NOW)
    commands.book(work(repo), resident(2), request(space_id, berlin(2026, 6, 7, 22)), NOW)  # Sunday: last week
    assert Booking.objects(status="confirmed").count() == 2
