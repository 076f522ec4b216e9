"""The rules of "Safe at home": the daily check-in, the alert that escalates, and who may read the emergency sheet.

A resident who lives alone switches the daily check-in on and says by when (`daily_by`, a time of day in the
community's time zone) they will press "I am fine". Neighbours they ask become buddies once they accept. If the
day's `deadline` (`daily_by` + `grace_minutes`) passes without a check-in, while the resident is neither away nor
switched off and has an accepted buddy (`why_no_alert` says which of these holds), one alert is raised for that
day: the first buddy is told at once, then every `escalation_minutes` the next buddy, then all organisers
(`take_step`), until somebody says "I am looking after it" (`acknowledge`). A check-in, even a late one, settles
every unresolved alert (`settle_by_check_in`). The emergency sheet is read by the readers the resident names and by
whoever acknowledged an alert about them while that alert is not resolved (`sheet_access`).

Days are calendar days of the community. A deadline is the wall-clock time `daily_by` on that day in the
community's zone, read as zoneinfo reads it with `fold=0`: a time the clocks skip (02:30 on 2027-03-28 in
Berlin) is taken as the same time after the jump (03:30 summer time), a time that happens twice (02:30 on
2026-10-25) as its first occurrence. So every day has exactly one deadline.

Plain data and plain functions: no Nameko, no MongoEngine, no clock (callers pass `now`, an aware datetime), no
I/O. Transitions mutate the `Alert` or `BuddyRequest` they are given; storing it and publishing the matching
event is the service's job.

Every error derives from `CareError`. The service's one mapping (`commands.wire_errors`) turns them into the
shared wire errors:
    InvalidSettings   -> Invalid   (422, `errors` maps field -> messages)
    NotAllowed        -> Forbidden (403)
    IllegalTransition -> Conflict  (409, carries `current_status`)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Iterable, Mapping, Sequence

from services.contracts.care import MAX_BUDDIES, OUTCOMES

# -- words ------------------------------------------------------------------------------------------------------
# How the current day stands for a resident (`GET /members/me/check-in` → today.status).
DUE, DONE, MISSED, AWAY, OFF = "due", "done", "missed", "away", "off"

# An alert's life. `pending` is stored but nobody has been told yet: the check-in may still win the race with the
# deadline, and then the alert is `cancelled` without anyone hearing of it. Only `open`, `acknowledged` and
# `resolved` alerts are ever shown.
PENDING, OPEN, ACKNOWLEDGED, RESOLVED, CANCELLED = "pending", "open", "acknowledged", "resolved", "cancelled"
UNRESOLVED = (PENDING, OPEN, ACKNOWLEDGED)
SHOWN = (OPEN, ACKNOWLEDGED, RESOLVED)

# How an alert ended: one of `OUTCOMES`, chosen by the person who resolves it, or one of these, by the platform.
CHECKED_IN = "checked_in"    # the resident checked in late
MEMBER_LEFT = "member_left"  # the resident was deactivated or erased
SYSTEM = "system"            # `resolved_by` when nobody pressed a button

# The steps of an alert's timeline.
STEP_RAISED, STEP_NOTIFIED, STEP_ACKNOWLEDGED, STEP_RESOLVED = "raised", "notified", "acknowledged", "resolved"

# Why no alert is raised for a day (`why_no_alert`).
NOT_ENABLED, BEING_AWAY, HAS_CHECKED_IN, NO_BUDDY = "off", "away", "checked_in", "no_buddy"
TOO_LATE = "too_late"  # why no email with a link goes: the day's deadline has passed

# Buddy requests: asked, then accepted or declined by the neighbour; withdrawn when the resident no longer names
# them or the neighbour left the community.
ASKED, ACCEPTED, DECLINED, WITHDRAWN = "asked", "accepted", "declined", "withdrawn"


# --- errors -------------------------------------------------------------------------------------------------


class CareError(Exception):
    """Base of every rule the care domain can refuse."""


class NotAllowed(CareError):
    """This member may not do this (403)."""


class IllegalTransition(CareError):
    """The action does not fit the current status (409, answered with that status)."""

    def __init__(self, current_status: str, message: str):
        self.current_status = current_status
        super().__init__(message)


class InvalidSettings(CareError):
    """Settings or a sheet break a rule; `errors` maps each field at fault to its messages (422). `message` is
    the sentence for them all (the wire's `detail`)."""

    def __init__(self, errors: Mapping[str, list[str]], message: str = "Some fields are not valid."):
        self.errors = {name: list(messages) for name, messages in errors.items()}
        self.message = message
        first = next(iter(self.errors))
        super().__init__(f"{first}: {self.errors[first][0]}")


# --- data ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """When a resident means to check in: by `daily_by` each day, with `grace_minutes` before an alert."""

    daily_by: time
    grace_minutes: int
    tz: tzinfo


@dataclass(frozen=True)
class AwayRange:
    """Calendar days of the community, both included, on which no check-in is expected."""

    start: date
    until: date

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.until


@dataclass
class TimelineEntry:
    at: datetime
    step: str
    who: str | None = None
    outcome: str | None = None


@dataclass
class Alert:
    """The alert of one missed day. `buddies` are the accepted buddies, in the resident's order, when it was
    stored; `alerted` everyone told so far, in the order they were told; `steps_done` counts the steps taken
    (the first, raising it, tells the first buddy)."""

    id: str
    member_id: str
    day: date
    deadline: datetime
    buddies: tuple[str, ...]
    escalation_minutes: int
    status: str = PENDING
    raised_at: datetime | None = None
    steps_done: int = 0
    alerted: list[str] = field(default_factory=list)
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    outcome: str | None = None
    note: str | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)


@dataclass
class BuddyRequest:
    id: str
    member_id: str  # the resident who asks
    buddy_id: str   # the neighbour asked
    status: str = ASKED


@dataclass(frozen=True)
class Access:
    """Whether a reader may read a resident's sheet, and whether only because of an alert."""

    allowed: bool
    during_alert: bool = False
    alert_id: str | None = None
    own: bool = False


# --- deadlines ----------------------------------------------------------------------------------------------


def parse_time_of_day(text: str) -> time:
    """"10:00" → time(10, 0). The wire schema has checked the pattern already."""
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def wall_clock(day: date, at: time, tz: tzinfo) -> datetime:
    """`at` on `day` in `tz`, as aware UTC. `fold=0`: a skipped time counts as after the jump, a repeated time
    as its first occurrence."""
    return datetime.combine(day, at, tzinfo=tz).replace(fold=0).astimezone(timezone.utc)


def deadline(day: date, schedule: Schedule) -> datetime:
    """The moment an alert is due for `day` without a check-in. The grace is real time after `daily_by`, so a
    deadline may fall on the next calendar day (23:30 + 60 minutes)."""
    return wall_clock(day, schedule.daily_by, schedule.tz) + timedelta(minutes=schedule.grace_minutes)


def check_in_window(day: date, schedule: Schedule) -> tuple[datetime, datetime]:
    """The check-ins that count for `day`: from its local midnight to the later of the next local midnight and
    its deadline, both included. A check-in after the deadline but on the same day still counts (late: it
    settles the alert, or prevents it if the timer has not come round yet), and one made after midnight counts
    for the day before as long as that day's deadline has not passed."""
    start = wall_clock(day, time(0, 0), schedule.tz)
    next_midnight = wall_clock(day + timedelta(days=1), time(0, 0), schedule.tz)
    return start, max(next_midnight, deadline(day, schedule))


def local_day(moment: datetime, tz: tzinfo) -> date:
    return _aware(moment).astimezone(tz).date()


def first_due_day(now: datetime, schedule: Schedule) -> date:
    """The first day a check-in is expected after switching it on (or changing the time) at `now`: the first
    whose `daily_by` still lies ahead, so nobody is alerted about a time that had passed when they chose it."""
    day = local_day(now, schedule.tz) - timedelta(days=1)
    while wall_clock(day, schedule.daily_by, schedule.tz) <= _aware(now):
        day += timedelta(days=1)
    return day


def current_day(now: datetime, schedule: Schedule) -> date:
    """The day "today" speaks of: the calendar day, unless yesterday's deadline has spilled past midnight and is
    still ahead (then yesterday is still being waited for)."""
    today = local_day(now, schedule.tz)
    yesterday = today - timedelta(days=1)
    return yesterday if _aware(now) < deadline(yesterday, schedule) else today


def check_away(away: AwayRange, *, today: date) -> None:
    """Away days are set ahead (or for today): a stretch that is over already is refused."""
    if away.until < today:
        raise InvalidSettings({"until": ["The last day away lies in the past."]},
                              message="These days have passed already.")


def is_away(day: date, away: Iterable[AwayRange]) -> bool:
    return any(stretch.covers(day) for stretch in away)


def day_status(day: date, now: datetime, schedule: Schedule | None, *, enabled: bool, away: Iterable[AwayRange],
               checked_in: bool) -> str:
    """How `day` stands: off, done, away, missed (its deadline passed without a check-in) or still due."""
    if not enabled or schedule is None:
        return OFF
    if checked_in:
        return DONE
    if is_away(day, away):
        return AWAY
    return MISSED if _aware(now) >= deadline(day, schedule) else DUE


def why_no_alert(day: date, *, enabled: bool, away: Iterable[AwayRange], checked_in: bool,
                 accepted_buddies: Sequence[str]) -> str | None:
    """Why a day whose deadline passed raises no alert, or None when it must raise one."""
    if not enabled:
        return NOT_ENABLED
    if checked_in:
        return HAS_CHECKED_IN
    if is_away(day, away):
        return BEING_AWAY
    if not accepted_buddies:
        return NO_BUDDY
    return None


def alert_id(member_id: str, day: date) -> str:
    """One alert per resident and day: its id is made of both, and ids are unique."""
    return f"{member_id}:{day.isoformat()}"


# --- the daily email with a one-click link ----------------------------------------------------------------

# The email goes two hours before `daily_by`: time to read it over breakfast before the time the resident chose,
# late enough not to arrive in the night for most (by 10:00: at 08:00). Not before the day's local midnight (by
# 01:00: at 00:00), so that the link is one of the day it checks in for.
REMINDER_LEAD = timedelta(hours=2)


def reminder_at(day: date, schedule: Schedule) -> datetime:
    midnight = wall_clock(day, time(0, 0), schedule.tz)
    return max(midnight, wall_clock(day, schedule.daily_by, schedule.tz) - REMINDER_LEAD)


def link_expires_at(day: date, schedule: Schedule) -> datetime:
    """A day's link works as long as a check-in counts for that day (`check_in_window`): to the day's end, or to
    its deadline if that falls after midnight."""
    return check_in_window(day, schedule)[1]


def why_no_email(day: date, now: datetime, schedule: Schedule, *, enabled: bool, email_reminder: bool,
                 away: Iterable[AwayRange], checked_in: bool) -> str | None:
    """Why no email with a link goes for `day`, or None when it must go. No email once the day's deadline has
    passed (a timer that was away): the alert, not a cheerful link, is what that day needs."""
    if not enabled or not email_reminder:
        return NOT_ENABLED
    if checked_in:
        return HAS_CHECKED_IN
    if is_away(day, away):
        return BEING_AWAY
    if _aware(now) >= deadline(day, schedule):
        return TOO_LATE
    return None


# --- the emergency sheet's review ------------------------------------------------------------------------------

# Phone numbers change, doctors retire, a key moves to another neighbour: the resident is asked to look the
# sheet over this long after saving it, and again each period after that until they save it.
REVIEW_PERIOD = timedelta(days=90)


def review_due_at(saved_at: datetime) -> datetime:
    return _aware(saved_at) + REVIEW_PERIOD


def next_review_due_at(due_at: datetime, now: datetime) -> datetime:
    """After a reminder: the same time one period later, or later still if the timer was away for longer (one
    reminder for the periods missed, not one per period)."""
    following = _aware(due_at) + REVIEW_PERIOD
    while following <= _aware(now):
        following += REVIEW_PERIOD
    return following


# --- escalation ---------------------------------------------------------------------------------------------


def new_alert(member_id: str, day: date, schedule: Schedule, accepted_buddies: Sequence[str],
              escalation_minutes: int) -> Alert:
    """The pending alert of a missed day; nobody is told before `take_step` raises it."""
    return Alert(id=alert_id(member_id, day), member_id=member_id, day=day, deadline=deadline(day, schedule),
                 buddies=tuple(accepted_buddies), escalation_minutes=escalation_minutes)


def step_count(alert: Alert) -> int:
    """Every buddy one step, then the organisers one."""
    return len(alert.buddies) + 1


def next_step_at(alert: Alert) -> datetime | None:
    """When the next step is due: a pending alert at its deadline; an open one `escalation_minutes` after the
    previous step (reckoned from when it was raised, so a late timer catches up); None when acknowledged,
    over, or when every step was taken."""
    if alert.status == PENDING:
        return alert.deadline
    if alert.status != OPEN or alert.steps_done >= step_count(alert):
        return None
    return alert.raised_at + timedelta(minutes=alert.escalation_minutes * alert.steps_done)


def step_due(alert: Alert, now: datetime) -> bool:
    due = next_step_at(alert)
    return due is not None and due <= _aware(now)


def take_step(alert: Alert, *, organisers: Iterable[str], now: datetime) -> list[str]:
    """Take the next step and return whom it tells: raising a pending alert tells the first buddy; each later
    step the next buddy; the last one every organiser not told yet (the resident never, should they be one).
    Organisers are asked when their step comes, so that one who joined meanwhile is told too."""
    if alert.status not in (PENDING, OPEN):
        raise IllegalTransition(alert.status, f"An alert that is {alert.status} takes no further step.")
    if alert.status == OPEN and alert.steps_done >= step_count(alert):
        raise IllegalTransition(alert.status, "Every step of this alert has been taken.")
    now = _aware(now)
    if alert.status == PENDING:
        alert.status, alert.raised_at = OPEN, now
        alert.timeline.append(TimelineEntry(now, STEP_RAISED))
    step = alert.steps_done
    if step < len(alert.buddies):
        told = [alert.buddies[step]]
    else:
        told = sorted({o for o in organisers if o != alert.member_id and o not in alert.alerted})
    for member in told:
        alert.alerted.append(member)
        alert.timeline.append(TimelineEntry(now, STEP_NOTIFIED, who=member))
    alert.steps_done = step + 1
    return told


def acknowledge(alert: Alert, *, actor_id: str, now: datetime) -> bool:
    """"I am looking after it": stops the escalation. Only someone who was told may say it. Saying it again is
    harmless (returns False: nothing changed)."""
    if actor_id not in alert.alerted:
        raise NotAllowed("Only someone who was told about this alert can look after it.")
    if alert.status == ACKNOWLEDGED and alert.acknowledged_by == actor_id:
        return False
    if alert.status != OPEN:
        raise IllegalTransition(alert.status, _already(alert))
    now = _aware(now)
    alert.status, alert.acknowledged_by, alert.acknowledged_at = ACKNOWLEDGED, actor_id, now
    alert.timeline.append(TimelineEntry(now, STEP_ACKNOWLEDGED, who=actor_id))
    return True


def resolve(alert: Alert, *, actor_id: str, actor_is_organiser: bool, outcome: str, note: str | None,
            now: datetime) -> None:
    """Someone who was told, or an organiser, records how it ended."""
    if actor_id not in alert.alerted and not actor_is_organiser:
        raise NotAllowed("Only someone who was told about this alert, or an organiser, can resolve it.")
    if outcome not in OUTCOMES:
        raise InvalidSettings({"outcome": [f"Choose one of: {', '.join(OUTCOMES)}."]})
    if alert.status not in (OPEN, ACKNOWLEDGED):
        raise IllegalTransition(alert.status, _already(alert))
    _close(alert, by=actor_id, outcome=outcome, now=now)
    alert.note = (note or "").strip() or None


def settle_by_check_in(alert: Alert, *, now: datetime) -> bool:
    """The resident checked in: a pending alert is cancelled (nobody was told), an open or acknowledged one is
    resolved ("all clear" to everyone told). Returns True when people must hear of it."""
    return _settle(alert, by=alert.member_id, outcome=CHECKED_IN, now=now)


def call_off(alert: Alert, *, reason: str, now: datetime) -> None:
    """A pending alert that is no longer needed when its turn to be raised comes (the resident switched off,
    set away days or checked in meanwhile) is cancelled; nobody was told."""
    if alert.status != PENDING:
        raise IllegalTransition(alert.status, "Only an alert nobody was told about yet can be called off.")
    alert.status, alert.resolved_by, alert.resolved_at, alert.outcome = CANCELLED, SYSTEM, _aware(now), reason


def close_for_member_gone(alert: Alert, *, now: datetime) -> bool:
    """The resident was deactivated or erased: their alerts close. Returns True when people must hear of it."""
    return _settle(alert, by=SYSTEM, outcome=MEMBER_LEFT, now=now)


def may_view(alert: Alert, *, viewer_id: str, viewer_is_organiser: bool) -> bool:
    """An alert is shown to those told about it and to organisers, once raised."""
    return alert.status in SHOWN and (viewer_is_organiser or viewer_id in alert.alerted)


def check_may_view(alert: Alert, *, viewer_id: str, viewer_is_organiser: bool) -> None:
    if not may_view(alert, viewer_id=viewer_id, viewer_is_organiser=viewer_is_organiser):
        raise NotAllowed("Only those told about this alert, and organisers, can see it.")


def actions(alert: Alert, *, viewer_id: str, viewer_is_organiser: bool) -> list[str]:
    """What the viewer may do with the alert now (for the pages)."""
    found = []
    if alert.status == OPEN and viewer_id in alert.alerted:
        found.append("acknowledge")
    if alert.status in (OPEN, ACKNOWLEDGED) and (viewer_is_organiser or viewer_id in alert.alerted):
        found.append("resolve")
    return found


# --- buddies ------------------------------------------------------------------------------------------------


def check_buddies(resident_id: str, buddies: Sequence[str], *, enabled: bool, neighbours: Iterable[str]) -> None:
    """One to three neighbours (none needed while switched off): active members of the community, not the
    resident, each once. Raises `InvalidSettings`."""
    known = set(neighbours)
    problems = []
    if enabled and not buddies:
        problems.append("Name at least one neighbour as a buddy.")
    if len(buddies) > MAX_BUDDIES:
        problems.append(f"Name at most {MAX_BUDDIES} buddies.")
    if resident_id in buddies:
        problems.append("You cannot be your own buddy.")
    if len(set(buddies)) != len(buddies):
        problems.append("Name each buddy once.")
    unknown = [b for b in buddies if b != resident_id and b not in known]
    if unknown:
        problems.append(f"Not an active member of your community: {', '.join(unknown)}.")
    if problems:
        raise InvalidSettings({"buddies": problems})


def accepted_in_order(buddies: Sequence[str], requests: Iterable[BuddyRequest], active: Iterable[str]) -> list[str]:
    """The buddies who count: named by the resident, accepted, and still active, in the resident's order."""
    accepted = {r.buddy_id for r in requests if r.status == ACCEPTED}
    still_here = set(active)
    return [b for b in buddies if b in accepted and b in still_here]


def answer(request: BuddyRequest, *, actor_id: str, accept: bool) -> bool:
    """The neighbour asked accepts or declines (and may change their mind). Returns True if it changed."""
    if actor_id != request.buddy_id:
        raise NotAllowed("Only the neighbour who was asked can answer this request.")
    if request.status == WITHDRAWN:
        raise IllegalTransition(WITHDRAWN, "This request was withdrawn.")
    wanted = ACCEPTED if accept else DECLINED
    changed = request.status != wanted
    request.status = wanted
    return changed


# --- the emergency sheet ------------------------------------------------------------------------------------


def check_readers(resident_id: str, readers: Sequence[str], *, neighbours: Iterable[str]) -> None:
    known = set(neighbours)
    problems = []
    if resident_id in readers:
        problems.append("You can always read your own sheet; name others.")
    if len(set(readers)) != len(readers):
        problems.append("Name each reader once.")
    unknown = [r for r in readers if r != resident_id and r not in known]
    if unknown:
        problems.append(f"Not an active member of your community: {', '.join(unknown)}.")
    if problems:
        raise InvalidSettings({"readers": problems})


def sheet_access(*, reader_id: str, resident_id: str, readers: Iterable[str], alerts: Iterable[Alert]) -> Access:
    """Who may read a resident's emergency sheet: the resident; the readers they name; the person who
    acknowledged an alert about them while it is not resolved. Nobody else, organisers included: their role
    gives them no right to it."""
    if reader_id == resident_id:
        return Access(True, own=True)
    looking_after = next((a for a in alerts if a.member_id == resident_id and a.status == ACKNOWLEDGED
                          and a.acknowledged_by == reader_id), None)
    if looking_after is not None:
        return Access(True, during_alert=True, alert_id=looking_after.id)
    if reader_id in set(readers):
        return Access(True)
    return Access(False)


def check_may_read(access: Access) -> None:
    if not access.allowed:
        raise NotAllowed("Only the readers this neighbour named, and whoever looks after an alert about them, can "
                         "read their emergency sheet.")


# --- helpers ------------------------------------------------------------------------------------------------


def _settle(alert: Alert, *, by: str, outcome: str, now: datetime) -> bool:
    if alert.status == PENDING:
        alert.status = CANCELLED
        alert.resolved_by, alert.resolved_at, alert.outcome = by, _aware(now), outcome
        return False
    if alert.status in (OPEN, ACKNOWLEDGED):
        _close(alert, by=by, outcome=outcome, now=now)
        return True
    return False


def _close(alert: Alert, *, by: str, outcome: str, now: datetime) -> None:
    now = _aware(now)
    alert.status, alert.resolved_by, alert.resolved_at, alert.outcome = RESOLVED, by, now, outcome
    alert.timeline.append(TimelineEntry(now, STEP_RESOLVED, who=by, outcome=outcome))


def _already(alert: Alert) -> str:
    if alert.status == ACKNOWLEDGED:
        return "Somebody is already looking after this alert."
    if alert.status == RESOLVED:
        return "This alert has been resolved."
    return f"This alert is {alert.status}."


def _aware(moment: datetime) -> datetime:
    # A naive `now` is a programming error in the caller, not a resident's mistake.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be time-zone aware")
    return moment
