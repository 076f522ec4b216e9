"""The rules of neighbourhood help: asking, offering, accepting, finishing, and who sees what.

A resident asks for help (`new_request`), neighbours offer (`make_offer`), the resident accepts one offer
(`accept`) and later marks the help as done (`complete`); the resident or an organiser may call it off
(`cancel`), and a timer retires open requests nobody took up (`expire`). When a member is deactivated or
erased, `on_member_gone` tidies up after them. `project` decides what a given viewer may see of a request,
and `audience` names the neighbours who should hear of a new one.

Everything here is plain data and plain functions: no Nameko, no MongoEngine, no clock (callers pass `now`,
an aware datetime), no I/O. Transitions mutate the `HelpRequest`/`Offer` they are given and return what they
changed; storing it and publishing the matching event is the service's job.

Every error derives from `HelpError`. The service's one mapping (`commands.wire_errors`) turns them into the
shared wire errors:
    InvalidRequest    -> Invalid   (422, `errors` maps field -> messages)
    NotAllowed        -> Forbidden (403)
    UnknownOffer      -> NotFound  (404)
    IllegalTransition -> Conflict  (409, carries `current_status`)
    DuplicateOffer    -> Conflict  (409, carries the existing `offer_id`)
    OfferWithdrawn    -> Conflict  (409)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterable, Mapping, Sequence

from services.contracts.vocabulary import HELP_CATEGORIES as CATEGORIES

OPEN = "open"
ACCEPTED = "accepted"
COMPLETED = "completed"
CANCELLED = "cancelled"
EXPIRED = "expired"
STATUSES = (OPEN, ACCEPTED, COMPLETED, CANCELLED, EXPIRED)
LIVE_STATUSES = (OPEN, ACCEPTED)

DEFAULT_LIFETIME = timedelta(days=14)

# `cancelled_by` when nobody pressed a button: the requester left the community.
SYSTEM = "system"

# Accompanying someone is usually a trip to a doctor or a hospital, so what was written about it is health
# data; once the help is over there is no reason to keep it.
SENSITIVE_CATEGORIES = frozenset({"accompany"})

# No list of "known" languages: residents speak Farsi, Kurdish, Tigrinya, ... and a closed list would
# turn them away. We only insist on the shape of an ISO 639-1/639-3 code so typos like "German" fail.
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")

_ACTION_PHRASES = {
    "offer": "offer help on",
    "accept": "accept an offer on",
    "complete": "complete",
    "cancel": "cancel",
    "expire": "expire",
}


# --- errors -------------------------------------------------------------------------------------------


class HelpError(Exception):
    """Base of every rule the help domain can refuse."""


class IllegalTransition(HelpError):
    """The action does not fit the request's current status (409, answered with that status)."""

    def __init__(self, current_status: str, action: str, reason: str | None = None):
        self.current_status = current_status
        self.action = action
        self.reason = reason
        message = f"Cannot {_ACTION_PHRASES.get(action, action)} a help request that is {current_status}."
        if reason:
            message = f"{message} {reason}"
        super().__init__(message)


class NotAllowed(HelpError):
    """This member may not do this to this request, whatever its status (403)."""


class DuplicateOffer(HelpError):
    """The helper already has an offer standing on this request.

    Kept apart from `NotAllowed` because it is a conflict with stored state (409), not a matter of rights;
    the existing offer's id lets a page show "you already offered" instead of an error.
    """

    def __init__(self, offer_id: str):
        self.offer_id = offer_id
        super().__init__("You have already offered to help with this request.")


class UnknownOffer(HelpError):
    """No such offer on this request (404; also for an offer on some other request)."""

    def __init__(self, offer_id: str):
        self.offer_id = offer_id
        super().__init__("There is no such offer on this request.")


class OfferWithdrawn(HelpError):
    """The offer was withdrawn (its helper left the community) and can no longer be accepted (409)."""

    def __init__(self, offer_id: str):
        self.offer_id = offer_id
        super().__init__("This offer has been withdrawn and can no longer be accepted.")


class InvalidRequest(HelpError):
    """A new request breaks a rule. `field`/`message` name the first problem; `errors` holds all of them,
    ready for the `errors` member of a problem document."""

    def __init__(self, field: str, message: str, errors: Mapping[str, list[str]] | None = None):
        self.field = field
        self.message = message
        self.errors = {name: list(messages) for name, messages in (errors or {field: [message]}).items()}
        super().__init__(f"{field}: {message}")


# --- data ---------------------------------------------------------------------------------------------


@dataclass
class HelpRequest:
    id: str
    community_id: str
    requester_id: str
    title: str
    description: str
    category: str
    needed_from: datetime | None
    needed_until: datetime | None
    languages: tuple[str, ...]
    status: str
    created_at: datetime
    accepted_offer_id: str | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    private_details_removed: bool = False
    accepted_at: datetime | None = None
    expired_at: datetime | None = None


@dataclass
class Offer:
    id: str
    request_id: str
    helper_id: str
    message: str
    created_at: datetime
    withdrawn: bool = False


@dataclass(frozen=True)
class Contact:
    """What the help service keeps about a member (copied from members' events)."""

    display_name: str
    phone: str | None = None
    household: str | None = None


@dataclass(frozen=True)
class MemberProfile:
    """A member as matching sees them. `help_categories` empty or None means "every category": a resident
    who never opened the preferences page should still hear when a neighbour needs help."""

    member_id: str
    active: bool
    languages: Sequence[str] = ()
    help_categories: Sequence[str] | None = None


@dataclass
class MemberGone:
    """What `on_member_gone` changed, so the service can store it and tell the people concerned."""

    cancelled: list[HelpRequest] = field(default_factory=list)
    reopened: list[HelpRequest] = field(default_factory=list)
    withdrawn: list[Offer] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.cancelled or self.reopened or self.withdrawn)


# --- creating -----------------------------------------------------------------------------------------


def new_request(
    *,
    id: str,
    community_id: str,
    requester_id: str,
    title: str,
    description: str | None,
    category: str,
    needed_from: datetime | None,
    needed_until: datetime | None,
    languages: Iterable[str] | None,
    now: datetime,
) -> HelpRequest:
    """A validated, open request. Raises `InvalidRequest` naming every field at fault."""
    _require_aware(now)
    errors: dict[str, list[str]] = {}

    def problem(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    clean_title = title.strip() if isinstance(title, str) else ""
    if not clean_title:
        problem("title", "Please give the request a short title.")
    if category not in CATEGORIES:
        problem("category", f"Unknown category {category!r}; choose one of: {', '.join(CATEGORIES)}.")

    start = _aware_or_problem(needed_from, "needed_from", problem)
    end = _aware_or_problem(needed_until, "needed_until", problem)
    # "Until now" is refused along with the past: such a request would expire the moment it is stored.
    if end is not None and end <= now:
        problem("needed_until", "The end of the time window must lie in the future.")
    if start is not None and end is not None and end < start:
        problem("needed_until", "The end of the time window must not be before its start.")

    codes: list[str] = []
    for code in languages or ():
        if not isinstance(code, str) or not _LANGUAGE_CODE.fullmatch(code):
            problem("languages", f"Unknown language code {code!r}; use codes such as 'de', 'tr' or 'ar'.")
        elif code not in codes:
            codes.append(code)

    if errors:
        first = next(iter(errors))
        raise InvalidRequest(first, errors[first][0], errors)

    return HelpRequest(
        id=id,
        community_id=community_id,
        requester_id=requester_id,
        title=clean_title,
        description=(description or "").strip(),
        category=category,
        needed_from=start,
        needed_until=end,
        languages=tuple(codes),
        status=OPEN,
        created_at=now,
    )


def expires_at(request: HelpRequest) -> datetime:
    """When an open request runs out: the end of its window, or 14 days after it was posted.

    A window that ends later than 14 days is honoured: a request for a lift in three weeks' time must not
    vanish before the day comes.
    """
    if request.needed_until is not None:
        return request.needed_until
    return request.created_at + DEFAULT_LIFETIME


def is_due_to_expire(request: HelpRequest, now: datetime) -> bool:
    """Open and at or past its end: what the expiry timer looks for."""
    return request.status == OPEN and expires_at(request) <= now


# --- transitions --------------------------------------------------------------------------------------
# Each checks the actor before the status: who may act on a request does not depend on its state, and a
# 403 is the more useful answer to someone who could never have done it.


def make_offer(
    request: HelpRequest, offers: Iterable[Offer], *, offer_id: str, helper_id: str, message: str | None,
    now: datetime,
) -> Offer:
    """A neighbour offers help. Returns the new `Offer`; the caller stores it (`offers` is not changed)."""
    _require_aware(now)
    if helper_id == request.requester_id:
        raise NotAllowed("You cannot offer help on your own request.")
    _require_open_and_current(request, "offer", now)
    for offer in offers:
        if offer.request_id == request.id and offer.helper_id == helper_id and not offer.withdrawn:
            raise DuplicateOffer(offer.id)
    return Offer(
        id=offer_id, request_id=request.id, helper_id=helper_id, message=(message or "").strip(),
        created_at=now,
    )


def accept(
    request: HelpRequest, offers: Iterable[Offer], *, offer_id: str, actor_id: str, now: datetime,
) -> HelpRequest:
    """The requester chooses one offer. The other offers stay as they are, so that if the chosen helper
    drops out the requester can pick another without everyone offering again."""
    _require_aware(now)
    if actor_id != request.requester_id:
        raise NotAllowed("Only the person who asked for help can accept an offer.")
    _require_open_and_current(request, "accept", now)
    chosen = next((o for o in offers if o.id == offer_id and o.request_id == request.id), None)
    if chosen is None:
        raise UnknownOffer(offer_id)
    if chosen.withdrawn:
        raise OfferWithdrawn(offer_id)
    request.status = ACCEPTED
    request.accepted_offer_id = chosen.id
    request.accepted_at = now
    return request


def complete(
    request: HelpRequest, *, actor_id: str, now: datetime, offers: Iterable[Offer] = (),
) -> HelpRequest:
    """The requester says the help happened. Pass the request's offers so that, for sensitive categories,
    their messages are erased with the description."""
    _require_aware(now)
    if actor_id != request.requester_id:
        raise NotAllowed("Only the person who asked for help can mark it as done.")
    if request.status != ACCEPTED:
        raise IllegalTransition(request.status, "complete")
    request.status = COMPLETED
    request.completed_at = now
    _scrub_if_sensitive(request, offers)
    return request


def cancel(
    request: HelpRequest, *, actor_id: str, actor_is_organiser: bool, now: datetime,
    offers: Iterable[Offer] = (),
) -> HelpRequest:
    """The requester, or an organiser (e.g. for a resident who phoned the office), calls the request off.
    The accepted helper cannot: they step back by talking to the requester, who then cancels."""
    _require_aware(now)
    if actor_id != request.requester_id and not actor_is_organiser:
        raise NotAllowed("Only the person who asked for help or an organiser can cancel the request.")
    if request.status not in LIVE_STATUSES:
        raise IllegalTransition(request.status, "cancel")
    _cancel(request, by=actor_id, now=now, offers=offers)
    return request


def expire(request: HelpRequest, *, now: datetime, offers: Iterable[Offer] = ()) -> HelpRequest:
    """The timer retires an open request at its end. Accepted requests never expire: two neighbours have
    agreed, and only the requester knows whether it happened."""
    _require_aware(now)
    if request.status != OPEN:
        raise IllegalTransition(request.status, "expire")
    if not is_due_to_expire(request, now):
        raise IllegalTransition(OPEN, "expire", f"It runs until {_iso(expires_at(request))}.")
    request.status = EXPIRED
    request.expired_at = now
    _scrub_if_sensitive(request, offers)
    return request


def withdraw_offers_of(member_id: str, offers: Iterable[Offer]) -> list[Offer]:
    """Withdraw every standing offer of `member_id` among `offers`; returns those it withdrew."""
    withdrawn = []
    for offer in offers:
        if offer.helper_id == member_id and not offer.withdrawn:
            offer.withdrawn = True
            withdrawn.append(offer)
    return withdrawn


def on_member_gone(
    member_id: str, requests: Iterable[HelpRequest], offers: Iterable[Offer], now: datetime,
) -> MemberGone:
    """Tidy up after a deactivated or erased member. Idempotent: a second call changes nothing.

    Pass every open or accepted request the member asked for or offered on, and all offers on them.
    - Their open and accepted requests are cancelled by `SYSTEM`.
    - Where they were the accepted helper, the request goes back to `open` with the other offers still
      standing, because the requester still needs the help and can pick someone else. If its window has
      already passed, the expiry timer retires it on its next round.
    - Their offers on open and accepted requests are withdrawn, so nobody can accept a helper who is gone.
      Offers on finished requests are history and left alone (erasing personal data is a separate step).
    """
    _require_aware(now)
    requests = list(requests)
    offers = list(offers)
    by_id = {request.id: request for request in requests}
    offer_by_id = {offer.id: offer for offer in offers}
    result = MemberGone()

    for request in requests:
        if request.requester_id == member_id and request.status in LIVE_STATUSES:
            _cancel(request, by=SYSTEM, now=now, offers=[o for o in offers if o.request_id == request.id])
            result.cancelled.append(request)

    for request in requests:
        chosen = offer_by_id.get(request.accepted_offer_id) if request.status == ACCEPTED else None
        if chosen is not None and chosen.helper_id == member_id:
            request.status = OPEN
            request.accepted_offer_id = None
            request.accepted_at = None
            result.reopened.append(request)

    # An offer whose request we were not given is withdrawn too: better that than leave it acceptable.
    live_offers = [
        offer for offer in offers
        if offer.request_id not in by_id or by_id[offer.request_id].status in LIVE_STATUSES
    ]
    result.withdrawn = withdraw_offers_of(member_id, live_offers)
    return result


# --- privacy ------------------------------------------------------------------------------------------


def scrub_private_details(request: HelpRequest, offers: Iterable[Offer] = ()) -> HelpRequest:
    """Erase what was written about the help: the description and, if given, the offers' messages.

    The title stays so the request still makes sense in history and in the calendar; ask residents not
    to put health details in titles. Idempotent.
    """
    request.description = ""
    request.private_details_removed = True
    for offer in offers:
        if offer.request_id == request.id:
            offer.message = ""
    return request


def available_actions(
    request: HelpRequest, offers: Iterable[Offer], *, viewer_id: str, viewer_is_organiser: bool,
) -> list[str]:
    """The buttons to show this viewer (pages work without JavaScript, so the server decides)."""
    offers = [o for o in offers if o.request_id == request.id and not o.withdrawn]
    is_requester = viewer_id == request.requester_id
    actions = []
    if request.status == OPEN and not is_requester and all(o.helper_id != viewer_id for o in offers):
        actions.append("offer")
    if request.status == OPEN and is_requester and offers:
        actions.append("accept")
    if request.status == ACCEPTED and is_requester:
        actions.append("complete")
    if request.status in LIVE_STATUSES and (is_requester or viewer_is_organiser):
        actions.append("cancel")
    return actions


def project(
    request: HelpRequest, offers: Iterable[Offer], *, viewer_id: str, viewer_is_organiser: bool,
    contacts: Mapping[str, Contact],
) -> dict:
    """What `viewer_id` may see of `request`, as a plain dict (times stay `datetime`; rendering is the
    schema's job).

    - Everybody sees the request itself and the display names of the requester and the accepted helper.
    - Phone and household of the requester: only the requester and the accepted helper; of the accepted
      helper: only the helper and the requester. They are shared while the request is accepted or
      completed, not after a cancellation or expiry (the arrangement is off), and never once private details
      were removed. Keys that may not be seen are left out rather than set to None, so a template cannot
      leak them by accident.
    - Organisers see no contact details of a request they are not part of: they have the member directory
      for a call round, and help is a matter between two neighbours. Their only extra right is to cancel.
    - Offers: the requester sees every standing offer (display name and message); an offerer sees only
      their own; everyone else sees just `offer_count`.
    - A member missing from `contacts` (erased) shows with `display_name` None; the page says
      "a former neighbour" in the reader's language.
    """
    offers = [o for o in offers if o.request_id == request.id]
    standing = [o for o in offers if not o.withdrawn]
    chosen = next((o for o in offers if o.id == request.accepted_offer_id), None)
    helper_id = chosen.helper_id if chosen is not None else None

    is_requester = viewer_id == request.requester_id
    is_helper = helper_id is not None and viewer_id == helper_id
    scrubbed = request.private_details_removed
    sharing = not scrubbed and chosen is not None and request.status in (ACCEPTED, COMPLETED)

    def person(member_id: str, with_contact: bool) -> dict:
        contact = contacts.get(member_id)
        shown = {"id": member_id, "display_name": contact.display_name if contact else None}
        if with_contact and contact is not None:
            shown["phone"] = contact.phone
            shown["household"] = contact.household
        return shown

    def offer_view(offer: Offer) -> dict:
        return {
            "id": offer.id,
            "helper_id": offer.helper_id,
            "display_name": contacts[offer.helper_id].display_name if offer.helper_id in contacts else None,
            # Hidden as well as erased: a service that scrubbed without passing the offers leaks nothing.
            "message": "" if scrubbed else offer.message,
            "created_at": offer.created_at,
            "accepted": offer.id == request.accepted_offer_id,
        }

    if is_requester:
        visible_offers = standing
    else:
        visible_offers = [o for o in standing if o.helper_id == viewer_id]

    return {
        "id": request.id,
        "community_id": request.community_id,
        "title": request.title,
        "description": request.description,
        "category": request.category,
        "needed_from": request.needed_from,
        "needed_until": request.needed_until,
        "languages": list(request.languages),
        "status": request.status,
        "created_at": request.created_at,
        "expires_at": expires_at(request),
        "accepted_at": request.accepted_at,
        "completed_at": request.completed_at,
        "cancelled_at": request.cancelled_at,
        "cancelled_by": request.cancelled_by,
        "expired_at": request.expired_at,
        "private_details_removed": scrubbed,
        "requester_id": request.requester_id,
        "requester": person(request.requester_id, not scrubbed and (is_requester or (is_helper and sharing))),
        "accepted_offer_id": request.accepted_offer_id,
        "helper": person(helper_id, sharing and (is_requester or is_helper)) if helper_id else None,
        "offers": [offer_view(o) for o in visible_offers],
        "offer_count": len(standing),
        "actions": available_actions(
            request, offers, viewer_id=viewer_id, viewer_is_organiser=viewer_is_organiser,
        ),
    }


# --- matching -----------------------------------------------------------------------------------------


def audience(request: HelpRequest, members: Iterable[MemberProfile]) -> list[str]:
    """Who should hear of a new request: sorted ids of the community's members who are active, not the
    requester, opted into its category (no preference = every category), and, if the request names
    languages, speak at least one of them. Publish `help.requested` with this list."""
    wanted = set(request.languages)
    chosen = set()
    for member in members:
        if not member.active or member.member_id == request.requester_id:
            continue
        if member.help_categories and request.category not in member.help_categories:
            continue
        # Lower-cased because members' language lists come from another service's forms.
        if wanted and not wanted & {code.lower() for code in member.languages}:
            continue
        chosen.add(member.member_id)
    return sorted(chosen)


# --- helpers ------------------------------------------------------------------------------------------


def _require_aware(now: datetime) -> None:
    # A naive `now` is a programming error in the caller, not a resident's mistake, hence not InvalidRequest.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("`now` must be a time-zone-aware datetime")


def _aware_or_problem(moment: datetime | None, name: str, problem) -> datetime | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        problem(name, "Give the time with its time zone offset.")
        return None
    return moment.astimezone(timezone.utc)


def _require_open_and_current(request: HelpRequest, action: str, now: datetime) -> None:
    if request.status != OPEN:
        raise IllegalTransition(request.status, action)
    # The timer may run late; a request past its end is treated as over even before it is marked expired,
    # so nobody offers or accepts help for a day that has gone.
    if is_due_to_expire(request, now):
        raise IllegalTransition(OPEN, action, f"Its time ran out at {_iso(expires_at(request))}.")


def _cancel(request: HelpRequest, *, by: str, now: datetime, offers: Iterable[Offer]) -> None:
    request.status = CANCELLED
    request.cancelled_at = now
    request.cancelled_by = by
    _scrub_if_sensitive(request, offers)


def _scrub_if_sensitive(request: HelpRequest, offers: Iterable[Offer]) -> None:
    # Done inside the transitions rather than left to the service, so no code path can forget it. Expiry
    # counts too: an accompany request nobody took up holds the same health details.
    if request.category in SENSITIVE_CATEGORIES:
        scrub_private_details(request, offers)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
