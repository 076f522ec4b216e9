"""Who sees what of a help request: contact details, offers, and what is erased after accompany requests."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.help.domain import (
    Contact, accept, cancel, complete, expire, expires_at, make_offer, new_request, on_member_gone, project,
    scrub_private_details,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
REQUESTER, HELPER, OTHER, THIRD, ORGANISER = "anna", "bora", "chen", "dmitri", "olga"
CONTACTS = {
    REQUESTER: Contact("Anna K.", phone="+49 40 111", household="Haus A, 2. OG links"),
    HELPER: Contact("Bora Y.", phone="+49 40 222", household="Haus B, EG"),
    OTHER: Contact("Chen L.", phone="+49 40 333", household="Haus A, 1. OG"),
    THIRD: Contact("Dmitri P.", phone="+49 40 444", household="Haus C, 3. OG"),
    ORGANISER: Contact("Olga S.", phone="+49 40 555", household="Büro"),
}
PHONES = {contact.phone for contact in CONTACTS.values()}
HOUSEHOLDS = {contact.household for contact in CONTACTS.values()}


def scenario(phase, category="shopping"):
    """A request by REQUESTER with offers from HELPER (o1) and OTHER (o2), brought to `phase`."""
    request = new_request(
        id="r1", community_id="c1", requester_id=REQUESTER, title="Arzttermin Donnerstag",
        description="Kardiologie, Zimmer 12, ich brauche Begleitung", category=category, needed_from=None,
        needed_until=None, languages=("de",), now=T0,
    )
    offers = [
        make_offer(request, [], offer_id="o1", helper_id=HELPER, message="Ich komme mit", now=T0),
        make_offer(request, [], offer_id="o2", helper_id=OTHER, message="Ich auch", now=T0),
    ]
    later = T0 + timedelta(hours=1)
    if phase in ("accepted", "completed", "cancelled after acceptance"):
        accept(request, offers, offer_id="o1", actor_id=REQUESTER, now=later)
    if phase == "completed":
        complete(request, actor_id=REQUESTER, now=later, offers=offers)
    if phase == "cancelled after acceptance":
        cancel(request, actor_id=REQUESTER, actor_is_organiser=False, now=later, offers=offers)
    return request, offers


def view(request, offers, viewer):
    return project(request, offers, viewer_id=viewer, viewer_is_organiser=viewer == ORGANISER,
                   contacts=CONTACTS)


def contact_fields(person):
    return None if person is None else {key: person[key] for key in ("phone", "household") if key in person}


def all_strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from all_strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from all_strings(item)
    elif isinstance(value, str):
        yield value


ANNA = {"phone": "+49 40 111", "household": "Haus A, 2. OG links"}
BORA = {"phone": "+49 40 222", "household": "Haus B, EG"}

# phase -> viewer -> (requester's contact fields, accepted helper's contact fields or None if no helper)
CONTACT_TABLE = {
    "open": {
        REQUESTER: (ANNA, None), HELPER: ({}, None), OTHER: ({}, None), THIRD: ({}, None),
        ORGANISER: ({}, None),
    },
    "accepted": {
        REQUESTER: (ANNA, BORA), HELPER: (ANNA, BORA), OTHER: ({}, {}), THIRD: ({}, {}),
        ORGANISER: ({}, {}),
    },
    "completed": {
        REQUESTER: (ANNA, BORA), HELPER: (ANNA, BORA), OTHER: ({}, {}), THIRD: ({}, {}),
        ORGANISER: ({}, {}),
    },
    "cancelled after acceptance": {
        REQUESTER: (ANNA, {}), HELPER: ({}, {}), OTHER: ({}, {}), THIRD: ({}, {}), ORGANISER: ({}, {}),
    },
}
CONTACT_CASES = [(phase, viewer, *expected) for phase, row in CONTACT_TABLE.items()
                 for viewer, expected in row.items()]


@pytest.mark.parametrize("phase, viewer, requester_contact, helper_contact", CONTACT_CASES,
                         ids=[f"{phase}-{viewer}" for phase, viewer, *_ in CONTACT_CASES])
def test_contact_details_are_shared_only_between_requester_and_accepted_helper(
    phase, viewer, requester_contact, helper_contact,
):
    shown = view(*scenario(phase), viewer)
    assert contact_fields(shown["requester"]) == requester_contact
    assert contact_fields(shown["helper"]) == helper_contact


@pytest.mark.parametrize("phase", list(CONTACT_TABLE))
@pytest.mark.parametrize("viewer", [REQUESTER, HELPER, OTHER, THIRD, ORGANISER])
def test_every_viewer_sees_the_display_names_of_requester_and_accepted_helper(phase, viewer):
    shown = view(*scenario(phase), viewer)
    assert shown["requester"]["display_name"] == "Anna K."
    if phase != "open":
        assert shown["helper"] == {"id": HELPER, "display_name": "Bora Y.", **contact_fields(shown["helper"])}


@pytest.mark.parametrize("phase", ["open", "accepted"])
def test_before_and_after_acceptance_the_requester_sees_every_offer_with_name_and_message(phase):
    shown = view(*scenario(phase), REQUESTER)
    assert [(o["display_name"], o["message"]) for o in shown["offers"]] == [
        ("Bora Y.", "Ich komme mit"), ("Chen L.", "Ich auch")]
    assert [o["accepted"] for o in shown["offers"]] == [phase == "accepted", False]
    assert all("phone" not in o and "household" not in o for o in shown["offers"])


@pytest.mark.parametrize("phase", ["open", "accepted"])
def test_an_offerer_sees_only_their_own_offer(phase):
    shown = view(*scenario(phase), OTHER)
    assert [(o["id"], o["message"]) for o in shown["offers"]] == [("o2", "Ich auch")]
    assert shown["offer_count"] == 2


@pytest.mark.parametrize("viewer", [THIRD, ORGANISER])
@pytest.mark.parametrize("phase", ["open", "accepted"])
def test_a_third_member_or_organiser_sees_only_how_many_offers_there_are(viewer, phase):
    shown = view(*scenario(phase), viewer)
    assert shown["offers"] == []
    assert shown["offer_count"] == 2


@pytest.mark.parametrize("viewer", [THIRD, ORGANISER, OTHER])
@pytest.mark.parametrize("phase", list(CONTACT_TABLE))
def test_no_phone_or_household_reaches_someone_outside_the_arrangement(viewer, phase):
    strings = set(all_strings(view(*scenario(phase), viewer)))
    assert not strings & PHONES
    assert not strings & HOUSEHOLDS


def test_an_organiser_may_cancel_but_still_sees_no_contact_details():
    shown = view(*scenario("accepted"), ORGANISER)
    assert shown["actions"] == ["cancel"]
    assert contact_fields(shown["requester"]) == {} and contact_fields(shown["helper"]) == {}


@pytest.mark.parametrize("viewer, actions", [
    (REQUESTER, ["accept", "cancel"]), (HELPER, []), (THIRD, ["offer"]), (ORGANISER, ["offer", "cancel"]),
])
def test_the_actions_offered_to_each_viewer_of_an_open_request(viewer, actions):
    assert view(*scenario("open"), viewer)["actions"] == actions


@pytest.mark.parametrize("viewer, actions", [
    (REQUESTER, ["complete", "cancel"]), (HELPER, []), (THIRD, []), (ORGANISER, ["cancel"]),
])
def test_the_actions_offered_to_each_viewer_of_an_accepted_request(viewer, actions):
    assert view(*scenario("accepted"), viewer)["actions"] == actions


def test_a_requester_whose_offers_were_all_withdrawn_has_none_to_accept():
    request, offers = scenario("open")
    for offer in offers:
        offer.withdrawn = True
    assert view(request, offers, REQUESTER)["actions"] == ["cancel"]


def test_a_neighbour_sees_the_request_the_two_names_and_how_many_offered_and_nothing_more():
    request, offers = scenario("accepted")
    assert view(request, offers, THIRD) == {
        "id": "r1", "community_id": "c1", "title": "Arzttermin Donnerstag",
        "description": "Kardiologie, Zimmer 12, ich brauche Begleitung", "category": "shopping",
        "needed_from": None, "needed_until": None, "languages": ["de"], "status": "accepted", "created_at": T0,
        "expires_at": T0 + timedelta(days=14), "accepted_at": T0 + timedelta(hours=1), "completed_at": None,
        "cancelled_at": None, "cancelled_by": None, "expired_at": None, "private_details_removed": False,
        "requester_id": REQUESTER, "requester": {"id": REQUESTER, "display_name": "Anna K."},
        "accepted_offer_id": "o1", "helper": {"id": HELPER, "display_name": "Bora Y."}, "offers": [],
        "offer_count": 2, "actions": [],
    }


def test_the_requester_sees_each_standing_offer_with_who_made_it_and_when():
    request, offers = scenario("accepted")
    assert view(request, offers, REQUESTER)["offers"] == [
        {"id": "o1", "helper_id": HELPER, "display_name": "Bora Y.", "message": "Ich komme mit", "created_at": T0,
         "accepted": True},
        {"id": "o2", "helper_id": OTHER, "display_name": "Chen L.", "message": "Ich auch", "created_at": T0,
         "accepted": False},
    ]


# --- accompany requests after they end -----------------------------------------------------------------


@pytest.mark.parametrize("viewer", [REQUESTER, HELPER, OTHER, THIRD, ORGANISER])
def test_after_an_accompany_request_is_completed_nobody_sees_its_details_or_phones(viewer):
    shown = view(*scenario("completed", category="accompany"), viewer)
    assert shown["private_details_removed"] is True
    assert shown["description"] == ""
    assert contact_fields(shown["requester"]) == {} and contact_fields(shown["helper"]) == {}
    assert all(o["message"] == "" for o in shown["offers"])
    assert not set(all_strings(shown)) & (PHONES | HOUSEHOLDS)
    assert shown["helper"]["display_name"] == "Bora Y."


def test_completing_an_accompany_request_erases_the_stored_description_and_offer_messages():
    request, offers = scenario("completed", category="accompany")
    assert request.description == "" and request.private_details_removed
    assert [o.message for o in offers] == ["", ""]


@pytest.mark.parametrize("phase", ["open", "accepted"])
def test_cancelling_an_accompany_request_erases_its_details(phase):
    request, offers = scenario(phase, category="accompany")
    cancel(request, actor_id=ORGANISER, actor_is_organiser=True, now=T0 + timedelta(hours=2), offers=offers)
    assert request.description == "" and request.private_details_removed


def test_an_accompany_request_that_expires_is_erased_too():
    request, offers = scenario("open", category="accompany")
    expire(request, now=expires_at(request), offers=offers)
    assert request.description == "" and [o.message for o in offers] == ["", ""]


def test_offer_messages_stay_hidden_even_if_they_were_not_passed_when_scrubbing():
    request, offers = scenario("accepted", category="accompany")
    complete(request, actor_id=REQUESTER, now=T0 + timedelta(hours=2))
    assert offers[0].message == "Ich komme mit"
    assert [o["message"] for o in view(request, offers, REQUESTER)["offers"]] == ["", ""]


def test_an_accompany_request_in_progress_keeps_its_details_for_the_two_neighbours():
    shown = view(*scenario("accepted", category="accompany"), HELPER)
    assert shown["description"].startswith("Kardiologie")
    assert contact_fields(shown["requester"]) == ANNA


def test_a_completed_shopping_request_keeps_its_description_and_the_two_still_see_each_other():
    request, _ = scenario("completed", category="shopping")
    assert request.description and not request.private_details_removed
    assert contact_fields(view(request, _, HELPER)["requester"]) == ANNA


def test_scrubbing_twice_is_harmless():
    request, offers = scenario("completed", category="accompany")
    scrub_private_details(request, offers)
    assert request.description == "" and request.private_details_removed


# --- people who left ---------------------------------------------------------------------------------


def test_a_member_erased_from_the_contacts_shows_without_a_name():
    request, offers = scenario("accepted")
    contacts = {key: value for key, value in CONTACTS.items() if key != HELPER}
    shown = project(request, offers, viewer_id=REQUESTER, viewer_is_organiser=False, contacts=contacts)
    assert shown["helper"] == {"id": HELPER, "display_name": None}


def test_when_the_accepted_helper_leaves_their_contact_details_are_no_longer_shown():
    request, offers = scenario("accepted")
    on_member_gone(HELPER, [request], offers, T0 + timedelta(hours=2))
    shown = view(request, offers, REQUESTER)
    assert shown["helper"] is None
    assert [o["id"] for o in shown["offers"]] == ["o2"]
    assert contact_fields(view(request, offers, HELPER)["requester"]) == {}


# --- whatever happens, nobody outside the arrangement sees a phone --------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    phase=st.sampled_from(list(CONTACT_TABLE)),
    category=st.sampled_from(["shopping", "accompany", "tech"]),
    viewer=st.sampled_from([REQUESTER, HELPER, OTHER, THIRD, ORGANISER]),
    organiser=st.booleans(),
)
def test_a_phone_is_only_ever_shown_to_the_requester_or_the_accepted_helper(
    phase, category, viewer, organiser,
):
    request, offers = scenario(phase, category)
    shown = project(request, offers, viewer_id=viewer, viewer_is_organiser=organiser, contacts=CONTACTS)
    phones = set(all_strings(shown)) & PHONES
    if phones:
        assert viewer in (REQUESTER, HELPER)
        assert not request.private_details_removed
        assert phones <= {CONTACTS[REQUESTER].phone, CONTACTS[HELPER].phone}
