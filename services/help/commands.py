"""What the help service does, as plain functions over a unit of work (its repository and outbox) and `now`.

The life cycle, the privacy of contact details and the matching are in `domain`; here they meet the stored
requests, offers and the neighbours copied from the members service's events. The domain's refusals become the
errors that cross the wire in one place, `wire_errors`.
"""
import uuid
from datetime import datetime

from services.common.clock import as_utc, isoformat_z
from services.common.errors import Conflict, Forbidden, Invalid, NotFound, WireErrors
from services.common.schemas import load
from services.contracts.help import AcceptSchema, HelpRequestCreateSchema, HelpRequestListQuerySchema, OfferCreateSchema
from services.help import domain, events
from services.help.models import Neighbour, StoredOffer, StoredRequest

REQUEST_IDS = uuid.UUID("3b9e6f0a-51c4-4d8e-a2f7-6c1d0e9b4a27")  # the namespace of ids made from request keys

REQUEST_FIELDS = ("title", "description", "status", "accepted_offer_id", "accepted_at", "completed_at",
                  "cancelled_at", "cancelled_by", "expired_at", "private_details_removed")


wire_errors = WireErrors({
    domain.InvalidRequest: lambda invalid: Invalid(invalid.message, errors=invalid.errors),
    domain.NotAllowed: Forbidden,
    domain.UnknownOffer: NotFound,
    domain.IllegalTransition: lambda illegal: Conflict(str(illegal), extra={"current_status": illegal.current_status}),
    (domain.DuplicateOffer, domain.OfferWithdrawn):
        lambda offer: Conflict(str(offer), extra={"offer_id": offer.offer_id}),
})


def _utc(moment):
    return as_utc(moment) if moment is not None else None


def to_domain(stored: StoredRequest) -> domain.HelpRequest:
    return domain.HelpRequest(
        id=stored.id, community_id=stored.community_id, requester_id=stored.requester_id, title=stored.title,
        description=stored.description, category=stored.category, needed_from=_utc(stored.needed_from),
        needed_until=_utc(stored.needed_until), languages=tuple(stored.languages), status=stored.status,
        created_at=as_utc(stored.created_at), accepted_offer_id=stored.accepted_offer_id,
        completed_at=_utc(stored.completed_at), cancelled_at=_utc(stored.cancelled_at),
        cancelled_by=stored.cancelled_by, private_details_removed=stored.private_details_removed,
        accepted_at=_utc(stored.accepted_at), expired_at=_utc(stored.expired_at),
    )


def copy_back(request: domain.HelpRequest, stored: StoredRequest) -> None:
    for field in REQUEST_FIELDS:
        setattr(stored, field, getattr(request, field))


def offer_to_domain(stored: StoredOffer) -> domain.Offer:
    return domain.Offer(id=stored.id, request_id=stored.request_id, helper_id=stored.helper_id,
                        message=stored.message, created_at=as_utc(stored.created_at), withdrawn=stored.withdrawn)


def wire(value):
    """The projection with its times as UTC strings, ready to cross the wire."""
    if isinstance(value, datetime):
        return isoformat_z(value)
    if isinstance(value, dict):
        return {key: wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [wire(item) for item in value]
    return value


def contact(neighbour: Neighbour | None) -> domain.Contact | None:
    if neighbour is None:
        return None
    return domain.Contact(display_name=neighbour.display_name, phone=neighbour.phone, household=neighbour.household)


def view(repo, actor: dict, stored: StoredRequest, offers: list[StoredOffer], neighbours=None) -> dict:
    request = to_domain(stored)
    domain_offers = [offer_to_domain(offer) for offer in offers]
    people = {stored.requester_id, *(offer.helper_id for offer in offers)}
    neighbours = neighbours if neighbours is not None else repo.neighbours_by_id(people)
    contacts = {member_id: contact(neighbours.get(member_id)) for member_id in people if neighbours.get(member_id)}
    if actor["member_id"] not in contacts and actor.get("display_name"):
        contacts[actor["member_id"]] = domain.Contact(display_name=actor["display_name"])
    projected = domain.project(request, domain_offers, viewer_id=actor["member_id"],
                               viewer_is_organiser=actor["role"] == "organiser", contacts=contacts)
    projected.pop("community_id", None)
    projected.pop("cancelled_by", None)
    return wire(projected)


def _load(repo, actor: dict, request_id) -> tuple[StoredRequest, list[StoredOffer]]:
    stored = repo.request(actor["community_id"], request_id) if isinstance(request_id, str) else None
    if stored is None:
        raise NotFound("There is no such help request in your community.")
    return stored, repo.offers_for([stored.id])


# -- asking ------------------------------------------------------------------------------------------------
def create_request(uow, actor: dict, body: dict, now, *, request_key: str | None = None) -> dict:
    """Ask for help. `request_key` names the request (its Idempotency-Key) when there is one: the help
    request's id is made from it, so that a repeat taking over from an attempt that stored it but could not
    say so (its process was killed, the database went away) finds it instead of asking a second time."""
    repo = uow.repository
    data = load(HelpRequestCreateSchema, body)
    request_id = str(uuid.uuid5(REQUEST_IDS, request_key)) if request_key else str(uuid.uuid4())
    if request_key:  # its events, if not out yet, go with the outbox relay
        earlier = repo.request(actor["community_id"], request_id)
        if earlier is not None:
            return view(repo, actor, earlier, repo.offers_for([earlier.id]))
    with wire_errors:
        request = domain.new_request(
            id=request_id, community_id=actor["community_id"], requester_id=actor["member_id"],
            title=data["title"], description=data["description"], category=data["category"],
            needed_from=data.get("needed_from"), needed_until=data.get("needed_until"),
            languages=data["languages"], now=now,
        )
    neighbours = repo.neighbours(actor["community_id"])
    audience = domain.audience(request, [
        domain.MemberProfile(member_id=n.id, active=n.active, languages=tuple(n.languages),
                             help_categories=n.help_categories) for n in neighbours])
    stored = StoredRequest(
        id=request.id, community_id=request.community_id, requester_id=request.requester_id, title=request.title,
        description=request.description, category=request.category, needed_from=request.needed_from,
        needed_until=request.needed_until, languages=list(request.languages), status=request.status,
        created_at=request.created_at, expires_at=domain.expires_at(request),
        acted_by=(actor.get("acted_by") or {}).get("member_id"),
    )
    stored.record(events.help_requested(stored, audience, actor.get("display_name"), now))
    with uow:
        uow.add(stored)
        uow.commit()
    return view(repo, actor, stored, [])


def list_requests(uow, actor: dict, query: dict) -> dict:
    repo = uow.repository
    data = load(HelpRequestListQuerySchema, query)
    page, next_cursor = repo.list_requests(
        actor["community_id"], status=data.get("status"), category=data.get("category"),
        requester_id=actor["member_id"] if data["mine"] else None, limit=data["limit"], cursor=data["cursor"])
    offers = repo.offers_for([stored.id for stored in page])
    people = {stored.requester_id for stored in page} | {offer.helper_id for offer in offers}
    neighbours = repo.neighbours_by_id(people)
    items = [view(repo, actor, stored, [o for o in offers if o.request_id == stored.id], neighbours)
             for stored in page]
    return {"items": items, "next": next_cursor}


def get_request(uow, actor: dict, request_id: str) -> dict:
    stored, offers = _load(uow.repository, actor, request_id)
    return view(uow.repository, actor, stored, offers)


# -- offering and accepting ----------------------------------------------------------------------------------
def offer(uow, actor: dict, request_id: str, body: dict, now) -> dict:
    data = load(OfferCreateSchema, body)
    stored, offers = _load(uow.repository, actor, request_id)
    with wire_errors:
        made = domain.make_offer(to_domain(stored), [offer_to_domain(o) for o in offers],
                                 offer_id=f"{stored.id}:{actor['member_id']}", helper_id=actor["member_id"],
                                 message=data["message"], now=now)
    event = events.help_event("help.offered", stored, now, offer_id=made.id, helper_id=made.helper_id,
                              helper_name=actor.get("display_name"))
    earlier = next((o for o in offers if o.id == made.id), None)
    with uow:
        if earlier is not None:  # offered before, withdrawn since: offering again renews it
            earlier.message, earlier.created_at, earlier.withdrawn = made.message, made.created_at, False
            earlier.record(event)
            uow.save(earlier)
            saved = earlier
        else:
            saved = StoredOffer(id=made.id, community_id=stored.community_id, request_id=stored.id,
                                helper_id=made.helper_id, message=made.message, created_at=made.created_at)
            saved.record(event)
            uow.add(saved)
        uow.commit()
    return {"id": saved.id, "helper_id": saved.helper_id, "display_name": actor.get("display_name"),
            "message": saved.message, "created_at": isoformat_z(saved.created_at), "accepted": False}


def accept(uow, actor: dict, request_id: str, body: dict, now) -> dict:
    data = load(AcceptSchema, body)
    stored, offers = _load(uow.repository, actor, request_id)
    request = to_domain(stored)
    with wire_errors:
        domain.accept(request, [offer_to_domain(o) for o in offers], offer_id=data["offer_id"],
                      actor_id=actor["member_id"], now=now)
    chosen = next(o for o in offers if o.id == data["offer_id"])
    copy_back(request, stored)
    stored.record(events.help_event("help.accepted", stored, now, offer_id=chosen.id, helper_id=chosen.helper_id))
    uow.save_and_commit(stored)
    return view(uow.repository, actor, stored, offers)


def _finish(uow, stored: StoredRequest, offers: list[StoredOffer], request: domain.HelpRequest, event_type: str,
            now, **extra) -> None:
    """Store a request that reached an end, with its event; scrubbed offers lose their messages too. One unit
    of work: if somebody changed the request meanwhile, none of it is written."""
    with uow:
        copy_back(request, stored)
        stored.record(events.help_event(event_type, stored, now, helper_id=_helper_of(stored, offers), **extra))
        scrubbed = [offer for offer in offers if offer.message] if request.private_details_removed else []
        for offer in scrubbed:
            offer.message = ""
        uow.save(stored, *scrubbed)
        uow.commit()


def _helper_of(stored: StoredRequest, offers: list[StoredOffer]) -> str | None:
    return next((o.helper_id for o in offers if o.id == stored.accepted_offer_id), None)


def complete(uow, actor: dict, request_id: str, now) -> dict:
    stored, offers = _load(uow.repository, actor, request_id)
    request = to_domain(stored)
    domain_offers = [offer_to_domain(o) for o in offers]
    with wire_errors:
        domain.complete(request, actor_id=actor["member_id"], now=now, offers=domain_offers)
    _finish(uow, stored, offers, request, "help.completed", now)
    return view(uow.repository, actor, stored, offers)


def cancel(uow, actor: dict, request_id: str, now) -> dict:
    stored, offers = _load(uow.repository, actor, request_id)
    request = to_domain(stored)
    with wire_errors:
        domain.cancel(request, actor_id=actor["member_id"], actor_is_organiser=actor["role"] == "organiser",
                      now=now, offers=[offer_to_domain(o) for o in offers])
    _finish(uow, stored, offers, request, "help.cancelled", now, cancelled_by=actor["member_id"])
    return view(uow.repository, actor, stored, offers)


def expire_due(uow, now) -> int:
    """Open requests past their time expire, once, even with several instances (the save is conditional)."""
    expired = 0
    for stored in uow.repository.due_to_expire(now):
        offers = uow.repository.offers_for([stored.id])
        request = to_domain(stored)
        try:
            domain.expire(request, now=now, offers=[offer_to_domain(o) for o in offers])
            _finish(uow, stored, offers, request, "help.expired", now)
            expired += 1
        except (domain.IllegalTransition, Conflict):
            continue  # another instance expired it, or its requester acted, a moment ago
    return expired


# -- neighbours coming and going ------------------------------------------------------------------------------
def remember_member(uow, event: dict) -> None:
    profile = event["payload"]
    if profile.get("role") == "supporter":  # from outside the house: not asked for help, not a neighbour here
        uow.repository.forget_neighbour(profile["member_id"])
        return
    neighbour = uow.repository.neighbour(profile["member_id"]) or Neighbour(id=profile["member_id"])
    neighbour.community_id = event["community_id"]
    for field in ("display_name", "phone", "household"):
        if field in profile:
            setattr(neighbour, field, profile[field])
    neighbour.languages = profile.get("languages", neighbour.languages or [])
    neighbour.active = profile.get("active", True)
    uow.save_and_commit(neighbour)


def remember_help_categories(uow, event: dict) -> None:
    """Which requests a member wants to hear of, as set in their notification preferences."""
    payload = event["payload"]
    neighbour = uow.repository.neighbour(payload["member_id"]) or Neighbour(id=payload["member_id"],
                                                                            community_id=event["community_id"])
    neighbour.help_categories = payload.get("help_categories") or None
    uow.save_and_commit(neighbour)


def on_member_gone(uow, member_id: str, *, erased: bool, now) -> None:
    repo = uow.repository
    if erased:  # first: the events of what ends now then carry nothing the member wrote (a title)
        anonymise(uow, member_id)
    their_offers = repo.offers_of(member_id)
    involved = {stored.id: stored for stored in repo.requests_of(member_id)}
    involved.update({stored.id: stored for stored in repo.requests_by_id([o.request_id for o in their_offers])})
    offers = repo.offers_for(list(involved))
    requests = {stored.id: to_domain(stored) for stored in involved.values()}
    domain_offers = {offer.id: offer_to_domain(offer) for offer in offers}
    gone = domain.on_member_gone(member_id, list(requests.values()), list(domain_offers.values()), now)
    for request in gone.cancelled:
        _finish(uow, involved[request.id], [o for o in offers if o.request_id == request.id], request,
                "help.cancelled", now, cancelled_by=domain.SYSTEM, reason="member left")
    for request in gone.reopened:
        stored = involved[request.id]
        copy_back(request, stored)
        stored.record(events.help_event("help.reopened", stored, now, reason="helper left"))
        uow.save_and_commit(stored)
    withdrawn = {offer.id for offer in gone.withdrawn}
    for offer in offers:
        if offer.id in withdrawn:
            offer.withdrawn = True
            uow.save_and_commit(offer)
    if neighbour := repo.neighbour(member_id):
        neighbour.active = False
        uow.save_and_commit(neighbour)


def anonymise(uow, member_id: str) -> None:
    """Erasure: what the member wrote is removed; the history keeps anonymous traces."""
    for stored in uow.repository.requests_of(member_id):
        stored.title, stored.description, stored.private_details_removed = "—", "", True
        uow.save_and_commit(stored)
    for offer in uow.repository.offers_of(member_id):
        offer.message = ""
        uow.save_and_commit(offer)
    uow.repository.forget_neighbour(member_id)


def export(uow, actor: dict) -> dict:
    repo = uow.repository
    requests = repo.requests_of(actor["member_id"])
    return {
        "help_requests": [{"id": r.id, "title": r.title, "description": r.description, "category": r.category,
                           "status": r.status, "created_at": isoformat_z(r.created_at)} for r in requests],
        "offers": [{"id": o.id, "request_id": o.request_id, "message": o.message,
                    "created_at": isoformat_z(o.created_at), "withdrawn": o.withdrawn}
                   for o in repo.offers_of(actor["member_id"])],
    }
