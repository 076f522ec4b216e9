"""What the care service does, as plain functions over a unit of work (its repository and outbox) and `now`.

The rules (deadlines, escalation, who may read the sheet) are in `domain`; here they meet the stored settings,
check-ins, alerts and sheets and the neighbours copied from the members service's events. The domain's refusals
become the errors that cross the wire in one place, `wire_errors`.

How one missed day raises exactly one alert, whatever the number of instances and timer runs (`watch`):
1. A settings document whose `due_at` (the deadline of `due_day`) has passed is looked at: if the day is missed,
   a *pending* alert is stored under the id `member:day`; ids are unique, so a second instance storing the same
   day's alert fails and moves on. Only then does `due_day` move to the next day, conditionally on it still
   being the day read (an instance that dies in between leaves the day to the next timer run). Both are
   conditional operations of the repository that take effect at once: their answers steer the timer.
2. A pending alert is raised by its first step: the day is looked at again (a check-in may have come in since),
   then the alert is written by a unit of work, conditionally on the version read (the repository's write rule
   for alerts), with its `alert.raised` event in the same write. Of two instances taking the same step, one
   commits and publishes; the other's commit is refused and it moves on.
A check-in commits itself first and then settles every unresolved alert of the resident; the timer stores the
alert first and then looks for check-ins. So of a check-in and a deadline at the same moment, at least one sees
the other: the alert is never left open after a check-in (cancelled while pending, resolved with an all-clear
once raised).
"""
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mongoengine import NotUniqueError

from services.care import domain, events
from services.care.models import (
    Alert, BuddyRequest, CheckIn, CheckInLink, CheckInSettings, DoneFor, EmergencySheet, Housemate, SheetRead,
)
from services.common import signed_links
from services.common.clock import as_utc, isoformat_z
from services.common.errors import Conflict, Forbidden, Invalid, NotFound, WireErrors
from services.common.members import copy_profile
from services.common.schemas import load
from services.contracts.care import (
    DEFAULT_ESCALATION_MINUTES, DEFAULT_GRACE_MINUTES, AlertListQuerySchema, AwaySchema, CheckInRequestSchema,
    CheckInSettingsRequestSchema, EmergencySheetRequestSchema, ResolveSchema, SheetReadQuerySchema,
)
from services.contracts.vocabulary import DEFAULT_TIMEZONE

# How many alerts, and how many residents whose deadline passed, one timer run takes at a time, and how many
# such batches at most. The embedded server answers the query for due settings in about the same time for 200
# as for 1,000 (it reads them all), so the deadlines go in larger batches.
BATCH = 200
DEADLINES_BATCH = 1000
MAX_BATCHES = 50
# A change of an alert that lost a race with another change is tried again this often before giving up.
ATTEMPTS = 5
EXPORTED_CHECK_INS = timedelta(days=90)

wire_errors = WireErrors({
    domain.InvalidSettings: lambda invalid: Invalid(invalid.message, errors=invalid.errors),
    domain.NotAllowed: Forbidden,
    domain.IllegalTransition: lambda illegal: Conflict(str(illegal), extra={"current_status": illegal.current_status}),
})


# -- between stored and domain ------------------------------------------------------------------------------
def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def schedule_of(settings: CheckInSettings | None) -> domain.Schedule | None:
    if settings is None or not settings.daily_by:
        return None
    return domain.Schedule(domain.parse_time_of_day(settings.daily_by), settings.grace_minutes or 0,
                           _zone(settings.timezone))


def away_of(settings: CheckInSettings | None) -> list[domain.AwayRange]:
    if settings is None or not settings.away_from or not settings.away_until:
        return []
    return [domain.AwayRange(date.fromisoformat(settings.away_from), date.fromisoformat(settings.away_until))]


def _utc(moment):
    return as_utc(moment) if moment is not None else None


def to_domain(stored: Alert) -> domain.Alert:
    return domain.Alert(
        id=stored.id, member_id=stored.member_id, day=date.fromisoformat(stored.day),
        deadline=as_utc(stored.deadline), buddies=tuple(stored.buddies), escalation_minutes=stored.escalation_minutes,
        status=stored.status, raised_at=_utc(stored.raised_at), steps_done=stored.steps_done,
        alerted=list(stored.alerted), acknowledged_by=stored.acknowledged_by,
        acknowledged_at=_utc(stored.acknowledged_at), resolved_by=stored.resolved_by,
        resolved_at=_utc(stored.resolved_at), outcome=stored.outcome, note=stored.note,
        timeline=[domain.TimelineEntry(as_utc(e["at"]), e["step"], e.get("who"), e.get("outcome"))
                  for e in stored.timeline],
    )


ALERT_FIELDS = ("status", "raised_at", "steps_done", "alerted", "acknowledged_by", "acknowledged_at", "resolved_by",
                "resolved_at", "outcome", "note")


def copy_back(alert: domain.Alert, stored: Alert) -> None:
    for name in ALERT_FIELDS:
        setattr(stored, name, getattr(alert, name))
    stored.timeline = [{key: value for key, value in (("at", e.at), ("step", e.step), ("who", e.who),
                                                      ("outcome", e.outcome)) if value is not None}
                       for e in alert.timeline]
    stored.next_step_at = domain.next_step_at(alert)


def request_to_domain(stored: BuddyRequest) -> domain.BuddyRequest:
    return domain.BuddyRequest(id=stored.id, member_id=stored.member_id, buddy_id=stored.buddy_id,
                               status=stored.status)


def accepted_buddies(repo, settings: CheckInSettings) -> list[str]:
    return domain.accepted_in_order(
        settings.buddies, [request_to_domain(r) for r in repo.requests_of(settings.id)],
        repo.active_in_community(settings.community_id, settings.buddies))


def checked_in_on(repo, member_id: str, day: date, schedule: domain.Schedule):
    """The last check-in that counts for `day`, or None."""
    return repo.last_check_in_between(member_id, *domain.check_in_window(day, schedule))


def _name(neighbours: dict, member_id: str | None) -> str | None:
    neighbour = neighbours.get(member_id) if member_id else None
    return neighbour.display_name if neighbour else None


# -- the daily check-in ----------------------------------------------------------------------------------------
def settings_view(repo, member_id: str, settings: CheckInSettings | None, now: datetime) -> dict:
    schedule = schedule_of(settings)
    enabled = bool(settings and settings.enabled)
    today = {"day": None, "status": domain.OFF, "done_at": None}
    if schedule is not None:
        day = domain.current_day(now, schedule)
        done = checked_in_on(repo, member_id, day, schedule)
        today = {"day": day.isoformat(), "done_at": isoformat_z(done.at) if done else None,
                 "status": domain.day_status(day, now, schedule, enabled=enabled, away=away_of(settings),
                                             checked_in=done is not None)}
    buddies = []
    if settings is not None and settings.buddies:
        requests = {r.buddy_id: r for r in repo.requests_of(member_id)}
        neighbours = repo.neighbours_by_id(settings.buddies)
        for buddy in settings.buddies:
            request, neighbour = requests.get(buddy), neighbours.get(buddy)
            status = request.status if request else domain.ASKED
            buddies.append({"member_id": buddy, "display_name": neighbour.display_name if neighbour else None,
                            "accepted": status == domain.ACCEPTED and bool(neighbour and neighbour.active),
                            "status": status})
    away = away_of(settings)
    return {
        "enabled": enabled,
        "daily_by": settings.daily_by if settings else None,
        "grace_minutes": settings.grace_minutes if settings and settings.grace_minutes is not None
        else DEFAULT_GRACE_MINUTES,
        "escalation_minutes": settings.escalation_minutes if settings and settings.escalation_minutes
        else DEFAULT_ESCALATION_MINUTES,
        "buddies": buddies,
        "email_reminder": bool(settings and settings.email_reminder),
        "today": today,
        "away": {"from": away[0].start.isoformat(), "until": away[0].until.isoformat()} if away else None,
    }


def get_settings(uow, actor: dict, now: datetime) -> dict:
    repo = uow.repository
    return settings_view(repo, actor["member_id"], repo.settings(actor["member_id"]), now)


def _settings_for(repo, actor: dict) -> tuple[CheckInSettings, bool]:
    """The member's settings, and whether they are new (not stored yet)."""
    stored = repo.settings(actor["member_id"])
    if stored is not None:
        return stored, False
    return CheckInSettings(id=actor["member_id"], community_id=actor["community_id"],
                           timezone=actor.get("timezone") or DEFAULT_TIMEZONE), True


def _write_settings(uow, settings: CheckInSettings, new: bool, *, asked=(), changed=(), done=None) -> None:
    """The settings first (if somebody changed them meanwhile, none of it is written), then the buddy requests
    they add and change, and the record of a trusted person's change (`done_for`)."""
    with uow:
        (uow.add if new else uow.save)(settings)
        uow.add(*asked)
        uow.save(*changed)
        if done is not None:
            uow.add(done)
        uow.commit()


def done_for(actor: dict, action: str, now: datetime) -> DoneFor | None:
    """When a trusted person acts for the resident (`acted_by`, see gateway.delegation): a record of the change,
    whose event (`action`) tells the resident in their inbox. None when the resident acts themselves."""
    acted_by = (actor.get("acted_by") or {}).get("member_id")
    if not acted_by:
        return None
    record = DoneFor(id=str(uuid.uuid4()), community_id=actor["community_id"], member_id=actor["member_id"],
                     acted_by=acted_by, action=action, at=now)
    record.record(events.done_for(record, now))
    return record


@wire_errors
def set_settings(uow, actor: dict, body: dict, now: datetime) -> dict:
    """Switch the daily check-in on or off, set its time and name the buddies. Newly named buddies are asked;
    those no longer named are withdrawn; a neighbour who declined is not asked again by saving the same list.
    One unit of work: the settings and the buddy requests they change."""
    repo = uow.repository
    data = load(CheckInSettingsRequestSchema, body)
    member_id = actor["member_id"]
    domain.check_buddies(member_id, data["buddies"], enabled=data["enabled"],
                         neighbours=repo.active_in_community(actor["community_id"], data["buddies"]))
    settings, new = _settings_for(repo, actor)
    settings.timezone = actor.get("timezone") or settings.timezone
    settings.enabled = data["enabled"]
    settings.daily_by = data["daily_by"]
    settings.grace_minutes = data["grace_minutes"]
    settings.escalation_minutes = data["escalation_minutes"]
    settings.buddies = list(data["buddies"])
    settings.email_reminder = data["email_reminder"]
    _reschedule(settings, now)
    settings.updated_at = now
    asked, changed = _ask_buddies(repo, settings, now)
    _write_settings(uow, settings, new, asked=asked, changed=changed,
                    done=done_for(actor, "checkin.settings_changed", now))
    return settings_view(repo, member_id, settings, now)


def _reschedule(settings: CheckInSettings, now: datetime) -> None:
    """The next day to look at: the first whose time still lies ahead, never a day looked at already."""
    schedule = schedule_of(settings)
    if not settings.enabled or schedule is None:
        settings.due_at = settings.reminder_at = None
        return
    day = domain.first_due_day(now, schedule)
    if settings.due_day and settings.due_at is not None:
        day = max(day, date.fromisoformat(settings.due_day))
    settings.due_day, settings.due_at = day.isoformat(), domain.deadline(day, schedule)
    if not settings.email_reminder:
        settings.reminder_at = None
        return
    # The first day whose time still lies ahead: switched on at 09:00 for 10:00, today's email goes at once.
    # A day whose email went already is not sent again (its link exists: see `issue_link`).
    day = domain.first_due_day(now, schedule)
    if settings.reminder_day and settings.reminder_at is not None:
        day = max(day, date.fromisoformat(settings.reminder_day))
    settings.reminder_day, settings.reminder_at = day.isoformat(), domain.reminder_at(day, schedule)


def _ask_buddies(repo, settings: CheckInSettings, now: datetime) -> tuple[list[BuddyRequest], list[BuddyRequest]]:
    """The buddy requests the settings' list of buddies adds (neighbours asked for the first time) and changes
    (withdrawn ones asked again, those no longer named withdrawn)."""
    named = set(settings.buddies)
    existing = {r.buddy_id: r for r in repo.requests_of(settings.id)}
    asked, changed = [], []
    for buddy in settings.buddies:
        request = existing.get(buddy)
        if request is None:
            request = BuddyRequest(id=f"{settings.id}:{buddy}", community_id=settings.community_id,
                                   member_id=settings.id, buddy_id=buddy, status=domain.ASKED, asked_at=now)
            request.record(events.buddy_request_event(request, now))
            asked.append(request)
        elif request.status == domain.WITHDRAWN:
            request.status, request.asked_at, request.answered_at = domain.ASKED, now, None
            request.record(events.buddy_request_event(request, now))
            changed.append(request)
    for buddy, request in existing.items():
        if buddy not in named and request.status != domain.WITHDRAWN:
            request.status = domain.WITHDRAWN
            changed.append(request)
    return asked, changed


@wire_errors
def set_away(uow, actor: dict, body: dict, now: datetime) -> dict:
    data = load(AwaySchema, body)
    settings, new = _settings_for(uow.repository, actor)
    domain.check_away(domain.AwayRange(data["from"], data["until"]),
                      today=domain.local_day(now, _zone(settings.timezone)))
    settings.away_from, settings.away_until = data["from"].isoformat(), data["until"].isoformat()
    settings.updated_at = now
    _write_settings(uow, settings, new, done=done_for(actor, "checkin.away_set", now))
    return settings_view(uow.repository, actor["member_id"], settings, now)


def clear_away(uow, actor: dict, now: datetime) -> None:
    settings = uow.repository.settings(actor["member_id"])
    if settings is not None and (settings.away_from or settings.away_until):
        settings.away_from = settings.away_until = None
        settings.updated_at = now
        _write_settings(uow, settings, False, done=done_for(actor, "checkin.away_cleared", now))


def check_in(uow, actor: dict, body, now: datetime) -> dict:
    """"I am fine today". Committed first, then every unresolved alert about the resident is settled (see the
    module's docstring for why in this order)."""
    data = load(CheckInRequestSchema, body if body is not None else {})
    member_id, recorded_by = actor["member_id"], None
    if "on_behalf_of" in data:
        if actor["role"] != "organiser":
            raise Forbidden("Only organisers record a check-in given by phone or on paper.")
        resident = uow.repository.neighbour(data["on_behalf_of"])
        if resident is None or resident.community_id != actor["community_id"] or not resident.active:
            raise NotFound("No such member in your community.", errors={"on_behalf_of": ["Unknown member."]})
        member_id = resident.id
        recorded_by = {"member_id": actor["member_id"], "display_name": actor.get("display_name")}
    return record_check_in(uow, actor["community_id"], member_id, now,
                           acted_by=(recorded_by or actor.get("acted_by") or {}).get("member_id"),
                           recorded_by=recorded_by, note=data.get("note"))


def record_check_in(uow, community_id: str, member_id: str, now: datetime, check_in_id: str | None = None, *,
                    acted_by: str | None = None, recorded_by: dict | None = None, note: str | None = None) -> dict:
    """Store a check-in with its event, then settle the resident's alerts. A `check_in_id` given (the one of a
    day's link) is stored once: a second one raises `NotUniqueError` and writes nothing. `acted_by`: a trusted
    person who checked in for them, or the organiser (`recorded_by`) who recorded an answer given by phone."""
    stored = CheckIn(id=check_in_id or str(uuid.uuid4()), community_id=community_id, member_id=member_id, at=now,
                     acted_by=acted_by, recorded=recorded_by is not None, note=note)
    stored.record(events.check_in_recorded(stored, now, recorded_by))
    with uow:
        uow.add(stored)
        uow.commit()
    settle_alerts(uow, member_id, now, domain.settle_by_check_in)
    return {"at": isoformat_z(now)}


def settle_alerts(uow, member_id: str, now: datetime, settle) -> int:
    """Settle every unresolved alert about the member with `settle` (a domain function), each in a unit of work
    of its own; returns how many were settled. A change that lost a race (a step taken at the same moment) is
    made again on what won: an alert must not stay open."""
    settled = 0
    for stored in uow.repository.unresolved_alerts_about(member_id):
        for _ in range(ATTEMPTS):
            alert = to_domain(stored)
            tell = settle(alert, now=now)
            copy_back(alert, stored)
            if tell:
                stored.record(events.alert_resolved(stored, now))
            try:
                uow.save_and_commit(stored)
            except Conflict:  # changed since it was read: settle what is stored now
                stored = uow.repository.alert(stored.id)
                if stored is None or stored.status not in domain.UNRESOLVED:
                    break
                continue
            settled += 1
            break
        else:
            raise Conflict("An alert about you changed several times in a moment. Please check in again.")
    return settled


# -- buddies ---------------------------------------------------------------------------------------------------
def _request_view(request: BuddyRequest, neighbours: dict) -> dict:
    return {"id": request.id, "member_id": request.member_id, "display_name": _name(neighbours, request.member_id),
            "status": request.status}


def buddy_requests(uow, actor: dict) -> dict:
    repo = uow.repository
    requests = [r for r in repo.requests_to(actor["member_id"]) if r.status != domain.WITHDRAWN]
    neighbours = repo.neighbours_by_id({r.member_id for r in requests})
    return {"items": [_request_view(r, neighbours) for r in requests], "next": None}


@wire_errors
def answer_buddy_request(uow, actor: dict, request_id, *, accept: bool, now: datetime) -> dict:
    repo = uow.repository
    stored = repo.buddy_request(actor["community_id"], request_id) if isinstance(request_id, str) else None
    if stored is None:
        raise NotFound("There is no such buddy request in your community.")
    request = request_to_domain(stored)
    if domain.answer(request, actor_id=actor["member_id"], accept=accept):
        stored.status, stored.answered_at = request.status, now
        stored.record(events.buddy_request_event(stored, now))  # the resident hears of the answer
        uow.save_and_commit(stored)
    return _request_view(stored, repo.neighbours_by_id([stored.member_id]))


# -- the timer: deadlines and escalation --------------------------------------------------------------------------
def watch(uow, now: datetime, batch: int = BATCH) -> dict:
    """What the timer does every few seconds in every instance: look at the deadlines that passed, then take
    the alert steps that are due. Returns what it did (for tests and logs)."""
    repo = uow.repository
    looked_at = stored = 0
    for _ in range(MAX_BATCHES):  # again while some are due: a resident's next day may be past too
        due = repo.due_settings(now, DEADLINES_BATCH)
        looked_at += len(due)
        stored += look_at_deadlines(repo, due, now)
        if not due:
            break
    steps = 0
    for _ in range(MAX_BATCHES):
        due = repo.alerts_with_due_steps(now, batch)
        for alert in due:
            steps += take_due_steps(uow, alert, now)
        if len(due) < batch:
            break
    return {"deadlines": looked_at, "alerts": stored, "steps": steps}


def look_at_deadline(repo, settings: CheckInSettings, now: datetime) -> int:
    """`look_at_deadlines` for one resident."""
    return look_at_deadlines(repo, [settings], now)


def look_at_deadlines(repo, due: list[CheckInSettings], now: datetime) -> int:
    """The deadlines of these residents' `due_day`s have passed: store each missed day's pending alert, then
    move every one of them on to their next day. Returns how many alerts this call stored.

    In bulk, because a whole house may share a deadline: one query each for the residents' buddy requests,
    their buddies still here and their check-ins, and one conditional write per group moving on from the
    same day to the same deadline (10,000 residents one at a time took the embedded server minutes). Every
    alert is stored before any resident moves on, as for one resident."""
    scheduled = []
    for settings in due:
        schedule = schedule_of(settings)
        if schedule is None or not settings.due_day:
            repo.stop_settings(settings.id)
        else:
            scheduled.append((settings, schedule, date.fromisoformat(settings.due_day)))
    if not scheduled:
        return 0
    requests = repo.requests_of_all([settings.id for settings, _, _ in scheduled])
    here = repo.active_members({buddy for settings, _, _ in scheduled for buddy in settings.buddies})
    checked_in = repo.checked_in_within({settings.id: domain.check_in_window(day, schedule)
                                         for settings, schedule, day in scheduled})
    added = 0
    moves: dict[tuple[str, str, datetime], list[str]] = {}
    for settings, schedule, day in scheduled:
        accepted = domain.accepted_in_order(
            settings.buddies, [request_to_domain(r) for r in requests.get(settings.id, [])],
            [buddy for buddy in settings.buddies if here.get(buddy) == settings.community_id])
        reason = domain.why_no_alert(day, enabled=settings.enabled, away=away_of(settings),
                                     checked_in=settings.id in checked_in, accepted_buddies=accepted)
        if reason is None:
            alert = domain.new_alert(settings.id, day, schedule, accepted, settings.escalation_minutes)
            stored = Alert(id=alert.id, community_id=settings.community_id, member_id=alert.member_id,
                           day=alert.day.isoformat(), deadline=alert.deadline, status=alert.status,
                           buddies=list(alert.buddies), escalation_minutes=alert.escalation_minutes,
                           next_step_at=domain.next_step_at(alert))
            added += int(repo.add_alert(stored))
        following = day + timedelta(days=1)
        moves.setdefault((day.isoformat(), following.isoformat(), domain.deadline(following, schedule)),
                         []).append(settings.id)
    for (day, next_day, next_due_at), members in moves.items():
        repo.advance_due_days(members, day, next_day, next_due_at)
    return added


def take_due_steps(uow, stored: Alert, now: datetime) -> int:
    """Take every step of the alert that is due by `now` (several if the timer was away for a while), each in a
    unit of work of its own whose event goes out when the timer's run ends. Returns how many steps this call
    took; a step another instance took first (its commit is refused) ends it."""
    repo = uow.repository
    taken = 0
    while True:
        alert = to_domain(stored)
        if not domain.step_due(alert, now):
            return taken
        if alert.status == domain.PENDING and not _still_missed(repo, alert, now):
            copy_back(alert, stored)
            try:
                uow.save_and_commit(stored)
            except Conflict:
                pass  # another instance called it off, or raised it, a moment ago
            return taken
        step = alert.steps_done
        organisers = repo.organisers(stored.community_id) if step >= len(alert.buddies) else []
        told = domain.take_step(alert, organisers=organisers, now=now)
        copy_back(alert, stored)
        stored.record(events.alert_stepped(stored, told, step, repo.neighbour(stored.member_id), now))
        try:
            uow.save_and_commit(stored)
        except Conflict:
            return taken  # another instance took this step first
        taken += 1


def _still_missed(repo, alert: domain.Alert, now: datetime) -> bool:
    """Look at the day again before anyone is told: a check-in, away days or switching off since the alert was
    stored call it off (`alert` is then cancelled)."""
    settings = repo.settings(alert.member_id)
    schedule = schedule_of(settings)
    checked_in = schedule is not None and checked_in_on(repo, alert.member_id, alert.day, schedule) is not None
    reason = domain.why_no_alert(alert.day, enabled=bool(settings and settings.enabled), away=away_of(settings),
                                 checked_in=checked_in, accepted_buddies=alert.buddies)
    if reason is not None:
        domain.call_off(alert, reason=reason, now=now)
        return False
    return True


# -- the daily email with a one-click link, and the sheet's review ------------------------------------------------
LINK_PURPOSE = "care.check-in-link"  # the salt of the link's signature: worthless for any other purpose
READY, CHECKED_IN_NOW, DONE_TODAY, EXPIRED, INVALID = "ready", "checked_in", "done", "expired", "invalid"


def send_reminders(uow, now: datetime, *, secret: str, batch: int = BATCH) -> dict:
    """What the reminder timer does in every instance: the daily emails whose time has come, then the sheets due
    for review, each once however many instances run it. Returns what it did (for tests and logs)."""
    repo = uow.repository
    links = reviews = 0
    for _ in range(MAX_BATCHES):  # again while some are due: a resident's next day may be due too
        due = repo.settings_with_emails_due(now, batch)
        for settings in due:
            links += issue_link(uow, settings, now, secret)
        if not due:
            break
    for _ in range(MAX_BATCHES):
        due = repo.sheets_due_for_review(now, batch)
        for sheet in due:
            reviews += remind_of_review(uow, sheet, now)
        if len(due) < batch:
            break
    return {"links": links, "reviews": reviews}


def issue_link(uow, settings: CheckInSettings, now: datetime, secret: str) -> int:
    """The email of `settings.reminder_day` is due: unless it is not needed (see `domain.why_no_email`), store the
    day's link with its event under the id member:day (the claim of the day: another instance's insert fails),
    then move on to the next day, conditionally on it still being the day read. An instance that dies in between
    leaves the move to the next run, whose insert fails: one email a day. Returns 1 if this call issued it."""
    repo = uow.repository
    schedule = schedule_of(settings)
    if schedule is None or not settings.reminder_day or not settings.enabled or not settings.email_reminder:
        repo.advance_reminder_day(settings.id, settings.reminder_day, None, None)
        return 0
    day = date.fromisoformat(settings.reminder_day)
    reason = domain.why_no_email(day, now, schedule, enabled=settings.enabled,
                                 email_reminder=settings.email_reminder, away=away_of(settings),
                                 checked_in=checked_in_on(repo, settings.id, day, schedule) is not None)
    issued = 0
    if reason is None:
        nonce = signed_links.new_nonce()
        link = CheckInLink(id=f"{settings.id}:{day.isoformat()}", community_id=settings.community_id,
                           member_id=settings.id, day=day.isoformat(), nonce_digest=signed_links.digest(nonce),
                           issued_at=now, expires_at=domain.link_expires_at(day, schedule))
        token = signed_links.sign(secret, LINK_PURPOSE, {"l": link.id, "n": nonce}, expires_at=link.expires_at)
        link.record(events.check_in_link_issued(link, token, settings.daily_by, now))
        if repo.add_link(link):
            uow.publish_after_reply(link)
            issued = 1
    following = day + timedelta(days=1)
    repo.advance_reminder_day(settings.id, day.isoformat(), following.isoformat(),
                              domain.reminder_at(following, schedule))
    return issued


def remind_of_review(uow, sheet: EmergencySheet, now: datetime) -> int:
    """The sheet is due for review: its reminder and the next due date in one conditional update (one instance
    wins); returns 1 if this call stored it."""
    event = events.sheet_review_came_due(sheet, now)
    if not uow.repository.remind_of_review(sheet, domain.next_review_due_at(as_utc(sheet.review_due_at), now),
                                           event, now):
        return 0
    sheet.outbox = [event]
    uow.publish_after_reply(sheet)
    return 1


def _link_from(repo, token, secret: str, now: datetime) -> tuple[str | None, CheckInLink | None, Housemate | None]:
    """(why it does not work, or None; the link; its resident)."""
    try:
        claims = signed_links.read(secret, LINK_PURPOSE, token, now)
    except signed_links.ExpiredToken:
        return EXPIRED, None, None
    except signed_links.BadToken:
        return INVALID, None, None
    link_id, nonce = claims.get("l"), claims.get("n")
    link = repo.link(link_id) if isinstance(link_id, str) and isinstance(nonce, str) else None
    if link is None or link.nonce_digest != signed_links.digest(nonce):
        return INVALID, None, None  # signed by us, but its link is gone (the member was erased) or replaced
    resident = repo.neighbour(link.member_id)
    if resident is None or not resident.active:
        return INVALID, None, None
    return None, link, resident


def _link_view(status: str, link: CheckInLink | None = None, resident: Housemate | None = None,
               at: datetime | None = None) -> dict:
    """What the link's page shows. Nothing about the resident unless the link is genuine and current."""
    return {"status": status, "day": link.day if link else None,
            "display_name": resident.display_name if resident else None,
            "preferred_language": resident.preferred_language if resident else None,
            "timezone": resident.timezone if resident else None, "at": isoformat_z(at)}


def check_in_link(uow, token, *, secret: str, now: datetime) -> dict:
    """What opening the link finds, changing nothing (mail scanners open links before the resident does):
    ready for the button, done (checked in for the day already, by this link or otherwise), expired or
    invalid."""
    repo = uow.repository
    problem, link, resident = _link_from(repo, token, secret, now)
    if problem:
        return _link_view(problem)
    done = checked_in_on(repo, link.member_id, date.fromisoformat(link.day), _schedule_for_link(repo, link))
    return _link_view(DONE_TODAY, link, resident, done.at) if done else _link_view(READY, link, resident)


def redeem_check_in_link(uow, token, *, secret: str, now: datetime) -> dict:
    """The button behind the link was pressed: checks the resident in for the link's day, once. The link is
    taken from unused to used by a conditional update (`used_at`, for the resident's export); the check-in it
    records has the link's id, so that of two presses at once one check-in is stored, and a press after one that
    died between the two writes still checks in. Pressed when the day is done already (by the link or on the
    start page), it changes nothing."""
    repo = uow.repository
    problem, link, resident = _link_from(repo, token, secret, now)
    if problem:
        return _link_view(problem)
    repo.use_link(link.id, link.nonce_digest, now)  # once; a link used already stays as it was
    done = checked_in_on(repo, link.member_id, date.fromisoformat(link.day), _schedule_for_link(repo, link))
    if done is not None:  # by this link (pressed again) or otherwise: nothing more to do
        return _link_view(DONE_TODAY, link, resident, done.at)
    try:
        record_check_in(uow, link.community_id, link.member_id, now, check_in_id=f"link:{link.id}")
    except NotUniqueError:  # the other of two presses at the same moment stored it
        return _link_view(DONE_TODAY, link, resident, now)
    return _link_view(CHECKED_IN_NOW, link, resident, now)


def _schedule_for_link(repo, link: CheckInLink) -> domain.Schedule:
    """The schedule the link's day is reckoned by: the resident's now, or (switched off or changed since) one whose
    window ends when the link does."""
    schedule = schedule_of(repo.settings(link.member_id))
    if schedule is not None:
        return schedule
    return domain.Schedule(time(0, 0), 0, _zone(None))


# -- alerts ------------------------------------------------------------------------------------------------------
def alert_view(stored: Alert, actor: dict, neighbours: dict) -> dict:
    alert = to_domain(stored)
    resident = neighbours.get(stored.member_id)
    is_organiser = actor["role"] == "organiser"
    return {
        "id": stored.id, "member_id": stored.member_id,
        "display_name": resident.display_name if resident else None,
        "phone": resident.phone if resident else None,
        "household": resident.household if resident else None,
        "status": stored.status, "day": stored.day, "deadline": isoformat_z(stored.deadline),
        "raised_at": isoformat_z(stored.raised_at),
        "acknowledged_by": stored.acknowledged_by, "acknowledged_at": isoformat_z(stored.acknowledged_at),
        "resolved_by": stored.resolved_by, "resolved_at": isoformat_z(stored.resolved_at),
        "outcome": stored.outcome, "note": stored.note,
        "timeline": [{"at": isoformat_z(e.at), "step": e.step, "who": e.who, "display_name": _name(neighbours, e.who),
                      "outcome": e.outcome} for e in alert.timeline],
        "actions": domain.actions(alert, viewer_id=actor["member_id"], viewer_is_organiser=is_organiser),
    }


def _people_of(alerts) -> set[str]:
    return {a.member_id for a in alerts} | {who for a in alerts for e in a.timeline if (who := e.get("who"))}


def _shown_alert(repo, actor: dict, alert_id) -> Alert:
    stored = repo.community_alert(actor["community_id"], alert_id) if isinstance(alert_id, str) else None
    if stored is None or stored.status not in domain.SHOWN:
        raise NotFound("There is no such alert in your community.")
    return stored


@wire_errors
def get_alert(uow, actor: dict, alert_id) -> dict:
    repo = uow.repository
    stored = _shown_alert(repo, actor, alert_id)
    domain.check_may_view(to_domain(stored), viewer_id=actor["member_id"],
                          viewer_is_organiser=actor["role"] == "organiser")
    return alert_view(stored, actor, repo.neighbours_by_id(_people_of([stored])))


def list_alerts(uow, actor: dict, query: dict) -> dict:
    """Organisers: every alert of the community; anyone else: the alerts they were told about. Newest first."""
    repo = uow.repository
    data = load(AlertListQuerySchema, query)
    alerted = None if actor["role"] == "organiser" else actor["member_id"]
    page, next_cursor = repo.list_alerts(actor["community_id"], alerted=alerted, status=data.get("status"),
                                         limit=data["limit"], cursor=data["cursor"])
    neighbours = repo.neighbours_by_id(_people_of(page))
    return {"items": [alert_view(stored, actor, neighbours) for stored in page], "next": next_cursor}


@wire_errors
def _change_alert(uow, actor: dict, alert_id, change, now: datetime) -> dict:
    """Apply `change(alert)` (a domain transition returning whether it changed anything) and commit it with its
    event; made again on the newer alert when a timer step won the race for the same version."""
    repo = uow.repository
    for _ in range(ATTEMPTS):
        stored = _shown_alert(repo, actor, alert_id)
        alert = to_domain(stored)
        if not change(alert):
            return get_alert(uow, actor, alert_id)
        copy_back(alert, stored)
        stored.record(events.alert_acknowledged(stored, now) if alert.status == domain.ACKNOWLEDGED
                      else events.alert_resolved(stored, now))
        try:
            uow.save_and_commit(stored)
        except Conflict:
            continue  # a step or another answer came first: look again
        return alert_view(stored, actor, repo.neighbours_by_id(_people_of([stored])))
    raise Conflict("This alert changed a moment ago. Please look again.")


def acknowledge(uow, actor: dict, alert_id, now: datetime) -> dict:
    return _change_alert(uow, actor, alert_id,
                         lambda alert: domain.acknowledge(alert, actor_id=actor["member_id"], now=now), now)


def resolve(uow, actor: dict, alert_id, body: dict, now: datetime) -> dict:
    data = load(ResolveSchema, body)

    def change(alert):
        domain.resolve(alert, actor_id=actor["member_id"], actor_is_organiser=actor["role"] == "organiser",
                       outcome=data["outcome"], note=data.get("note"), now=now)
        return True

    return _change_alert(uow, actor, alert_id, change, now)


# -- the emergency sheet -----------------------------------------------------------------------------------------
def sheet_view(member_id: str, sheet: EmergencySheet | None) -> dict:
    if sheet is None:
        return {"member_id": member_id, "contacts": [], "doctor": None, "medication_location": None,
                "allergies": None, "key_holder": None, "notes": None, "readers": [], "updated_at": None,
                "review_due_at": None}
    return {"member_id": member_id, "contacts": list(sheet.contacts), "doctor": sheet.doctor or None,
            "medication_location": sheet.medication_location, "allergies": sheet.allergies,
            "key_holder": sheet.key_holder, "notes": sheet.notes, "readers": list(sheet.readers),
            "updated_at": isoformat_z(sheet.updated_at), "review_due_at": isoformat_z(sheet.review_due_at)}


def get_own_sheet(uow, actor: dict) -> dict:
    return sheet_view(actor["member_id"], uow.repository.sheet(actor["member_id"]))


@wire_errors
def set_sheet(uow, actor: dict, body: dict, now: datetime) -> dict:
    repo = uow.repository
    data = load(EmergencySheetRequestSchema, body)
    domain.check_readers(actor["member_id"], data["readers"],
                         neighbours=repo.active_in_community(actor["community_id"], data["readers"]))
    sheet = repo.sheet(actor["member_id"]) or EmergencySheet(id=actor["member_id"],
                                                             community_id=actor["community_id"])
    sheet.contacts = data["contacts"]
    sheet.doctor = data["doctor"]
    for name in ("medication_location", "allergies", "key_holder", "notes"):
        setattr(sheet, name, (data[name] or "").strip() or None)
    sheet.readers = list(data["readers"])
    sheet.updated_at = now
    sheet.review_due_at = domain.review_due_at(now)  # saving it, changed or not, confirms it
    done = done_for(actor, "sheet.saved", now)
    with uow:
        uow.save(sheet)
        if done is not None:
            uow.add(done)
        uow.commit()
    return sheet_view(actor["member_id"], sheet)


@wire_errors
def read_sheet(uow, actor: dict, member_id, now: datetime) -> dict:
    """Another member's sheet, for a reader they named or the one looking after an alert about them; every such
    read is recorded and shown to the resident."""
    if member_id == actor["member_id"]:
        return get_own_sheet(uow, actor)
    repo = uow.repository
    resident = repo.neighbour(member_id) if isinstance(member_id, str) else None
    if resident is None or resident.community_id != actor["community_id"]:
        raise NotFound("There is no such member in your community.")
    sheet = repo.sheet(member_id)
    access = domain.sheet_access(reader_id=actor["member_id"], resident_id=member_id,
                                 readers=sheet.readers if sheet else [],
                                 alerts=[to_domain(a) for a in repo.unresolved_alerts_about(member_id)])
    domain.check_may_read(access)
    if sheet is None:
        raise NotFound("This neighbour has no emergency sheet.")
    with uow:
        uow.add(SheetRead(id=str(uuid.uuid4()), community_id=actor["community_id"], member_id=member_id,
                          reader_id=actor["member_id"], at=now, during_alert=access.during_alert,
                          alert_id=access.alert_id))
        uow.commit()
    return sheet_view(member_id, sheet)


def _read_view(read: SheetRead, neighbours: dict) -> dict:
    return {"at": isoformat_z(read.at), "member_id": read.reader_id, "display_name": _name(neighbours, read.reader_id),
            "during_alert": read.during_alert}


def sheet_reads(uow, actor: dict, query: dict) -> dict:
    repo = uow.repository
    data = load(SheetReadQuerySchema, query)
    page, next_cursor = repo.reads_of(actor["member_id"], limit=data["limit"], cursor=data["cursor"])
    neighbours = repo.neighbours_by_id({read.reader_id for read in page})
    return {"items": [_read_view(read, neighbours) for read in page], "next": next_cursor}


# -- members coming and going ----------------------------------------------------------------------------------------
def remember_member(uow, event: dict) -> None:
    member_id = event["payload"]["member_id"]
    neighbour = uow.repository.neighbour(member_id) or Housemate(id=member_id)
    uow.save_and_commit(copy_profile(neighbour, event, (
        "display_name", "phone", "household", "role", "preferred_language", "timezone")))


def on_member_gone(uow, member_id: str, *, erased: bool, now: datetime) -> None:
    """A deactivated or erased resident: the check-in stops, their alerts close, their sheet is erased; as a
    buddy they no longer count. Erasure removes everything else about them too, leaving anonymous traces (ids
    and times) in others' alert timelines and sheet-read lists. Repeatable: a second delivery changes nothing.
    Closing the alerts goes through units of work (their events tell those alerted); the rest are the
    repository's erasures, each one write."""
    repo = uow.repository
    repo.stop_settings(member_id)
    settle_alerts(uow, member_id, now, domain.close_for_member_gone)
    repo.forget_sheet(member_id)
    repo.withdraw_requests_to(member_id)
    if neighbour := repo.neighbour(member_id):
        neighbour.active = False
        uow.save_and_commit(neighbour)
    if erased:
        repo.forget_settings(member_id)
        repo.forget_links(member_id)
        repo.forget_check_ins(member_id)
        repo.forget_done_for(member_id)
        repo.forget_requests(member_id)
        repo.forget_reads_of(member_id)
        repo.blank_alert_notes(member_id)
        repo.drop_buddy_everywhere(member_id)
        repo.drop_reader_everywhere(member_id)
        repo.forget_neighbour(member_id)


def export(uow, actor: dict, now: datetime) -> dict:
    """Everything the care service holds about the member: settings, check-ins of the last 90 days, the alerts
    about them, their sheet and who read it, the buddy requests they made and received, the sheets they read."""
    repo = uow.repository
    member_id = actor["member_id"]
    alerts = repo.alerts_about(member_id)
    reads = repo.all_reads_of(member_id)
    sheet = repo.sheet(member_id)
    neighbours = repo.neighbours_by_id({r.reader_id for r in reads})
    return {
        "check_in": settings_view(repo, member_id, repo.settings(member_id), now),
        "check_ins": [{"at": isoformat_z(c.at), "acted_by": c.acted_by, "recorded": c.recorded, "note": c.note}
                      for c in repo.check_ins_since(member_id, now - EXPORTED_CHECK_INS)],
        "done_for_me": [{"at": isoformat_z(d.at), "action": d.action, "acted_by": d.acted_by}
                        for d in repo.done_for_of(member_id)],
        "check_in_links": [{"day": link.day, "issued_at": isoformat_z(link.issued_at),
                            "expires_at": isoformat_z(link.expires_at), "used_at": isoformat_z(link.used_at)}
                           for link in repo.links_of(member_id)],
        "buddy_requests_made": [{"id": r.id, "buddy_id": r.buddy_id, "status": r.status}
                                for r in repo.requests_of(member_id)],
        "buddy_requests_received": [{"id": r.id, "member_id": r.member_id, "status": r.status}
                                    for r in repo.requests_to(member_id)],
        "alerts": [{"id": a.id, "day": a.day, "status": a.status, "raised_at": isoformat_z(a.raised_at),
                    "resolved_at": isoformat_z(a.resolved_at), "outcome": a.outcome, "note": a.note,
                    "timeline": [{**e, "at": isoformat_z(e["at"])} for e in a.timeline]}
                   for a in alerts if a.status in domain.SHOWN],
        "emergency_sheet": sheet_view(member_id, sheet),
        "emergency_sheet_review_reminded_at": isoformat_z(sheet.review_reminded_at) if sheet else None,
        "emergency_sheet_reads": [_read_view(read, neighbours) for read in reads],
        "emergency_sheets_read": [{"member_id": read.member_id, "at": isoformat_z(read.at),
                                   "during_alert": read.during_alert} for read in repo.reads_by(member_id)],
    }
