"""The rules of sign-ups: places with guests, roles that fill separately, the waiting list's order, and who moves up
when someone leaves (the first in line who fits, even when the one before them brings too many guests)."""
from datetime import datetime, timedelta, timezone

import pytest

from services.activities import domain

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)


def signup(member_id, status, guests=0, role=None):
    return {"m": member_id, "status": status, "guests": guests, "role": role}


C, W = domain.CONFIRMED, domain.WAITLISTED


def test_a_person_takes_a_place_and_each_guest_one_more_but_a_role_fills_separately():
    assert domain.places_of(0, None) == 1
    assert domain.places_of(2, None) == 3
    assert domain.places_of(0, "r0") == 0  # the cook takes a slot of the role, not a place
    assert domain.places_of(1, "r0") == 1  # their guest does take a place


def test_places_fit_up_to_the_capacity_and_without_one_always():
    assert domain.fits(3, 7, 10) and not domain.fits(4, 7, 10)
    assert domain.fits(500, 10_000, None)


def test_counts_are_of_confirmed_places_and_roles():
    signups = [signup("a", C, 2), signup("b", C, 0, "r0"), signup("c", C, 1, "r0"), signup("d", W, 0)]
    counts = domain.counts(signups)
    assert (counts.places_taken, counts.confirmed, counts.waitlisted) == (3 + 0 + 1, 3, 1)
    assert counts.role_taken == {"r0": 2}


def test_the_waiting_list_keeps_the_order_of_sign_up():
    signups = [signup("a", C), signup("b", W), signup("c", W), signup("d", W)]
    assert [domain.position(signups, m) for m in "abcd"] == [None, 1, 2, 3]
    assert domain.position(signups, "nobody") is None


def test_leaving_moves_up_the_first_in_line():
    signups = [signup("a", C), signup("b", C), signup("c", W), signup("d", W)]
    mine, left, promoted = domain.leave(signups, "a", capacity=2)
    assert mine["m"] == "a"
    assert [s["m"] for s in promoted] == ["c"]
    assert [(s["m"], s["status"]) for s in left] == [("b", C), ("c", C), ("d", W)]
    assert signups[2]["status"] == W  # what was read is left as it was: the write is conditional on it


def test_when_the_first_in_line_brings_too_many_guests_the_next_who_fits_moves_up_and_the_first_keeps_the_place_in_line():
    signups = [signup("a", C, 1), signup("b", C), signup("c", W, 3), signup("d", W, 0), signup("e", W, 1)]
    _, left, promoted = domain.leave(signups, "a", capacity=3)  # two places free: c needs four
    assert [s["m"] for s in promoted] == ["d"]
    assert [(s["m"], s["status"]) for s in left] == [("b", C), ("c", W), ("d", C), ("e", W)]
    assert domain.position(left, "c") == 1  # still first in line
    # Once there is room for all four, c moves up before e.
    _, left, promoted = domain.leave(left, "b", capacity=5)
    assert [s["m"] for s in promoted] == ["c"]


def test_leaving_frees_as_many_places_as_were_taken_and_everyone_who_fits_moves_up_in_order():
    signups = [signup("a", C, 3), signup("b", W), signup("c", W, 1), signup("d", W)]
    _, left, promoted = domain.leave(signups, "a", capacity=4)
    assert [s["m"] for s in promoted] == ["b", "c", "d"]
    assert domain.counts(left).places_taken == 4


def test_somebody_not_signed_up_cannot_leave():
    with pytest.raises(domain.NotSignedUp):
        domain.leave([signup("a", C)], "b", capacity=1)


def test_roles_are_found_by_name_and_an_unknown_one_is_refused():
    roles = [{"key": "r0", "name": "Kochen", "needed": 2}, {"key": "r1", "name": "Aufräumen", "needed": 2}]
    assert domain.role_key(roles, " kochen ") == "r0"
    assert domain.role_key(roles, None) is None
    with pytest.raises(domain.InvalidSignup) as invalid:
        domain.role_key(roles, "Singen")
    assert "role" in invalid.value.errors


def test_guests_are_bounded_by_the_activity():
    domain.check_guests(2, 2)
    with pytest.raises(domain.InvalidSignup):
        domain.check_guests(3, 2)


def test_sign_ups_close_at_signup_until_or_when_it_starts_and_when_cancelled():
    starts = NOW + timedelta(days=2)
    domain.check_may_sign_up(status="open", starts_at=starts, signup_until=None, now=NOW)
    with pytest.raises(domain.SignupsClosed):
        domain.check_may_sign_up(status="open", starts_at=starts, signup_until=NOW, now=NOW)
    with pytest.raises(domain.SignupsClosed):
        domain.check_may_sign_up(status="open", starts_at=NOW, signup_until=None, now=NOW)
    with pytest.raises(domain.SignupsClosed):
        domain.check_may_sign_up(status="cancelled", starts_at=starts, signup_until=None, now=NOW)


def test_participants_and_organisers_see_who_comes_others_only_counts():
    signups = [signup("a", C), signup("b", W)]
    see = lambda viewer, role="resident": domain.may_see_participants(  # noqa: E731
        signups=signups, viewer_id=viewer, viewer_role=role, created_by="z")
    assert see("a") and see("b") and see("z") and see("o", "organiser")
    assert not see("x")


def test_the_reminder_goes_the_day_before_unless_that_has_passed():
    assert domain.reminder_at(NOW + timedelta(days=3), NOW) == NOW + timedelta(days=2)
    assert domain.reminder_at(NOW + timedelta(hours=5), NOW) is None
