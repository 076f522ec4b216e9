"""The life cycle of a help request: creation, every transition legal and illegal, expiry, members leaving."""
from datetime import datetime, timedelta, timezone, tzinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.help.domain import (
    ACCEPTED, CANCELLED, CATEGORIES, COMPLETED, DEFAULT_LIFETIME, EXPIRED, OPEN, STATUSES, SYSTEM,
    DuplicateOffer, IllegalTransition, InvalidRequest, NotAllowed, Offer, OfferWithdrawn, UnknownOffer,
    accept, cancel, complete, expire, expires_at, is_due_to_expire, make_offer, new_request, on_member_gone,
    withdraw_offers_of,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class NoOffset(tzinfo):
    """A time zone that cannot say its offset: Python counts a time in it as naive."""

    def utcoffset(self, moment):
        return None


NO_OFFSET = NoOffset()
REQUESTER, HELPER, OTHER, STRANGER, ORGANISER = "anna", "bora", "chen", "dmitri", "olga"


def a_request(**overrides):
    fields = dict(
        id="r1", community_id="c1", requester_id=REQUESTER, title="Shopping on Thursday",
        description="Two bags from the market", category="shopping", needed_from=None, needed_until=None,
        languages=(), now=T0,
    )
    fields.update(overrides)
    return new_request(**fields)


def request_in(status, **overrides):
    """A request brought into `status` by legal steps, with offers from HELPER (o1) and OTHER (o2)."""
    request = a_request(**overrides)
    offers = [
        make_offer(request, [], offer_id="o1", helper_id=HELPER, message="I can go", now=T0),
        make_offer(request, [], offer_id="o2", helper_id=OTHER, message="Me too", now=T0),
    ]
    if status in (ACCEPTED, COMPLETED):
        accept(request, offers, offer_id="o1", actor_id=REQUESTER, now=T0 + timedelta(hours=1))
    if status == COMPLETED:
        complete(request, actor_id=REQUESTER, now=T0 + timedelta(hours=2))
    if status == CANCELLED:
        cancel(request, actor_id=REQUESTER, actor_is_organiser=False, now=T0 + timedelta(hours=1))
    if status == EXPIRED:
        expire(request, now=expires_at(request))
    assert request.status == status
    return request, offers


LATER = T0 + timedelta(hours=3)  # inside the 14 days, after every step of request_in

ACTIONS = {
    "offer": lambda r, offers: make_offer(
        r, offers, offer_id="o3", helper_id=STRANGER, message="", now=LATER),
    "accept": lambda r, offers: accept(r, offers, offer_id="o2", actor_id=REQUESTER, now=LATER),
    "complete": lambda r, offers: complete(r, actor_id=REQUESTER, now=LATER),
    "cancel": lambda r, offers: cancel(r, actor_id=REQUESTER, actor_is_organiser=False, now=LATER),
    "cancel_by_organiser": lambda r, offers: cancel(
        r, actor_id=ORGANISER, actor_is_organiser=True, now=LATER),
    "expire": lambda r, offers: expire(r, now=expires_at(r)),
}

# status before -> action -> status after, or None where the action is illegal (409).
TABLE = {
    OPEN: {"offer": OPEN, "accept": ACCEPTED, "complete": None, "cancel": CANCELLED,
           "cancel_by_organiser": CANCELLED, "expire": EXPIRED},
    ACCEPTED: {"offer": None, "accept": None, "complete": COMPLETED, "cancel": CANCELLED,
               "cancel_by_organiser": CANCELLED, "expire": None},
    COMPLETED: dict.fromkeys(ACTIONS),
    CANCELLED: dict.fromkeys(ACTIONS),
    EXPIRED: dict.fromkeys(ACTIONS),
}
CASES = [(status, action, TABLE[status][action]) for status in STATUSES for action in ACTIONS]


def test_the_table_covers_every_status_and_action():
    assert len(CASES) == len(STATUSES) * len(ACTIONS)


@pytest.mark.parametrize("status, action, after", CASES, ids=[f"{s}-{a}" for s, a, _ in CASES])
def test_each_action_in_each_status_moves_to_the_expected_status_or_is_refused_with_the_current_one(
    status, action, after,
):
    request, offers = request_in(status)
    if after is None:
        with pytest.raises(IllegalTransition) as refused:
            ACTIONS[action](request, offers)
        assert refused.value.current_status == status
        assert refused.value.action == action.replace("_by_organiser", "")
        assert request.status == status
    else:
        ACTIONS[action](request, offers)
        assert request.status == after


# --- creating ----------------------------------------------------------------------------------------


def test_a_new_request_is_open_and_remembers_when_it_was_posted():
    request = a_request(title="  Help with my phone  ", category="tech", languages=["tr", "de", "tr"])
    assert request.status == OPEN
    assert request.created_at == T0
    assert request.title == "Help with my phone"
    assert request.languages == ("tr", "de")
    assert request.accepted_offer_id is None and not request.private_details_removed


def test_every_category_of_the_issue_is_known():
    assert set(CATEGORIES) >= {
        "shopping", "accompany", "tech", "translation", "household", "garden", "transport", "other"}
    assert STATUSES == ("open", "accepted", "completed", "cancelled", "expired")
    assert DEFAULT_LIFETIME == timedelta(days=14)


def test_times_given_in_another_zone_are_stored_in_utc():
    berlin = timezone(timedelta(hours=1))
    request = a_request(needed_from=datetime(2026, 3, 5, 10, tzinfo=berlin),
                        needed_until=datetime(2026, 3, 5, 12, tzinfo=berlin))
    assert request.needed_from == datetime(2026, 3, 5, 9, tzinfo=timezone.utc)
    assert request.needed_from.tzinfo == timezone.utc


NO_TITLE = "Please give the request a short title."
IN_THE_FUTURE = "The end of the time window must lie in the future."
WITH_OFFSET = "Give the time with its time zone offset."


def unknown_language(code):
    return f"Unknown language code {code!r}; use codes such as 'de', 'tr' or 'ar'."


@pytest.mark.parametrize("overrides, field, message", [
    ({"title": ""}, "title", NO_TITLE),
    ({"title": "   "}, "title", NO_TITLE),
    ({"category": "cooking"}, "category",
     "Unknown category 'cooking'; choose one of: " + ", ".join(CATEGORIES) + "."),
    ({"needed_from": T0 + timedelta(days=2), "needed_until": T0 + timedelta(days=1)}, "needed_until",
     "The end of the time window must not be before its start."),
    ({"needed_until": T0 - timedelta(minutes=1)}, "needed_until", IN_THE_FUTURE),
    ({"needed_until": T0}, "needed_until", IN_THE_FUTURE),
    ({"title": None}, "title", NO_TITLE),
    ({"needed_from": datetime(2026, 3, 5, 10)}, "needed_from", WITH_OFFSET),
    ({"needed_until": datetime(2026, 3, 5, 10)}, "needed_until", WITH_OFFSET),
    ({"needed_until": datetime(2026, 3, 5, 10, tzinfo=NO_OFFSET)}, "needed_until", WITH_OFFSET),
    ({"needed_from": "2026-03-05T10:00:00+01:00"}, "needed_from", WITH_OFFSET),
    ({"languages": ["German"]}, "languages", unknown_language("German")),
    ({"languages": ["DE"]}, "languages", unknown_language("DE")),
    ({"languages": ["d"]}, "languages", unknown_language("d")),
    ({"languages": ["deut"]}, "languages", unknown_language("deut")),
], ids=["empty title", "blank title", "unknown category", "until before from", "until in the past",
        "until now", "no title", "naive from", "naive until", "a zone without an offset", "time as text",
        "language name", "upper-case code", "one letter", "four letters"])
def test_a_request_that_breaks_a_rule_is_refused_naming_the_field_and_what_to_do(overrides, field, message):
    with pytest.raises(InvalidRequest) as refused:
        a_request(**overrides)
    assert (refused.value.field, refused.value.message) == (field, message)
    assert refused.value.errors[field] == [message]
    assert str(refused.value) == f"{field}: {message}"


@pytest.mark.parametrize("now", [datetime(2026, 3, 2, 9), datetime(2026, 3, 2, 9, tzinfo=NO_OFFSET)])
def test_the_rules_refuse_a_now_without_its_offset(now):
    with pytest.raises(ValueError, match="^`now` must be a time-zone-aware datetime$"):
        a_request(now=now)


def test_the_time_window_is_kept_in_utc_whatever_zone_it_was_given_in(machine_in_new_york):
    plus_two = timezone(timedelta(hours=2))
    request = a_request(needed_from=datetime(2026, 3, 5, 10, tzinfo=plus_two),
                        needed_until=datetime(2026, 3, 5, 12, tzinfo=plus_two))
    assert (request.needed_from.isoformat(), request.needed_until.isoformat()) == (
        "2026-03-05T08:00:00+00:00", "2026-03-05T10:00:00+00:00")


def test_all_faults_of_a_request_are_reported_at_once():
    with pytest.raises(InvalidRequest) as refused:
        a_request(title="", category="cooking", languages=["xx1"])
    assert set(refused.value.errors) == {"title", "category", "languages"}


def test_a_window_that_starts_and_ends_at_the_same_moment_is_accepted():
    moment = T0 + timedelta(days=1)
    assert a_request(needed_from=moment, needed_until=moment).needed_until == moment


def test_three_letter_language_codes_are_accepted():
    assert a_request(languages=["fa", "ckb"]).languages == ("fa", "ckb")


def test_a_request_without_a_description_and_an_offer_without_a_message_keep_them_empty():
    request = a_request(description=None)
    assert request.description == ""
    assert make_offer(request, [], offer_id="o1", helper_id=HELPER, message=None, now=T0).message == ""


# --- expiry ------------------------------------------------------------------------------------------


def test_a_request_without_a_window_expires_fourteen_days_after_it_was_posted():
    assert expires_at(a_request()) == T0 + timedelta(days=14)


def test_a_request_with_a_window_expires_at_its_end_even_beyond_fourteen_days():
    end = T0 + timedelta(days=21)
    assert expires_at(a_request(needed_until=end)) == end


def test_a_request_expires_exactly_at_its_end():
    request = a_request(needed_until=T0 + timedelta(days=1))
    expire(request, now=T0 + timedelta(days=1))
    assert request.status == EXPIRED
    assert request.expired_at == T0 + timedelta(days=1)


def test_a_request_does_not_expire_one_second_before_its_end():
    request = a_request(needed_until=T0 + timedelta(days=1))
    with pytest.raises(IllegalTransition) as refused:
        expire(request, now=T0 + timedelta(days=1) - timedelta(seconds=1))
    assert refused.value.current_status == OPEN
    assert request.status == OPEN


def test_a_request_without_a_window_expires_exactly_after_fourteen_days_and_not_a_second_sooner():
    request = a_request()
    assert not is_due_to_expire(request, T0 + DEFAULT_LIFETIME - timedelta(seconds=1))
    assert is_due_to_expire(request, T0 + DEFAULT_LIFETIME)


def test_nobody_can_offer_or_accept_once_the_time_ran_out_even_if_the_timer_is_late():
    request, offers = request_in(OPEN, needed_until=T0 + timedelta(days=1))
    too_late = T0 + timedelta(days=1)
    with pytest.raises(IllegalTransition) as offering:
        make_offer(request, offers, offer_id="o3", helper_id=STRANGER, message="", now=too_late)
    with pytest.raises(IllegalTransition) as accepting:
        accept(request, offers, offer_id="o1", actor_id=REQUESTER, now=too_late)
    assert request.status == OPEN
    assert offering.value.current_status == accepting.value.current_status == OPEN
    assert str(offering.value) == ("Cannot offer help on a help request that is open. "
                                   "Its time ran out at 2026-03-03T09:00:00Z.")
    assert str(accepting.value) == ("Cannot accept an offer on a help request that is open. "
                                    "Its time ran out at 2026-03-03T09:00:00Z.")


@pytest.mark.usefixtures("machine_in_new_york")
def test_the_timer_cannot_retire_a_request_before_its_end_and_says_when_that_is():
    request, _ = request_in(OPEN)
    with pytest.raises(IllegalTransition) as refused:
        expire(request, now=LATER)
    assert refused.value.current_status == OPEN and request.status == OPEN
    assert str(refused.value) == "Cannot expire a help request that is open. It runs until 2026-03-16T09:00:00Z."


def test_an_accepted_request_never_expires():
    request, offers = request_in(ACCEPTED)
    assert not is_due_to_expire(request, T0 + timedelta(days=365))


# --- who may do what ---------------------------------------------------------------------------------


def test_a_member_cannot_offer_help_on_their_own_request():
    request = a_request()
    with pytest.raises(NotAllowed, match="^You cannot offer help on your own request.$"):
        make_offer(request, [], offer_id="o1", helper_id=REQUESTER, message="", now=T0)


def test_a_helper_cannot_offer_twice_on_the_same_request():
    request, offers = request_in(OPEN)
    with pytest.raises(DuplicateOffer) as refused:
        make_offer(request, offers, offer_id="o9", helper_id=HELPER, message="again", now=T0)
    assert refused.value.offer_id == "o1"
    assert str(refused.value) == "You have already offered to help with this request."


def test_a_helper_whose_offer_was_withdrawn_may_offer_again():
    request, offers = request_in(OPEN)
    withdraw_offers_of(HELPER, offers)
    again = make_offer(request, offers, offer_id="o9", helper_id=HELPER, message="back", now=T0)
    assert again.request_id == request.id and not again.withdrawn


def test_an_offer_on_another_request_does_not_count_as_a_duplicate():
    request = a_request()
    elsewhere = [Offer(id="x", request_id="r-other", helper_id=HELPER, message="", created_at=T0)]
    assert make_offer(request, elsewhere, offer_id="o1", helper_id=HELPER, message="", now=T0).id == "o1"


def test_making_an_offer_does_not_change_the_request():
    request, offers = request_in(OPEN)
    offer = make_offer(request, offers, offer_id="o3", helper_id=STRANGER, message=" Gern ", now=T0)
    assert (offer.helper_id, offer.message, offer.created_at) == (STRANGER, "Gern", T0)
    assert request.status == OPEN and len(offers) == 2


@pytest.mark.parametrize("actor", [HELPER, OTHER, STRANGER, ORGANISER])
def test_only_the_requester_can_accept_an_offer(actor):
    request, offers = request_in(OPEN)
    with pytest.raises(NotAllowed, match="^Only the person who asked for help can accept an offer.$"):
        accept(request, offers, offer_id="o1", actor_id=actor, now=T0)
    assert request.status == OPEN


def test_accepting_records_the_chosen_offer_and_when():
    request, offers = request_in(OPEN)
    accept(request, offers, offer_id="o2", actor_id=REQUESTER, now=LATER)
    assert (request.status, request.accepted_offer_id, request.accepted_at) == (ACCEPTED, "o2", LATER)


def test_an_offer_made_on_another_request_cannot_be_accepted():
    request, offers = request_in(OPEN)
    foreign = Offer(id="x", request_id="r-other", helper_id=STRANGER, message="", created_at=T0)
    with pytest.raises(UnknownOffer):
        accept(request, offers + [foreign], offer_id="x", actor_id=REQUESTER, now=T0)
    with pytest.raises(UnknownOffer) as refused:
        accept(request, offers, offer_id="nope", actor_id=REQUESTER, now=T0)
    assert (refused.value.offer_id, str(refused.value)) == ("nope", "There is no such offer on this request.")


def test_a_withdrawn_offer_cannot_be_accepted():
    request, offers = request_in(OPEN)
    withdraw_offers_of(HELPER, offers)
    with pytest.raises(OfferWithdrawn) as refused:
        accept(request, offers, offer_id="o1", actor_id=REQUESTER, now=T0)
    assert request.status == OPEN and refused.value.offer_id == "o1"
    assert str(refused.value) == "This offer has been withdrawn and can no longer be accepted."


@pytest.mark.parametrize("actor", [HELPER, OTHER, ORGANISER])
def test_only_the_requester_can_mark_help_as_done(actor):
    request, _ = request_in(ACCEPTED)
    with pytest.raises(NotAllowed, match="^Only the person who asked for help can mark it as done.$"):
        complete(request, actor_id=actor, now=LATER)
    assert request.status == ACCEPTED


def test_completing_records_when():
    request, _ = request_in(ACCEPTED)
    complete(request, actor_id=REQUESTER, now=LATER)
    assert request.completed_at == LATER


@pytest.mark.parametrize("actor", [HELPER, OTHER, STRANGER])
@pytest.mark.parametrize("status", [OPEN, ACCEPTED])
def test_a_resident_who_is_not_the_requester_cannot_cancel(actor, status):
    request, _ = request_in(status)
    with pytest.raises(NotAllowed, match="^Only the person who asked for help or an organiser can cancel the request"):
        cancel(request, actor_id=actor, actor_is_organiser=False, now=LATER)
    assert request.status == status


def test_an_organiser_cancelling_is_recorded_as_the_canceller():
    request, _ = request_in(ACCEPTED)
    cancel(request, actor_id=ORGANISER, actor_is_organiser=True, now=LATER)
    assert (request.status, request.cancelled_by, request.cancelled_at) == (CANCELLED, ORGANISER, LATER)


def test_the_actor_is_checked_before_the_status():
    request, _ = request_in(COMPLETED)
    with pytest.raises(NotAllowed):
        cancel(request, actor_id=STRANGER, actor_is_organiser=False, now=LATER)


def test_an_illegal_transition_explains_itself_in_plain_english():
    request, offers = request_in(COMPLETED)
    with pytest.raises(IllegalTransition) as refused:
        cancel(request, actor_id=REQUESTER, actor_is_organiser=False, now=LATER)
    assert str(refused.value) == "Cannot cancel a help request that is completed."


def test_a_naive_now_is_a_programming_error():
    with pytest.raises(ValueError):
        a_request(now=datetime(2026, 3, 2, 9))


# --- members leaving ---------------------------------------------------------------------------------


def test_a_departed_members_open_and_accepted_requests_are_cancelled_by_the_system():
    open_one, open_offers = request_in(OPEN, id="r-open")
    accepted_one, accepted_offers = request_in(ACCEPTED, id="r-acc")
    done, done_offers = request_in(COMPLETED, id="r-done")
    for offer, request_id in zip(open_offers + accepted_offers + done_offers,
                                 ["r-open"] * 2 + ["r-acc"] * 2 + ["r-done"] * 2):
        offer.request_id = request_id

    changes = on_member_gone(REQUESTER, [open_one, accepted_one, done], [], LATER)

    assert changes.cancelled == [open_one, accepted_one]
    assert all(r.cancelled_by == SYSTEM and r.cancelled_at == LATER for r in changes.cancelled)
    assert done.status == COMPLETED


def test_a_departed_members_offers_on_open_requests_are_withdrawn():
    request, offers = request_in(OPEN)
    changes = on_member_gone(OTHER, [request], offers, LATER)
    assert [o.id for o in changes.withdrawn] == ["o2"]
    assert offers[1].withdrawn and not offers[0].withdrawn
    assert request.status == OPEN


def test_when_the_accepted_helper_leaves_the_request_reopens_and_another_offer_can_be_accepted():
    request, offers = request_in(ACCEPTED)
    changes = on_member_gone(HELPER, [request], offers, LATER)

    assert changes.reopened == [request]
    assert (request.status, request.accepted_offer_id, request.accepted_at) == (OPEN, None, None)
    assert [o.id for o in changes.withdrawn] == ["o1"]
    with pytest.raises(OfferWithdrawn):
        accept(request, offers, offer_id="o1", actor_id=REQUESTER, now=LATER)
    accept(request, offers, offer_id="o2", actor_id=REQUESTER, now=LATER)
    assert request.accepted_offer_id == "o2"


def test_a_departed_helpers_offer_on_a_finished_request_is_left_as_history():
    request, offers = request_in(COMPLETED)
    changes = on_member_gone(HELPER, [request], offers, LATER)
    assert not changes.changed
    assert not offers[0].withdrawn and request.accepted_offer_id == "o1"


def test_an_offer_whose_request_is_not_known_is_withdrawn_to_be_safe():
    stray = Offer(id="x", request_id="unknown", helper_id=HELPER, message="", created_at=T0)
    assert on_member_gone(HELPER, [], [stray], LATER).withdrawn == [stray]


def test_hearing_that_a_member_left_twice_changes_nothing_the_second_time():
    request, offers = request_in(ACCEPTED)
    first = on_member_gone(HELPER, [request], offers, LATER)
    second = on_member_gone(HELPER, [request], offers, LATER + timedelta(minutes=1))
    assert first.changed and not second.changed


def test_cancelling_for_a_departed_requester_erases_an_accompany_requests_details():
    request, offers = request_in(OPEN, category="accompany", description="Dialysis, Room 3")
    on_member_gone(REQUESTER, [request], offers, LATER)
    assert request.description == "" and request.private_details_removed
    assert all(o.message == "" for o in offers)


# --- any sequence of actions keeps the request consistent --------------------------------------------

STEP = st.tuples(
    st.sampled_from(["offer", "accept", "complete", "cancel", "expire", "gone"]),
    st.sampled_from([REQUESTER, HELPER, OTHER, STRANGER]),
    st.booleans(),
    st.integers(min_value=0, max_value=20 * 24),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(STEP, max_size=12))
def test_any_sequence_of_actions_leaves_the_request_in_a_consistent_state(steps):
    request = a_request()
    offers = []
    now = T0
    for number, (action, actor, is_organiser, hours) in enumerate(steps):
        now = now + timedelta(hours=hours)
        before = request.status
        try:
            if action == "offer":
                offers.append(make_offer(request, offers, offer_id=f"o{number}", helper_id=actor,
                                         message="", now=now))
            elif action == "accept":
                target = next((o.id for o in offers if not o.withdrawn), "none")
                accept(request, offers, offer_id=target, actor_id=actor, now=now)
            elif action == "complete":
                complete(request, actor_id=actor, now=now)
            elif action == "cancel":
                cancel(request, actor_id=actor, actor_is_organiser=is_organiser, now=now)
            elif action == "expire":
                expire(request, now=now)
            else:
                on_member_gone(actor, [request], offers, now)
        except (IllegalTransition, NotAllowed, DuplicateOffer, UnknownOffer, OfferWithdrawn):
            assert request.status == before
        assert request.status in STATUSES
        if before in (COMPLETED, CANCELLED, EXPIRED):
            assert request.status == before
        if request.status == ACCEPTED:
            chosen = [o for o in offers if o.id == request.accepted_offer_id]
            assert len(chosen) == 1 and not chosen[0].withdrawn
            assert chosen[0].helper_id != request.requester_id
        if request.status == OPEN:
            assert request.accepted_offer_id is None
        live_helpers = [o.helper_id for o in offers if not o.withdrawn]
        assert len(live_helpers) == len(set(live_helpers))
        assert REQUESTER not in live_helpers
