"""What the spaces service does, as plain functions over a unit of work (its repository and outbox) and `now`.

The rules themselves are in `domain`; here they meet the stored spaces and bookings. No two live bookings of
one space overlap (buffer included) because a booking first claims its time in the space's week ledgers with
conditional updates (see `SpacesRepository.claim` and `WeekLedger`), whatever the number of simultaneous
requests and of service instances; only then is the booking stored, in a unit of work of its own. The
domain's refusals become the errors that cross the wire in one place, `wire_errors`.
"""
import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from services.common.clock import as_utc, isoformat_z, parse_iso
from services.common.errors import Conflict, Forbidden, Invalid, NotFound, RuleBroken, WireErrors
from services.common.schemas import load
from services.contracts.spaces import (
    RULE_DEFAULTS, AvailabilityQuerySchema, BookingListQuerySchema, BookingRequestSchema, SpaceChangeSchema,
    SpaceRequestSchema,
)
from services.spaces import calendar, domain, events
from services.spaces.models import Booking, FeedLink, Space, StoredRules, new_id
from services.spaces.repository import LIVE

CLAIM_ATTEMPTS = 50  # optimistic retries when other bookings of the same space land at the same moment
ORPHAN_AFTER = timedelta(minutes=2)
BOOKING_IDS = uuid.UUID("5d0f3c2e-8a4b-4f7e-9c61-2b7d9e0a1c55")  # the namespace of ids made from request keys


def _broken(broken: domain.RuleBroken) -> RuleBroken:
    limit = {} if broken.limit is None else {"limit": broken.limit}
    return RuleBroken(broken.message, extra={"rule": broken.rule, **limit})


def _clash(clash: domain.Clash) -> Conflict:
    return Conflict(str(clash), extra={"conflicts": [
        {"id": hit.booking_id, "start": isoformat_z(hit.start), "end": isoformat_z(hit.end)} for hit in clash.hits]})


wire_errors = WireErrors({
    domain.InvalidRules: lambda invalid: Invalid(f"The rules do not fit together: {invalid.message}",
                                                 errors={f"rules.{invalid.field}": [invalid.message]}),
    domain.NotATimeOfDay: lambda invalid: Invalid(f"The rules are not valid: {invalid}",
                                                  errors={"rules": [str(invalid)]}),
    domain.RuleBroken: _broken,
    domain.Clash: _clash,
    domain.NotAllowed: Forbidden,
    domain.NotPending: lambda pending: Conflict(str(pending), extra={"current_status": pending.current_status}),
})


# -- spaces -------------------------------------------------------------------------------------------------
def domain_rules(stored: StoredRules) -> domain.Rules:
    return domain.Rules(
        open_from=domain.parse_hhmm(stored.open_from), open_until=domain.parse_hhmm(stored.open_until, end_of_day=True),
        slot_minutes=stored.slot_minutes, min_duration_minutes=stored.min_duration_minutes,
        max_duration_minutes=stored.max_duration_minutes, max_days_ahead=stored.max_days_ahead,
        household_quota_minutes_per_week=stored.household_quota_minutes_per_week,
        requires_approval=stored.requires_approval, buffer_minutes=stored.buffer_minutes,
    )


def checked_rules(values: dict) -> StoredRules:
    stored = StoredRules(**{**RULE_DEFAULTS, **values})
    domain_rules(stored)  # raises for rules that do not fit together
    return stored


def rules_view(stored: StoredRules) -> dict:
    return {field: getattr(stored, field) for field in RULE_DEFAULTS}


def space_view(space: Space) -> dict:
    return {"id": space.id, "name": space.name, "description": space.description, "capacity": space.capacity,
            "rules": rules_view(space.rules), "active": space.active,
            "created_at": isoformat_z(space.created_at), "updated_at": isoformat_z(space.updated_at)}


@wire_errors
def create_space(uow, actor: dict, body: dict, now) -> dict:
    domain.check_organiser(actor["role"])
    data = load(SpaceRequestSchema, body)
    space = Space(community_id=actor["community_id"], name=data["name"].strip(), description=data["description"],
                  capacity=data["capacity"], rules=checked_rules(data["rules"]), created_at=now, updated_at=now)
    with uow:
        uow.add(space)
        uow.commit()
    return space_view(space)


@wire_errors
def change_space(uow, actor: dict, space_id: str, body: dict, now) -> dict:
    domain.check_organiser(actor["role"])
    with uow:
        space = _space(uow.repository, actor, space_id)
        changes = load(SpaceChangeSchema, body)
        if "rules" in changes:
            space.rules = checked_rules({**rules_view(space.rules), **changes.pop("rules")})
        for field, value in changes.items():
            setattr(space, field, value.strip() if field == "name" else value)
        space.updated_at = now
        uow.save(space)  # existing bookings keep the time they hold under the old rules
        uow.commit()
    return space_view(space)


def list_spaces(uow, actor: dict) -> dict:
    spaces = [space for space in uow.repository.spaces(actor["community_id"])
              if space.active or actor["role"] == "organiser"]
    return {"items": [space_view(space) for space in spaces], "next": None}


def get_space(uow, actor: dict, space_id: str) -> dict:
    return space_view(_space(uow.repository, actor, space_id))


def _space(repo, actor: dict, space_id: str) -> Space:
    space = repo.space(actor["community_id"], space_id) if isinstance(space_id, str) else None
    if space is None:
        raise NotFound("There is no such room in your community.")
    return space


def availability(uow, actor: dict, space_id: str, query: dict) -> dict:
    day: date = load(AvailabilityQuerySchema, query)["date"]
    space = _space(uow.repository, actor, space_id)
    tz = ZoneInfo(actor["timezone"])
    rules = domain_rules(space.rules)
    day_start, day_end = domain.day_bounds(day, tz)
    margin = timedelta(minutes=rules.buffer_minutes)
    claims = uow.repository.ledgers(space.id, day_start - margin - timedelta(days=31), day_end + margin).live_claims()
    busy = [domain.Booked(c["booking_id"], c["start"], c["end"]) for c in claims
            if c["start"] < day_end + margin and c["end"] + margin > day_start - margin]
    found = domain.availability(rules, day, tz, busy)
    intervals = {key: [{"start": isoformat_z(start), "end": isoformat_z(end)} for start, end in value]
                 for key, value in found.items()}
    return {"date": day.isoformat(), "timezone": actor["timezone"], **intervals}


# -- bookings -----------------------------------------------------------------------------------------------
def booking_view(booking: Booking, actor: dict, occurrences: list | None = None) -> dict:
    mine = booking.member_id == actor["member_id"]
    view = {
        "id": booking.id, "space_id": booking.space_id, "space_name": booking.space_name,
        "member_id": booking.member_id, "start": isoformat_z(booking.start), "end": isoformat_z(booking.end),
        "status": booking.status, "series_id": booking.series_id, "mine": mine,
        "created_at": isoformat_z(booking.created_at),
    }
    if mine or actor["role"] == "organiser":
        view["purpose"] = booking.purpose
    if occurrences is not None:
        view["occurrences"] = occurrences
    return view


@wire_errors
def book(uow, actor: dict, body: dict, now, *, request_key: str | None = None) -> dict:
    """Book a space once, or weekly: every free date of a series is booked, the others are reported.

    `request_key` names the request (its Idempotency-Key) when there is one: the bookings' ids are made from
    it, so a repeat that takes over from an attempt killed half-way finds what that attempt already claimed
    or stored, instead of clashing with it."""
    data = load(BookingRequestSchema, body)
    space = _space(uow.repository, actor, data["space_id"])
    domain.check_open(space.active)
    tz = ZoneInfo(actor["timezone"])
    start, end = as_utc(data["start"]), as_utc(data["end"])
    count = data.get("repeat_weekly")
    if not count:
        booking = _book_one(uow, actor, space, start, end, data["purpose"], None, tz, now,
                            booking_id=_booking_id(request_key, 0), request_key=request_key)
        return booking_view(booking, actor)

    series_id = _booking_id(request_key, "series") if count > 1 else None
    booked, occurrences, first_refusal = [], [], None
    for index, (when_start, when_end) in enumerate(domain.weekly_series(start, end, count, tz)):
        outcome = {"start": isoformat_z(when_start), "end": isoformat_z(when_end)}
        try:
            booking = _book_one(uow, actor, space, when_start, when_end, data["purpose"], series_id, tz, now,
                                booking_id=_booking_id(request_key, index), request_key=request_key)
        except (RuleBroken, Conflict) as refusal:
            first_refusal = first_refusal or refusal
            outcome.update(status="refused", booking_id=None, reason=refusal.detail,
                           rule=refusal.extra.get("rule", "clash"))
            if "conflicts" in refusal.extra:
                outcome["conflicts"] = refusal.extra["conflicts"]
        else:
            booked.append(booking)
            outcome.update(status=booking.status, booking_id=booking.id, reason=None, rule=None)
        occurrences.append(outcome)
    if not booked:
        raise type(first_refusal)(first_refusal.detail, errors=first_refusal.errors,
                                  extra={**first_refusal.extra, "occurrences": occurrences})
    return booking_view(booked[0], actor, occurrences)


def _booking_id(request_key: str | None, occurrence: int | str) -> str:
    if not request_key:
        return new_id()
    return str(uuid.uuid5(BOOKING_IDS, f"{request_key}#{occurrence}"))


@wire_errors  # here too: a series answers each refused date with the wire error's facts
def _book_one(uow, actor, space: Space, start, end, purpose, series_id, tz, now, *, booking_id: str,
              request_key: str | None) -> Booking:
    """Claim the time of one booking in the space's week ledgers, then store it: one unit of work a booking."""
    repo = uow.repository
    if request_key:  # an earlier attempt at this very request may have stored it (its events go out with it)
        earlier = repo.booking(actor["community_id"], booking_id)
        if earlier is not None:
            uow.publish_after_reply(earlier)
            return earlier
    rules = domain_rules(space.rules)
    household = domain.Household(actor["member_id"], actor.get("household"))
    # Every rule but the quota first: they bound the booking's length and date, and so what is read next.
    domain.check_booking(rules, start, end, now=now, tz=tz, household_minutes_booked_in_week=0)
    buffer = timedelta(minutes=rules.buffer_minutes)
    quota = domain.HouseholdQuota.of(rules, tz)
    # Read every week that decides a clash (the booking with a buffer on both sides; a booking that is still
    # running when this one starts began at most a maximum duration earlier) and the household's quota week.
    read_from, read_until = start - buffer - timedelta(minutes=rules.max_duration_minutes), end + buffer
    guard = []
    if quota:
        quota_start, quota_end = quota.week(start)
        read_from, read_until = min(quota_start, read_from), max(quota_end, read_until)
        guard = quota.guard_weeks(start)
    for _ in range(CLAIM_ATTEMPTS):
        ledgers = repo.ledgers(space.id, read_from, read_until)
        # An earlier attempt at this request may have claimed the time and died before storing the booking.
        already_claimed = any(c["booking_id"] == booking_id for c in ledgers.claims)
        existing = [domain.Booked(c["booking_id"], c["start"], c["end"], c["member_id"], c.get("household"))
                    for c in ledgers.live_claims() if c["booking_id"] != booking_id]
        if quota:
            quota.check(quota.minutes_held(household, existing, start), domain.duration_minutes(start, end))
        domain.check_no_clash((start, end), existing, rules.buffer_minutes)
        if already_claimed or repo.claim(space, ledgers, booking_id=booking_id, start=start, end=end,
                                         blocked_end=end + buffer, member_id=actor["member_id"],
                                         household=household.name, now=now, guard=guard):
            status = "pending" if rules.requires_approval else "confirmed"
            booking = Booking(
                id=booking_id, community_id=actor["community_id"], space_id=space.id, space_name=space.name,
                member_id=actor["member_id"], member_name=actor.get("display_name"), household=household.name,
                timezone=actor["timezone"], start=start, end=end, purpose=purpose, status=status,
                series_id=series_id, created_at=now, updated_at=now, acted_by=_acted_by(actor),
            )
            booking.record(events.booking_event(
                "booking.requested" if status == "pending" else "booking.confirmed", booking, now))
            with uow:
                uow.add(booking)
                uow.commit()
            return booking
    raise Conflict("Many people are booking this room right now. Please try again in a moment.")


def list_bookings(uow, actor: dict, query: dict) -> dict:
    data = load(BookingListQuerySchema, query)
    page, next_cursor = uow.repository.list_bookings(
        actor["community_id"], space_id=data.get("space_id"),
        member_id=actor["member_id"] if data["mine"] else None,
        start=data.get("from_"), end=data.get("to"), limit=data["limit"], cursor=data["cursor"],
    )
    return {"items": [booking_view(booking, actor) for booking in page], "next": next_cursor}


def get_booking(uow, actor: dict, booking_id: str) -> dict:
    return booking_view(_booking(uow.repository, actor, booking_id), actor)


def _booking(repo, actor: dict, booking_id: str) -> Booking:
    booking = repo.booking(actor["community_id"], booking_id) if isinstance(booking_id, str) else None
    if booking is None:
        raise NotFound("There is no such booking in your community.")
    return booking


@wire_errors
def cancel(uow, actor: dict, booking_id: str, *, whole_series: bool, now) -> None:
    booking = _booking(uow.repository, actor, booking_id)
    domain.check_may_cancel(booking.member_id, actor["member_id"], actor["role"])
    targets = [booking]
    if whole_series and booking.series_id:
        targets += [b for b in uow.repository.series_bookings(actor["community_id"], booking.series_id,
                                                              from_start=as_utc(booking.start)) if b.id != booking.id]
    for target in targets:
        _end(uow, target, "cancelled", by=actor["member_id"], now=now,
             reason="cancelled by an organiser" if target.member_id != actor["member_id"] else "cancelled")


def cancel_by_request(uow, actor: dict, request_key: str, now) -> dict:
    """Cancel the booking (of one date: a request with a series is not withdrawn so) that the request named by
    `request_key` made, if it made one; {"cancelled": bool}. Repeatable."""
    booking = uow.repository.booking(actor["community_id"], _booking_id(request_key, 0))
    if booking is None or booking.status not in LIVE:
        return {"cancelled": False}
    _end(uow, booking, "cancelled", by=actor["member_id"], now=now, reason="cancelled")
    return {"cancelled": True}


def _end(uow, booking: Booking, status: str, *, by: str, now, reason: str) -> None:
    """Cancel or reject a live booking: store the new state with its event (one unit of work), then free its
    time."""
    if booking.status not in LIVE:
        return  # cancelling twice changes nothing
    with uow:
        booking.status = status
        booking.updated_at = now
        booking.sequence += 1
        if status == "cancelled":
            booking.cancelled_by = by
            booking.record(events.booking_event("booking.cancelled", booking, now, cancelled_by=by, reason=reason))
        else:
            booking.decided_by = by
            booking.record(events.booking_event("booking.rejected", booking, now, decided_by=by))
        uow.save(booking)
        uow.commit()
    uow.repository.release(booking.space_id, booking.id)


@wire_errors
def approve(uow, actor: dict, booking_id: str, now) -> dict:
    domain.check_organiser(actor["role"])
    with uow:
        booking = _booking(uow.repository, actor, booking_id)
        domain.check_pending(booking.status)
        booking.status = "confirmed"
        booking.decided_by = actor["member_id"]
        booking.updated_at = now
        booking.sequence += 1
        booking.record(events.booking_event("booking.approved", booking, now, decided_by=actor["member_id"]))
        uow.save(booking)
        uow.commit()
    return booking_view(booking, actor)


@wire_errors
def reject(uow, actor: dict, booking_id: str, now) -> dict:
    domain.check_organiser(actor["role"])
    booking = _booking(uow.repository, actor, booking_id)
    domain.check_pending(booking.status)
    _end(uow, booking, "rejected", by=actor["member_id"], now=now, reason="rejected")
    return booking_view(booking, actor)


# -- timers -------------------------------------------------------------------------------------------------
def publish_reminders(uow, *, lead: timedelta, now) -> int:
    """Once per booking, even with several instances: the conditional update that stores the reminder with its
    event decides who publishes."""
    published = 0
    for booking in uow.repository.due_for_reminder(now, lead):
        event = events.booking_event("booking.reminder_came_due", booking, now)
        if uow.repository.mark_reminder(booking, event, now):
            booking.outbox = [event]
            uow.publish_after_reply(booking)
            published += 1
    return published


def tidy(uow, now) -> None:
    uow.repository.forget_ledgers_before(domain.HouseholdQuota.counts_since(now))
    for space_id, booking_id in uow.repository.orphaned_claims(now - ORPHAN_AFTER):
        uow.repository.release(space_id, booking_id)


# -- members who leave ------------------------------------------------------------------------------------
def on_member_gone(uow, member_id: str, *, erased: bool, now) -> None:
    reason = "member erased" if erased else "member deactivated"
    for booking in uow.repository.future_bookings_of(member_id, now):
        _end(uow, booking, "cancelled", by="system", now=now, reason=reason)
    if erased:
        uow.repository.anonymise_bookings_of(member_id)
        uow.repository.forget_feed_link(member_id)


def export(uow, actor: dict) -> dict:
    return {"bookings": [booking_view(booking, actor) for booking in
                         uow.repository.all_bookings_of(actor["community_id"], actor["member_id"])]}


# -- calendars ----------------------------------------------------------------------------------------------
def _entry(booking: Booking, *, detailed: bool) -> calendar.FeedEntry:
    summary = booking.space_name + (f": {booking.purpose}" if detailed and booking.purpose else "")
    return calendar.FeedEntry(
        uid=f"booking-{booking.id}@cohousing-altona", start=as_utc(booking.start), end=as_utc(booking.end),
        summary=summary, location=booking.space_name,
        status="TENTATIVE" if booking.status == "pending" else "CONFIRMED",
        last_modified=as_utc(booking.updated_at), sequence=booking.sequence,
    )


def space_calendar(uow, actor: dict, space_id: str, now) -> str:
    space = _space(uow.repository, actor, space_id)
    bookings = uow.repository.live_bookings_between(actor["community_id"], space.id, now - timedelta(days=31),
                                          now + timedelta(days=400))
    entries = [_entry(b, detailed=b.member_id == actor["member_id"] or actor["role"] == "organiser")
               for b in bookings]
    return calendar.render_feed(name=space.name, entries=entries, tz_name=actor["timezone"], now=now).decode()


def new_feed_link(uow, actor: dict, now) -> dict:
    token = calendar.feed_token()
    uow.save_and_commit(FeedLink(id=actor["member_id"], community_id=actor["community_id"],  # in place of the last
                                 token_hash=calendar.feed_token_hash(token), created_at=now))
    return {"token": token, "path": f"/api/v1/calendar/{token}.ics"}


def member_calendar(uow, token: str, now, *, activities=None) -> str:
    """The member's bookings, and (`activities(community_id, member_id)`, the activities service's entries as
    dicts of `calendar.FeedEntry`'s fields, times as ISO strings) the activities they signed up for."""
    link = uow.repository.feed_link(calendar.feed_token_hash(token)) if isinstance(token, str) else None
    if link is None:
        raise NotFound("This calendar link is not known (it may have been replaced by a newer one).")
    bookings = [b for b in uow.repository.all_bookings_of(link.community_id, link.id)
                if b.status in LIVE and as_utc(b.end) > now - timedelta(days=31)]
    tz_name = bookings[0].timezone if bookings else domain.DEFAULT_COMMUNITY_TZ.key
    entries = [_entry(b, detailed=True) for b in bookings]
    for item in (activities(link.community_id, link.id) if activities else []):
        entries.append(calendar.FeedEntry(
            uid=item["uid"], start=parse_iso(item["start"]), end=parse_iso(item["end"]), summary=item["summary"],
            location=item.get("location") or "", status=item.get("status") or "CONFIRMED",
            last_modified=parse_iso(item["last_modified"]) if item.get("last_modified") else None,
            sequence=item.get("sequence") or 0))
    return calendar.render_feed(name="My bookings", entries=entries, tz_name=tz_name, now=now).decode()



def _acted_by(actor: dict) -> str | None:
    """The trusted person who acts for the member, if one does (`gateway.delegation`)."""
    return (actor.get("acted_by") or {}).get("member_id")
