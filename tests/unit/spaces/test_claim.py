"""The claim in the week ledgers, on the real spaces repository over the in-memory store: two bookings that would
overlap always meet in a ledger they both must change, and the second change fails.

The races are forced, not hoped for: the second booking is made in full while the first has read the ledgers
and not yet claimed, in both orders, for the weeks the bookings themselves claim (the household quota's guard
weeks have tests of their own in test_quota_at_the_same_moment.py).
"""
from datetime import datetime, timedelta, timezone

import pytest

from services.common.clock import as_utc
from services.common.errors import Conflict, NotFound
from services.spaces import commands
from services.spaces.domain import WEEK, utc_weeks
from services.spaces.models import Booking, Space, WeekLedger
from services.spaces.repository import Ledgers
from tests.unit.spaces.conftest import work

UTC = timezone.utc
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
SUNDAY_EVENING = datetime(2026, 6, 7, 22, 0, tzinfo=UTC)  # the UTC week of 1 June ends at midnight
BUFFER = timedelta(minutes=30)


def organiser() -> dict:
    return {"member_id": "olga", "community_id": "community", "role": "organiser", "timezone": "Europe/Berlin",
            "display_name": "Olga"}


def resident(number: int) -> dict:
    return {"member_id": f"member-{number}", "community_id": "community", "role": "resident",
            "timezone": "Europe/Berlin", "household": f"Haus {number}", "display_name": f"Resident {number}"}


def room(repo, name="Gästewohnung") -> Space:
    """Open around the clock, no quota: only the claim keeps two bookings apart."""
    space_id = commands.create_space(work(repo), organiser(), {
        "name": name, "capacity": 4,
        "rules": {"open_from": "00:00", "open_until": "00:00", "slot_minutes": 30, "min_duration_minutes": 30,
                  "max_duration_minutes": 240, "max_days_ahead": 60, "buffer_minutes": 30}}, NOW)["id"]
    return repo.space("community", space_id)


def claim(repo, space: Space, booking_id: str, start: datetime, end: datetime, *, ledgers=None) -> bool:
    ledgers = ledgers or repo.ledgers(space.id, start - timedelta(hours=4), end + BUFFER)
    return repo.claim(space, ledgers, booking_id=booking_id, start=start, end=end, blocked_end=end + BUFFER,
                      member_id="member-1", household="Haus 1", now=NOW)


def claimed_ids(repo, space: Space, start: datetime, end: datetime) -> list[str]:
    return [c["booking_id"] for c in repo.ledgers(space.id, start, end).live_claims()]


def request(space_id: str, start: datetime, hours: int = 2) -> dict:
    return {"space_id": space_id, "start": start.isoformat(), "end": (start + timedelta(hours=hours)).isoformat(),
            "purpose": "Besuch"}


# -- the claim itself ----------------------------------------------------------------------------------------------
def test_a_claim_across_a_week_boundary_holds_the_time_in_both_weeks_once_with_who_and_when(repo):
    space = room(repo)
    start, end = SUNDAY_EVENING, SUNDAY_EVENING + timedelta(hours=3)
    assert claim(repo, space, "b1", start, end)
    for week in utc_weeks(start, end):  # each week read alone holds it
        assert claimed_ids(repo, space, week, week + timedelta(hours=1)) == ["b1"]
    [held] = repo.ledgers(space.id, start, end).live_claims()
    assert (held["start"], held["end"], held["member_id"], held["household"], held["claimed_at"]) == (
        start, end, "member-1", "Haus 1", NOW)


def test_the_ledgers_of_a_space_hold_only_its_own_claims(repo):
    space, other = room(repo), room(repo, name="Werkstatt")
    assert claim(repo, other, "elsewhere", SUNDAY_EVENING, SUNDAY_EVENING + timedelta(hours=1))
    assert claimed_ids(repo, space, SUNDAY_EVENING - timedelta(days=7), SUNDAY_EVENING + timedelta(days=7)) == []


def test_a_claim_on_ledgers_read_before_another_claim_changed_them_fails_and_takes_back_what_it_added(repo):
    space = room(repo)
    start, end = SUNDAY_EVENING, SUNDAY_EVENING + timedelta(hours=3)  # touches two UTC weeks
    first_week, second_week = utc_weeks(start, end + BUFFER)
    stale = repo.ledgers(space.id, start - timedelta(hours=4), end + BUFFER)
    later = second_week + timedelta(days=2)
    assert claim(repo, space, "meanwhile", later, later + timedelta(hours=1))  # changes only the second week

    assert not claim(repo, space, "b1", start, end, ledgers=stale)
    assert claimed_ids(repo, space, first_week, first_week + timedelta(hours=1)) == []  # taken back
    assert claimed_ids(repo, space, second_week, second_week + timedelta(days=7)) == ["meanwhile"]
    assert claim(repo, space, "b1", start, end)  # read again, it goes through


def test_a_claim_on_a_week_another_booking_created_meanwhile_fails(repo):
    space = room(repo)
    stale = repo.ledgers(space.id, SUNDAY_EVENING - timedelta(hours=4), SUNDAY_EVENING + timedelta(hours=2))
    assert claim(repo, space, "first", SUNDAY_EVENING - timedelta(hours=3), SUNDAY_EVENING - timedelta(hours=2))
    assert not claim(repo, space, "second", SUNDAY_EVENING, SUNDAY_EVENING + timedelta(hours=1), ledgers=stale)
    assert claimed_ids(repo, space, SUNDAY_EVENING - timedelta(hours=4), SUNDAY_EVENING) == ["first"]


def test_releasing_a_booking_frees_its_time_in_every_week_and_only_its_own(repo):
    space = room(repo)
    start, end = SUNDAY_EVENING, SUNDAY_EVENING + timedelta(hours=3)
    assert claim(repo, space, "b1", start, end)
    assert claim(repo, space, "b2", start - timedelta(hours=4), start - timedelta(hours=3))
    repo.release(space.id, "b1")
    assert claimed_ids(repo, space, start - timedelta(days=1), end + timedelta(days=1)) == ["b2"]
    assert claim(repo, space, "b3", start, end)  # the freed time can be booked again


def test_releasing_some_weeks_leaves_the_others(repo):
    space = room(repo)
    start, end = SUNDAY_EVENING, SUNDAY_EVENING + timedelta(hours=3)
    first_week, second_week = utc_weeks(start, end)
    assert claim(repo, space, "b1", start, end)
    repo.release(space.id, "b1", weeks=[])
    repo.release(space.id, "b1", weeks=[second_week])
    assert claimed_ids(repo, space, first_week, first_week + timedelta(hours=1)) == ["b1"]
    assert claimed_ids(repo, space, second_week, second_week + timedelta(hours=1)) == []


def test_a_claim_whose_booking_was_never_stored_is_found_and_its_weeks_are_forgotten_once_over(repo):
    space = room(repo)
    assert claim(repo, space, "died-before-storing", SUNDAY_EVENING, SUNDAY_EVENING + timedelta(hours=3))
    assert repo.orphaned_claims(NOW) == []  # claimed at NOW: not yet
    assert repo.orphaned_claims(NOW + timedelta(minutes=2)) == [(space.id, "died-before-storing")]
    first_week, second_week = utc_weeks(SUNDAY_EVENING, SUNDAY_EVENING + timedelta(hours=3))
    repo.forget_ledgers_before(second_week)  # the first week is over at the moment the second begins
    assert claimed_ids(repo, space, first_week, first_week + timedelta(hours=1)) == ["died-before-storing"]
    repo.forget_ledgers_before(second_week + timedelta(seconds=1))
    assert claimed_ids(repo, space, first_week, first_week + timedelta(hours=1)) == []
    assert claimed_ids(repo, space, second_week, second_week + timedelta(hours=1)) == ["died-before-storing"]


def test_a_week_the_read_did_not_cover_is_claimed_only_if_nobody_has_claimed_it_yet(repo):
    space = room(repo)
    start, end = SUNDAY_EVENING + timedelta(days=1), SUNDAY_EVENING + timedelta(days=1, hours=1)
    nothing_read = Ledgers(space.id, {}, [])
    assert repo.claim(space, nothing_read, booking_id="b1", start=start, end=end, blocked_end=end + BUFFER,
                      member_id="member-1", household="Haus 1", now=NOW)
    later = end + timedelta(hours=2)
    assert not repo.claim(space, nothing_read, booking_id="b2", start=later, end=later + timedelta(hours=1),
                          blocked_end=later + timedelta(hours=1) + BUFFER, member_id="member-2", household="Haus 2",
                          now=NOW)
    assert claimed_ids(repo, space, start, later + timedelta(hours=1)) == ["b1"]


def test_a_week_ledger_is_stored_as_the_week_of_its_space_in_its_community(repo):
    space = room(repo)
    assert claim(repo, space, "b1", SUNDAY_EVENING, SUNDAY_EVENING + timedelta(hours=3))
    first_week, second_week = utc_weeks(SUNDAY_EVENING, SUNDAY_EVENING + timedelta(hours=3))
    assert sorted((ledger.community_id, ledger.space_id, as_utc(ledger.week_start), as_utc(ledger.week_end))
                  for ledger in WeekLedger.objects(community_id="community")) == [
        ("community", space.id, first_week, second_week), ("community", space.id, second_week, second_week + WEEK)]


@pytest.mark.parametrize("wrong_id", [{"$ne": None}, {"$gt": ""}, ["x"], None, 7])
def test_an_id_that_is_no_text_finds_no_room_and_no_booking(repo, wrong_id):
    space = room(repo)
    booked = commands.book(work(repo), resident(1), request(space.id, SUNDAY_EVENING), NOW)
    with pytest.raises(NotFound) as no_room:
        commands.get_space(work(repo), resident(1), wrong_id)
    with pytest.raises(NotFound) as no_booking:
        commands.cancel(work(repo), resident(1), wrong_id, whole_series=False, now=NOW)
    assert no_room.value.detail == "There is no such room in your community."
    assert no_booking.value.detail == "There is no such booking in your community."
    assert Booking.objects.get(id=booked["id"]).status == "confirmed"


# -- two bookings at the same moment --------------------------------------------------------------------------------
@pytest.mark.parametrize("first, second", [
    (SUNDAY_EVENING, SUNDAY_EVENING),  # the same slot, across the week boundary
    (SUNDAY_EVENING, SUNDAY_EVENING + timedelta(hours=2)),  # overlapping in the next week only
    (SUNDAY_EVENING + timedelta(hours=2), SUNDAY_EVENING),
    (SUNDAY_EVENING - timedelta(hours=1), SUNDAY_EVENING - timedelta(hours=2)),  # in one week, within the buffer
])
def test_a_booking_made_while_another_is_claiming_an_overlapping_time_wins_and_the_other_is_refused(
        repo, monkeypatch, first, second):
    space = room(repo)
    real_claim, interleaved = repo.claim, {}

    def claim_after_the_other_booking(*args, **kwargs):
        if not interleaved:  # the first booking has read the ledgers; now the second one is made in full
            interleaved["started"] = True
            interleaved["booking"] = commands.book(work(repo), resident(2), request(space.id, second), NOW)
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(repo, "claim", claim_after_the_other_booking)
    with pytest.raises(Conflict) as refused:
        commands.book(work(repo), resident(1), request(space.id, first), NOW)

    assert [hit["id"] for hit in refused.value.extra["conflicts"]] == [interleaved["booking"]["id"]]
    assert [(b.member_id, b.status) for b in Booking.objects()] == [("member-2", "confirmed")]
