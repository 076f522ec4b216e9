"""What the activities service does, as plain functions over a unit of work (its repository and outbox), `now`,
and, for an activity in a room, `call` (another service, with a deadline: `services.common.calls`).

Places never exceed the capacity, and nobody is signed up twice, because a sign-up is one conditional update of
the activity document (see `repository`), never a check followed by an insert.

An activity in a room is never half made, and leaves no booking behind that belongs to no activity, also when the
spaces service or the broker fails in between:
1. The activity is stored first as *pending* (seen by nobody) with a fresh key for its booking request and a time
   by which it must be settled (`pending_until`, well beyond the call's deadline).
2. The room is booked through the spaces service (`spaces.book`, as the gateway books, with the key as its
   Idempotency-Key): the room's rules apply as for anyone.
3. Booked: the activity goes from pending to open, with `activity.created`, in one conditional update. Refused
   (a clash: 409 with the clashing bookings; a rule: 422; no such room: 404): the pending activity is removed and
   the refusal answered: no activity exists. No answer (spaces or the broker away, a timeout): 503, and the
   pending activity stays for step 4, because the request may still be carried out.
4. A timer settles every pending activity past its time (its creation died half-way, or got no answer), in every
   instance: it marks it abandoned (from then on step 3 cannot open it), asks spaces to withdraw the booking
   request by its key (`spaces.withdraw_booking_request`: from then on nothing is booked under that key, and what
   was booked under it is cancelled), and only then removes the activity. Should spaces still be away, the
   activity stays abandoned, unseen, and the next run tries again. Each step is repeatable, so two instances
   settling the same activity do no harm.
Cancelling an activity cancels it first (everyone signed up is told) and then releases the room by the same
withdrawal: its key goes to `release_keys` in the cancelling write, and is taken off once withdrawn (the timer
retries while spaces is away). Moving an activity to another time books the room anew first, under a key noted
on the activity beforehand (`rebooking_key`, to be withdrawn by the timer should the change not finish): refused
(a clash), nothing changes; booked, the new time, the new booking and the old booking's key in `release_keys` are
written in one conditional update, and the old booking is withdrawn like a cancelled one's.
"""
import uuid
from datetime import datetime, timedelta

from services.activities import domain, events
from services.activities.models import Activity, Participant
from services.common.calls import NoAnswer
from services.common.clock import as_utc, isoformat_z
from services.common.errors import (
    Conflict, Forbidden, Invalid, NotFound, ServiceError, Unavailable, WireErrors,
)
from services.common.members import copy_profile
from services.common.schemas import load
from services.contracts.activities import (
    ActivityChangeSchema, ActivityListQuerySchema, ActivityRequestSchema, SignupRequestSchema,
)

BATCH = 200
ATTEMPTS = 20

wire_errors = WireErrors({
    domain.InvalidSignup: lambda invalid: Invalid(str(invalid), errors=invalid.errors),
    domain.SignupsClosed: Conflict,
    domain.AlreadySignedUp: Conflict,
    domain.RoleTaken: Conflict,
    domain.NoRoomForGuests: Conflict,
    domain.NotSignedUp: NotFound,
    domain.NotAllowed: Forbidden,
})


def _utc(moment):
    return as_utc(moment) if moment is not None else None


# -- views ----------------------------------------------------------------------------------------------------
def _shown_text(activity: Activity, language: str | None) -> tuple[str, str, str | None]:
    """(title, description, language) in the reader's language where the activity has it, else as written."""
    translated = (activity.translations or {}).get(language or "")
    if translated:
        return translated["title"], translated.get("description") or "", language
    return activity.title, activity.description or "", None


def _participant_view(signup: dict, signups: list[dict], names: dict, roles: dict) -> dict:
    known = names.get(signup["m"])
    return {"member_id": signup["m"], "display_name": known.display_name if known else signup.get("name"),
            "guests": signup["guests"], "role": roles.get(signup.get("role")), "status": signup["status"],
            "position": domain.position(signups, signup["m"]), "note": signup.get("note") or None}


def activity_view(repo, activity: Activity, actor: dict) -> dict:
    signups = list(activity.signups)
    roles = {role["key"]: role["name"] for role in activity.roles}
    taken = domain.counts(signups)
    title, description, language = _shown_text(activity, actor.get("preferred_language"))
    mine = next((s for s in signups if s["m"] == actor["member_id"]), None)
    view = {
        "id": activity.id, "title": title, "description": description, "language": language,
        "translations": dict(activity.translations or {}),
        "starts_at": isoformat_z(activity.starts_at), "ends_at": isoformat_z(activity.ends_at),
        "space_id": activity.space_id, "space_name": activity.space_name, "booking_id": activity.booking_id,
        "place": activity.place, "capacity": activity.capacity, "places_taken": taken.places_taken,
        "places_left": None if activity.capacity is None else max(activity.capacity - taken.places_taken, 0),
        "signup_until": isoformat_z(activity.signup_until), "guests_per_signup": activity.guests_per_signup,
        "roles": [{"name": role["name"], "needed": role["needed"], "taken": taken.role_taken.get(role["key"], 0)}
                  for role in activity.roles],
        "status": activity.status, "created_by": activity.created_by, "created_by_name": activity.created_by_name,
        "confirmed": taken.confirmed, "waitlisted": taken.waitlisted,
        "my_signup": None, "created_at": isoformat_z(activity.created_at),
        "may_cancel": activity.status == "open" and (actor["member_id"] == activity.created_by
                                                     or actor["role"] == "organiser"),
    }
    names = repo.participants_by_id([s["m"] for s in signups])
    if mine is not None:
        view["my_signup"] = _participant_view(mine, signups, names, roles)
    if domain.may_see_participants(signups=signups, viewer_id=actor["member_id"], viewer_role=actor["role"],
                                   created_by=activity.created_by):
        view["participants"] = [_participant_view(s, signups, names, roles) for s in signups]
    return view


def _shown(repo, actor: dict, activity_id) -> Activity:
    activity = repo.activity(actor["community_id"], activity_id) if isinstance(activity_id, str) else None
    if activity is None or activity.status not in ("open", "cancelled"):
        raise NotFound("There is no such activity in your community.")
    return activity


def get_activity(uow, actor: dict, activity_id) -> dict:
    return activity_view(uow.repository, _shown(uow.repository, actor, activity_id), actor)


def list_activities(uow, actor: dict, query: dict, now: datetime) -> dict:
    """Soonest first; from now on unless `from` says otherwise."""
    data = load(ActivityListQuerySchema, query)
    repo = uow.repository
    page, next_cursor = repo.list_activities(actor["community_id"], start=data.get("from") or now,
                                             end=data.get("to"), limit=data["limit"], cursor=data["cursor"])
    return {"items": [activity_view(repo, activity, actor) for activity in page], "next": next_cursor}


# -- creating and cancelling --------------------------------------------------------------------------------
def _new_activity(actor: dict, data: dict, now: datetime) -> Activity:
    roles = [{"key": f"r{index}", "name": role["name"].strip(), "needed": role["needed"]}
             for index, role in enumerate(data["roles"])]
    return Activity(
        id=str(uuid.uuid4()), community_id=actor["community_id"], title=data["title"].strip(),
        description=data["description"], translations=data["translations"],
        starts_at=as_utc(data["starts_at"]), ends_at=as_utc(data["ends_at"]), space_id=data.get("space_id"),
        place=(data.get("place") or "").strip() or None, capacity=data.get("capacity"),
        signup_until=_utc(data.get("signup_until")), guests_per_signup=data["guests_per_signup"], roles=roles,
        role_free={role["key"]: role["needed"] for role in roles}, created_by=actor["member_id"],
        created_by_name=actor.get("display_name"), timezone=actor.get("timezone"),
        created_at=now, updated_at=now, reminder_at=domain.reminder_at(as_utc(data["starts_at"]), now))


def _booker(actor: dict) -> dict:
    """The actor the room is booked as, kept to withdraw the booking as them later."""
    keep = ("member_id", "community_id", "role", "timezone", "household", "display_name", "preferred_language")
    return {key: actor.get(key) for key in keep}


def create(uow, call, actor: dict, body: dict, now: datetime, *, pending_for: timedelta) -> dict:
    """Create an activity; with a room, book it first (see the module's docstring for why nothing is half made)."""
    data = load(ActivityRequestSchema, body)
    if as_utc(data["starts_at"]) <= now:
        raise Invalid("It must start in the future.", errors={"starts_at": ["Must be in the future."]})
    repo = uow.repository
    activity = _new_activity(actor, data, now)
    if not activity.space_id:
        activity.status = "open"
        activity.record(events.activity_created(activity, now))
        with uow:
            uow.add(activity)
            uow.commit()
        return activity_view(repo, activity, actor)

    activity.status, activity.booking_key = "pending", str(uuid.uuid4())
    activity.booker, activity.pending_until = _booker(actor), now + pending_for
    with uow:
        uow.add(activity)
        uow.commit()
    booking_request = {"space_id": activity.space_id, "start": isoformat_z(activity.starts_at),
                       "end": isoformat_z(activity.ends_at), "purpose": activity.title}
    try:
        booking = call("spaces", "book", actor, booking_request, idempotency_key=activity.booking_key)
    except NoAnswer as silence:  # it may still be carried out: the timer settles it (step 4)
        raise Unavailable(f"The rooms could not be asked ({silence}); no activity was created. "
                          "Please try again in a moment.", extra={"service": silence.service})
    except ServiceError:  # refused (a clash, a rule, no such room): nothing was booked, so nothing exists
        repo.discard(activity.id)
        raise
    activity.booking_id, activity.space_name = booking["id"], booking.get("space_name")
    activity.status = "open"
    if not repo.confirm_pending(activity.id, booking["id"], activity.space_name, events.activity_created(activity, now),
                                now):
        raise Unavailable("Creating the activity took too long; no activity was created. Please try again.")
    created = repo.reload(activity.id)
    uow.publish_after_reply(created)
    return activity_view(repo, created, actor)


@wire_errors
def cancel(uow, call, actor: dict, activity_id, now: datetime) -> None:
    """The creator or an organiser cancels: everyone signed up is told, and the room is released."""
    activity = _shown(uow.repository, actor, activity_id)
    domain.check_may_cancel(viewer_id=actor["member_id"], viewer_role=actor["role"], created_by=activity.created_by)
    _cancel(uow, call, activity.id, by=actor["member_id"], now=now)


def _cancel(uow, call, activity_id: str, *, by: str, now: datetime) -> None:
    repo = uow.repository
    for _ in range(ATTEMPTS):
        activity = repo.reload(activity_id)
        if activity is None or activity.status != "open":
            return  # cancelling twice changes nothing
        notify = [s["m"] for s in activity.signups]
        if repo.cancel(activity, events.activity_cancelled(activity, notify, by, now), now):
            cancelled = repo.reload(activity.id)
            uow.publish_after_reply(cancelled)
            if call is not None:
                release_rooms(repo, call, cancelled)  # else (or should spaces be away) the timer releases it
            return
    raise Conflict("This activity changed a moment ago. Please try again.")


def withdraw(call, activity: Activity, key: str) -> bool:
    """Withdraw a booking request of the activity's (cancels what it booked); False if spaces cannot be asked
    now (the timer tries again)."""
    try:
        call("spaces", "withdraw_booking_request", activity.booker, key)
    except (NoAnswer, Conflict):
        return False
    return True


def release_rooms(repo, call, activity: Activity) -> bool:
    """Withdraw every booking the activity let go of; True if none is left."""
    done = True
    for key in list(activity.release_keys):
        if withdraw(call, activity, key):
            repo.released(activity.id, key)
        else:
            done = False
    return done


def settle_unfinished(uow, call, now: datetime) -> int:
    """The timer's step 4 (see the module's docstring), the bookings let go of, and changes of time that did not
    finish; how many activities were settled."""
    repo = uow.repository
    settled = 0
    for activity in repo.unfinished(now, BATCH):
        if activity.status in ("pending", "abandoned"):
            if activity.status == "pending":
                repo.abandon_pending(activity.id)
                activity = repo.reload(activity.id)
                if activity is None or activity.status != "abandoned":
                    continue  # opened (or settled) meanwhile
            if withdraw(call, activity, activity.booking_key):
                repo.discard(activity.id)
                settled += 1
            continue
        finished = release_rooms(repo, call, activity)
        if activity.rebooking_key and activity.rebooking_until and as_utc(activity.rebooking_until) <= now:
            if withdraw(call, activity, activity.rebooking_key):
                repo.end_rebooking(activity.id, activity.rebooking_key)
            else:
                finished = False
        settled += finished
    return settled


@wire_errors
def change(uow, call, actor: dict, activity_id, body: dict, now: datetime, *, pending_for: timedelta) -> dict:
    """The creator or an organiser changes the title, texts, place or time; the sign-ups stay. With a room, a new
    time is booked first (see the module's docstring). A change of time tells everyone signed up."""
    data = load(ActivityChangeSchema, body)
    repo = uow.repository
    activity = _shown(repo, actor, activity_id)
    domain.check_may_cancel(viewer_id=actor["member_id"], viewer_role=actor["role"], created_by=activity.created_by)
    if activity.status != "open":
        raise domain.SignupsClosed("This activity has been cancelled.")
    starts_at = as_utc(data.get("starts_at") or activity.starts_at)
    ends_at = as_utc(data.get("ends_at") or activity.ends_at)
    moved = (starts_at, ends_at) != (as_utc(activity.starts_at), as_utc(activity.ends_at))
    if ends_at <= starts_at:
        raise Invalid("It must end after it starts.", errors={"ends_at": ["Must be after starts_at."]})
    if moved and starts_at <= now:
        raise Invalid("It must start in the future.", errors={"starts_at": ["Must be in the future."]})
    changes = {name: data[name] for name in ("title", "description", "translations") if name in data}
    if "place" in data and not activity.space_id:
        changes["place"] = (data["place"] or "").strip() or None
    if "signup_until" in data:
        changes["signup_until"] = _utc(data["signup_until"])
    if changes.get("signup_until") and changes["signup_until"] > starts_at:
        raise Invalid("Sign-ups must close by the time it starts.", errors={"signup_until": ["Too late."]})
    if moved:
        changes.update(starts_at=starts_at, ends_at=ends_at, reminder_at=domain.reminder_at(starts_at, now))
    for name, value in changes.items():
        setattr(activity, name, value)
    notify = [s["m"] for s in activity.signups] if moved else []
    event = events.activity_changed(activity, notify, moved=moved, by=actor["member_id"], now=now)
    key = booking_id = None
    if moved and activity.space_id:
        key = str(uuid.uuid4())
        if not repo.begin_rebooking(activity, key, now + pending_for):
            raise Conflict("This activity changed a moment ago. Please look again.")
        activity.version += 1
        try:
            booking = call("spaces", "book", activity.booker, {
                "space_id": activity.space_id, "start": isoformat_z(starts_at), "end": isoformat_z(ends_at),
                "purpose": activity.title}, idempotency_key=key)
        except NoAnswer as silence:
            raise Unavailable(f"The rooms could not be asked ({silence}); nothing was changed. "
                              "Please try again in a moment.", extra={"service": silence.service})
        except ServiceError:
            repo.end_rebooking(activity.id, key)  # refused: nothing was booked, nothing changes
            raise
        booking_id = booking["id"]
    if not repo.move(activity, changes, key=key, booking_id=booking_id, event=event, now=now):
        if key:
            withdraw(call, activity, key)  # should spaces be away now, the timer withdraws it
            repo.end_rebooking(activity.id, key)
        raise Conflict("This activity changed a moment ago. Please look again.")
    moved_activity = repo.reload(activity.id)
    uow.publish_after_reply(moved_activity)
    if key:
        release_rooms(repo, call, moved_activity)
    return activity_view(repo, repo.reload(activity.id), actor)


# -- signing up and leaving -----------------------------------------------------------------------------------
@wire_errors
def sign_up(uow, actor: dict, activity_id, body: dict, now: datetime) -> dict:
    """Confirmed while places (and the role's slots) are left, else on the waiting list; one conditional update
    each (see `repository`)."""
    data = load(SignupRequestSchema, body if body is not None else {})
    repo = uow.repository
    activity = repo.header(actor["community_id"], activity_id) if isinstance(activity_id, str) else None
    if activity is None or activity.status not in ("open", "cancelled"):
        raise NotFound("There is no such activity in your community.")
    domain.check_may_sign_up(status=activity.status, starts_at=as_utc(activity.starts_at),
                             signup_until=_utc(activity.signup_until), now=now)
    domain.check_guests(data["guests"], activity.guests_per_signup)
    role = domain.role_key(activity.roles, data.get("role"))
    places = domain.places_of(data["guests"], role)
    if activity.capacity is not None and places > activity.capacity:
        raise Invalid("More than this activity has places.", errors={"guests": ["Too many for the places."]})
    member_id = actor["member_id"]  # signed up already: the conditional updates below do not match
    entry = {"m": member_id, "name": actor.get("display_name"), "guests": data["guests"], "role": role,
             "note": (data.get("note") or "").strip() or None, "at": now}
    confirmed = dict(entry, status=domain.CONFIRMED)
    event = events.signup_event("signup.confirmed", activity, confirmed, now)
    after = repo.sign_up_confirmed(activity.id, confirmed, places=places, capacity=activity.capacity, role=role,
                                   event=event, now=now)
    if after is None:
        if role:  # a role is not waited for: either its slots are taken, or the places for the guests
            fresh = repo.reload(activity.id)
            _refuse_again(fresh, member_id)
            if fresh.role_free.get(role, 0) < 1:
                raise domain.RoleTaken("Every slot of this role is taken.")
            raise domain.NoRoomForGuests("There are not enough places left for your guests.")
        waiting = dict(entry, status=domain.WAITLISTED)
        event = events.signup_event("signup.waitlisted", activity, waiting, now)
        after = repo.sign_up_waitlisted(activity.id, waiting, now=now, event=event)
        if after is None:
            _refuse_again(repo.reload(activity.id), member_id)
            raise Conflict("This activity changed a moment ago. Please try again.")
    # The event is stored with the sign-up; it goes out after the reply (others pending go with the relay).
    uow.publish_after_reply(Activity(id=activity.id, outbox=[event]))
    mine = next(s for s in after["signups"] if s["m"] == member_id)
    return {"status": mine["status"], "position": domain.position(after["signups"], member_id),
            "guests": mine["guests"], "role": data.get("role")}


def _refuse_again(activity: Activity | None, member_id: str) -> None:
    """Why a conditional sign-up did not match, when it was not for lack of places."""
    if activity is None or activity.status != "open":
        raise domain.SignupsClosed("This activity has been cancelled.")
    if any(s["m"] == member_id for s in activity.signups):
        raise domain.AlreadySignedUp("You are signed up for this activity already.")


@wire_errors
def leave(uow, actor: dict, activity_id, now: datetime) -> None:
    repo = uow.repository
    activity = _shown(repo, actor, activity_id)
    if not _leave(repo, uow, activity.id, actor["member_id"], now, reason="left"):
        raise domain.NotSignedUp("You are not signed up for this activity.")


def _leave(repo, uow, activity_id: str, member_id: str, now: datetime, *, reason: str) -> bool:
    """Take the member's sign-up out and move up whoever fits, in one write conditional on the version read;
    False if they were not signed up."""
    for _ in range(ATTEMPTS):
        activity = repo.reload(activity_id)
        if activity is None or not any(s["m"] == member_id for s in activity.signups):
            return False
        mine, left, promoted = domain.leave(list(activity.signups), member_id, activity.capacity)
        happened = [events.signup_event("signup.cancelled", activity, mine, now, reason=reason)]
        if activity.status == "open" and as_utc(activity.starts_at) > now:
            happened += [events.signup_event("signup.promoted", activity, s, now) for s in promoted]
        else:  # over or cancelled: nobody moves up any more
            for s in promoted:
                s["status"] = domain.WAITLISTED
        if repo.write_signups(activity, left, domain.counts(left), happened, now):
            uow.publish_after_reply(repo.reload(activity_id))
            return True
    raise Conflict("This activity changed a moment ago. Please try again.")


# -- the reminder the day before ---------------------------------------------------------------------------------
def send_reminders(uow, now: datetime) -> int:
    """Once per activity, whatever the number of instances: the conditional update that stores the event
    decides who publishes."""
    repo = uow.repository
    sent = 0
    for activity in repo.due_reminders(now, BATCH):
        notify = [s["m"] for s in activity.signups if s["status"] == domain.CONFIRMED]
        if repo.mark_reminded(activity, events.reminder_came_due(activity, notify, now), now):
            uow.publish_after_reply(repo.reload(activity.id))
            sent += 1
    return sent


# -- the member's calendar feed -------------------------------------------------------------------------------------
def calendar_entries(uow, community_id: str, member_id: str, now: datetime) -> list[dict]:
    """The member's signed-up activities for their calendar feed (the spaces service renders it)."""
    entries = []
    for activity in uow.repository.open_activities_of(member_id):  # a cancelled one leaves the feed
        if activity.community_id != community_id or as_utc(activity.ends_at) < now - timedelta(days=31):
            continue
        mine = next(s for s in activity.signups if s["m"] == member_id)
        entries.append({
            "uid": f"activity-{activity.id}@cohousing-altona", "start": isoformat_z(activity.starts_at),
            "end": isoformat_z(activity.ends_at), "summary": activity.title,
            "location": activity.space_name or activity.place,
            "status": "CONFIRMED" if mine["status"] == domain.CONFIRMED else "TENTATIVE",
            "last_modified": isoformat_z(activity.updated_at or activity.created_at), "sequence": activity.version,
        })
    return entries


# -- members coming and going ---------------------------------------------------------------------------------------
def remember_member(uow, event: dict) -> None:
    member_id = event["payload"]["member_id"]
    known = uow.repository.participant(member_id) or Participant(id=member_id)
    uow.save_and_commit(copy_profile(known, event, ("display_name", "role", "preferred_language")))


def on_member_gone(uow, member_id: str, *, erased: bool, now: datetime) -> None:
    """A deactivated or erased member leaves every activity (the waiting list moves up), and the activities they
    made are cancelled (everyone signed up is told; the spaces service cancels their room bookings itself, as it
    does every future booking of someone who left, and the timer settles the rest). Erasure also forgets their name
    as creator and their copy. Repeatable."""
    repo = uow.repository
    for activity in repo.open_created_by(member_id):
        if as_utc(activity.ends_at) > now:
            _cancel(uow, None, activity.id, by="system", now=now)
    for activity in repo.open_activities_of(member_id):
        _leave(repo, uow, activity.id, member_id, now, reason="member left")
    if known := repo.participant(member_id):
        known.active = False
        uow.save_and_commit(known)
    if erased:
        for activity in repo.activities_of(member_id):  # cancelled ones keep the sign-up: take it out too
            _leave(repo, uow, activity.id, member_id, now, reason="member erased")
        repo.forget_creator(member_id)
        repo.forget_participant(member_id)


def export(uow, actor: dict) -> dict:
    """The member's sign-ups and the activities they created."""
    repo = uow.repository
    member_id = actor["member_id"]
    signups = []
    for activity in repo.activities_of(member_id):
        mine = next(s for s in activity.signups if s["m"] == member_id)
        roles = {role["key"]: role["name"] for role in activity.roles}
        signups.append({"activity_id": activity.id, "title": activity.title,
                        "starts_at": isoformat_z(activity.starts_at), "status": mine["status"],
                        "guests": mine["guests"], "role": roles.get(mine.get("role")), "note": mine.get("note"),
                        "signed_up_at": isoformat_z(mine.get("at")), "activity_status": activity.status})
    created = [{"activity_id": a.id, "title": a.title, "starts_at": isoformat_z(a.starts_at), "status": a.status}
               for a in repo.created_by(member_id)]
    return {"signups": signups, "activities_created": created}
