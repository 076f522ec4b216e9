"""The booking rules of the shared spaces: may this booking happen, what does it clash with, what is free.

Residents book the community room, the guest apartment, the workshop and the garden kitchen. Each space has
`Rules` (opening hours, a slot grid, shortest and longest booking, how far ahead, a weekly quota per household,
a cleaning buffer). `check_booking` says whether one wished-for booking keeps them and, if not, raises
`RuleBroken` naming the first broken rule, its limit and a plain sentence for the resident. `clashes` finds the
existing bookings a new one would collide with (`check_no_clash` refuses them), `availability` describes one
calendar day, and `weekly_series` lays out a repeating booking. `HouseholdQuota` is the whole of the weekly
quota per household: who counts as a household, the week, the weeks a booking must find unchanged, the check.
Who may do what to a space or a booking is here too (`check_organiser`, `check_may_cancel`, `check_pending`,
`check_open`).

Every refusal derives from `SpacesError`; the service answers each with its wire error (`commands.wire_errors`).

Everything here is pure: standard library only, no Nameko, no MongoEngine, no clock (callers pass `now`), no I/O.

Time conventions, binding for callers:
- Every datetime that comes in must be timezone-aware; a naive one raises `ValueError`. Every datetime that
  goes out is aware UTC (`datetime.timezone.utc`); only `to_local` returns local time, for rendering.
- Opening hours, the slot grid, calendar days, "days ahead" and the quota week follow the community's wall
  clock (`tz`, a `zoneinfo.ZoneInfo`, usually `DEFAULT_COMMUNITY_TZ`), so they stay right on the days the
  clocks change. Durations, buffers and quotas count real elapsed minutes: 01:00-04:00 on the night clocks
  go forward lasts two hours, 01:00-03:00 on the night they go back lasts three.
- A wall-clock time that does not exist on a day (the spring gap, 02:00-03:00 in Berlin) is read as the first
  time that does exist, the end of the gap (03:00). A wall-clock time that happens twice (the autumn hour) is
  read as the first of the two (summer time).
- Rules are checked as the community's wall clock sees them; `open_until` of 00:00 means midnight at the end
  of the day, and 00:00-00:00 means open around the clock, the only case in which a booking may run past
  midnight (the guest apartment's multi-day stays).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Iterable
from zoneinfo import ZoneInfo

from services.contracts.vocabulary import DEFAULT_TIMEZONE

UTC = timezone.utc
DEFAULT_COMMUNITY_TZ = ZoneInfo(DEFAULT_TIMEZONE)
MIDNIGHT = time(0, 0)
WEEK = timedelta(days=7)
MAX_SERIES_LENGTH = 52

RULE_NAMES = (
    "end_before_start", "in_the_past", "slot_grid", "min_duration", "max_duration", "days_ahead",
    "opening_hours", "household_quota",
)
SPACE_CLOSED = "space_closed"  # not a rule of the space: the space itself takes no bookings now

_MINUTES_PER_DAY = 24 * 60
_ONE_MINUTE = timedelta(minutes=1)
_HHMM = re.compile(r"(\d{1,2}):(\d{2})")


class SpacesError(Exception):
    """Base of every refusal of the spaces' rules."""


class InvalidRules(SpacesError):
    """An organiser gave a space rules that contradict each other; `field` names the one to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotATimeOfDay(SpacesError, ValueError):
    """A time in the rules that is none, like 25:00."""


class RuleBroken(SpacesError):
    """A booking breaks one of the space's rules.

    `rule` is a stable machine name (one of `RULE_NAMES`, or `SPACE_CLOSED` for a space that takes no bookings
    now), `limit` the number or text that was exceeded (None where there is none), and `message` an English
    sentence for the resident. `rule` and `limit` alone are enough to word the same message in another
    language, so translations never have to parse `message`.
    """

    def __init__(self, rule: str, limit: int | str | None, message: str):
        super().__init__(message)
        self.rule = rule
        self.limit = limit
        self.message = message


class NotAllowed(SpacesError):
    """This member may not do this, whatever the state of the space or the booking."""


class NotPending(SpacesError):
    """Only a booking that waits for an organiser can be approved or rejected."""

    def __init__(self, current_status: str):
        super().__init__(f"This booking is {current_status}, so it cannot be approved or rejected.")
        self.current_status = current_status


class Clash(SpacesError):
    """The wished-for time overlaps live bookings (their cleaning buffer included): `hits`, soonest first."""

    def __init__(self, hits: list["Booked"], buffer_minutes: int):
        super().__init__("This time is already booked" + (" (the room needs cleaning time in between)."
                                                          if buffer_minutes else "."))
        self.hits = hits


@dataclass(frozen=True)
class Rules:
    """The booking rules of one space. Construction validates, so a `Rules` that exists is consistent."""

    open_from: time
    open_until: time
    slot_minutes: int
    min_duration_minutes: int
    max_duration_minutes: int
    max_days_ahead: int
    household_quota_minutes_per_week: int | None
    requires_approval: bool
    buffer_minutes: int

    def __post_init__(self) -> None:
        self.validate()

    @property
    def open_around_the_clock(self) -> bool:
        return self.open_from == MIDNIGHT and self.open_until == MIDNIGHT

    @property
    def opening_hours_text(self) -> str:
        """The opening hours as the `limit` of a broken rule, e.g. "08:00–22:00" or "10:00–24:00"."""
        return f"{_hhmm(self.open_from)}–{_hhmm(self.open_until, end_of_day=True)}"

    def validate(self) -> "Rules":
        """Raise `InvalidRules` for the first inconsistency found; return self so it can be chained."""
        for field in ("open_from", "open_until"):
            value = getattr(self, field)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise InvalidRules(field, "must be a time of day such as 08:00, without a time zone.")
            if value.second or value.microsecond:
                raise InvalidRules(field, "must be given in whole minutes.")
        for field in ("slot_minutes", "min_duration_minutes", "max_duration_minutes", "max_days_ahead",
                      "buffer_minutes"):
            _require_whole_number(field, getattr(self, field))
        if self.household_quota_minutes_per_week is not None:
            _require_whole_number("household_quota_minutes_per_week", self.household_quota_minutes_per_week)
        if not isinstance(self.requires_approval, bool):
            raise InvalidRules("requires_approval", "must be true or false.")

        slot = self.slot_minutes
        if slot <= 0:
            raise InvalidRules("slot_minutes", "must be more than 0.")
        # The grid is counted from local midnight each day; a step that does not divide the day would make
        # the grid jump at midnight and leave the last slot of every day shorter than the others.
        if _MINUTES_PER_DAY % slot:
            raise InvalidRules("slot_minutes", "must divide a day evenly, for example 15, 30, 60 or 1440.")
        for field in ("open_from", "open_until"):
            if _minute_of_day(getattr(self, field)) % slot:
                raise InvalidRules(field, f"must lie on the {slot}-minute grid counted from midnight.")
        if self.open_until != MIDNIGHT and self.open_until <= self.open_from:
            raise InvalidRules("open_until", "must be later than open_from (use 00:00 for midnight).")

        if self.min_duration_minutes <= 0:
            raise InvalidRules("min_duration_minutes", "must be more than 0.")
        if self.min_duration_minutes % slot:
            raise InvalidRules("min_duration_minutes", f"must be a multiple of slot_minutes ({slot}).")
        if self.max_duration_minutes < self.min_duration_minutes:
            raise InvalidRules("max_duration_minutes", "must not be less than min_duration_minutes.")
        if self.max_duration_minutes % slot:
            raise InvalidRules("max_duration_minutes", f"must be a multiple of slot_minutes ({slot}).")
        if not self.open_around_the_clock and self._minutes_open_per_day() < self.min_duration_minutes:
            raise InvalidRules("min_duration_minutes", "is longer than the space is open in a day.")

        if self.max_days_ahead < 0:
            raise InvalidRules("max_days_ahead", "must not be negative.")
        quota = self.household_quota_minutes_per_week
        if quota is not None:
            if quota < 0:
                raise InvalidRules("household_quota_minutes_per_week", "must not be negative.")
            if quota < self.min_duration_minutes:
                raise InvalidRules(
                    "household_quota_minutes_per_week",
                    "is shorter than the shortest booking, so no household could book at all.",
                )
        if self.buffer_minutes < 0:
            raise InvalidRules("buffer_minutes", "must not be negative.")
        return self

    def _minutes_open_per_day(self) -> int:
        until = _MINUTES_PER_DAY if self.open_until == MIDNIGHT else _minute_of_day(self.open_until)
        return until - _minute_of_day(self.open_from)


@dataclass(frozen=True)
class Booked:
    """An existing booking as far as clashes, the calendar and the quota care: its id, its times (stored as UTC)
    and whose it is."""

    booking_id: str
    start: datetime
    end: datetime
    member_id: str | None = None
    household: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _as_utc(self.start, "start"))
        object.__setattr__(self, "end", _as_utc(self.end, "end"))
        if self.end <= self.start:
            raise ValueError(f"booking {self.booking_id!r} ends before it starts")


# --- Time helpers ------------------------------------------------------------------------------------------

def to_local(dt: datetime, tz: tzinfo) -> datetime:
    """The same instant on the community's wall clock (for rendering and for rules that speak of it)."""
    return _require_aware(dt, "dt").astimezone(tz)


def parse_hhmm(text: str, *, end_of_day: bool = False) -> time:
    """Parse "HH:MM" (also "8:00"). With `end_of_day`, "24:00" is accepted and means midnight, i.e. 00:00."""
    match = _HHMM.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise NotATimeOfDay(f"{text!r} is not a time of day like 08:30")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if end_of_day and (hours, minutes) == (24, 0):
        return MIDNIGHT
    if hours > 23 or minutes > 59:
        raise NotATimeOfDay(f"{text!r} is not a time of day like 08:30")
    return time(hours, minutes)


def duration_minutes(start: datetime, end: datetime) -> int:
    """Real elapsed whole minutes between two instants, whatever the wall clock did in between."""
    return (_as_utc(end, "end") - _as_utc(start, "start")) // _ONE_MINUTE


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """UTC bounds [start, end) of a local calendar day; 23 or 25 hours long on the days the clocks change."""
    _require_date(day)
    return _wall_to_utc(day, MIDNIGHT, tz), _wall_to_utc(day + timedelta(days=1), MIDNIGHT, tz)


def utc_weeks(start: datetime, end: datetime) -> list[datetime]:
    """The UTC Mondays of the weeks that [start, end) touches: the weeks in which the service keeps a space's
    claimed times (its week ledgers)."""
    start = _as_utc(start, "start")
    monday = (start - timedelta(days=start.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    weeks = []
    while monday < end:
        weeks.append(monday)
        monday += WEEK
    return weeks


# --- The household quota -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Household:
    """Who books together against a quota: the members who give the same household; a member who gives none
    books as a household of their own."""

    member_id: str
    name: str | None = None

    def holds(self, booked: Booked) -> bool:
        return booked.household == self.name if self.name else booked.member_id == self.member_id


@dataclass(frozen=True)
class HouseholdQuota:
    """How long one household may hold one space in a week: all there is to the rule.

    - Who: a `Household`.
    - The week: the local ISO week, Monday 00:00 to Monday 00:00 on the community's wall clock (`week`). A booking
      counts whole in the week it starts (`minutes_held`).
    - The guard weeks: the local week touches two of the UTC weeks in which the service keeps a space's claims
      (Monday 00:00 in Berlin is Sunday evening UTC). A booking is counted against the claims of both, and
      claims its own time only if neither changed meanwhile (`guard_weeks`): two bookings of one household at
      the same moment cannot together pass the quota.
    - The check: what the household holds in the week plus the new booking stays within `minutes_per_week`.
    - How far back it looks: a new booking's week began at most seven days and a zone's offset ago, so claims
      of weeks that ended before `counts_since` count for nothing.
    """

    minutes_per_week: int
    tz: tzinfo

    @classmethod
    def of(cls, rules: Rules, tz: tzinfo) -> HouseholdQuota | None:
        """The space's quota, or None for a space without one."""
        if rules.household_quota_minutes_per_week is None:
            return None
        return cls(rules.household_quota_minutes_per_week, tz)

    def week(self, start: datetime) -> tuple[datetime, datetime]:
        return quota_week(start, self.tz)

    def guard_weeks(self, start: datetime) -> list[datetime]:
        return utc_weeks(*self.week(start))

    def minutes_held(self, household: Household, bookings: Iterable[Booked], start: datetime) -> int:
        """What `household` holds in the week of `start`, of the live `bookings` of the space."""
        return household_minutes_in_week([booked for booked in bookings if household.holds(booked)], start, self.tz)

    def check(self, minutes_held: int, minutes: int) -> None:
        """Raise `RuleBroken` if a booking of `minutes` on top of `minutes_held` passes the quota."""
        if minutes_held + minutes > self.minutes_per_week:
            raise RuleBroken(
                "household_quota",
                self.minutes_per_week,
                f"Each household can book this room for at most {_duration_text(self.minutes_per_week)} a week "
                "(Monday to Sunday).",
            )

    @staticmethod
    def counts_since(now: datetime) -> datetime:
        return now - WEEK - timedelta(days=1)


def quota_week(start: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    """UTC bounds [Monday 00:00, next Monday 00:00) of the local ISO week containing `start`."""
    local_day = to_local(start, tz).date()
    monday = local_day - timedelta(days=local_day.weekday())
    return _wall_to_utc(monday, MIDNIGHT, tz), _wall_to_utc(monday + timedelta(days=7), MIDNIGHT, tz)


def household_minutes_in_week(household_bookings: Iterable[Booked], week_of: datetime, tz: tzinfo) -> int:
    """Minutes the household's bookings of one space count against the quota in the week of `week_of`.

    A booking counts entirely in the week in which it starts, even if it runs on past Monday 00:00: the quota
    is meant to stop one household taking a space every week, and splitting a stay across two weeks would
    let a Sunday-to-Monday booking slip half of itself past both weeks' limits. Pass the household's
    bookings that still hold the space (confirmed and, as the service decides, pending) of this space only.
    """
    week_start, week_end = quota_week(week_of, tz)
    return sum(
        duration_minutes(booked.start, booked.end)
        for booked in household_bookings
        if week_start <= booked.start < week_end
    )


# --- The rules ---------------------------------------------------------------------------------------------

def check_booking(
    rules: Rules,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    tz: tzinfo,
    household_minutes_booked_in_week: int,
) -> None:
    """Raise `RuleBroken` for the first rule the booking [start, end) breaks; return None if it keeps them all.

    The order is: end_before_start, in_the_past, slot_grid, min_duration, max_duration, days_ahead,
    opening_hours, household_quota. `household_minutes_booked_in_week` is what the household already holds of
    this space in the booking's quota week (see `household_minutes_in_week`), not counting this booking.
    Clashes with other bookings are not a rule here but a conflict: see `clashes`.
    """
    start, end, now = _as_utc(start, "start"), _as_utc(end, "end"), _as_utc(now, "now")
    booked = household_minutes_booked_in_week
    if isinstance(booked, bool) or not isinstance(booked, int) or booked < 0:
        raise ValueError("household_minutes_booked_in_week must be a whole number of minutes, 0 or more")

    if end <= start:
        raise RuleBroken("end_before_start", _iso_z(start), "The end of a booking must be later than its start.")
    if start < now:
        raise RuleBroken("in_the_past", _iso_z(now), "A booking cannot start in the past.")

    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    slot = rules.slot_minutes
    if not (_on_grid(local_start, slot) and _on_grid(local_end, slot)):
        raise RuleBroken("slot_grid", slot, _slot_grid_message(slot))

    minutes = duration_minutes(start, end)
    if minutes < rules.min_duration_minutes:
        limit = rules.min_duration_minutes
        raise RuleBroken(
            "min_duration", limit, f"This room must be booked for at least {_duration_text(limit)} at a time."
        )
    if minutes > rules.max_duration_minutes:
        limit = rules.max_duration_minutes
        raise RuleBroken(
            "max_duration", limit, f"This room can be booked for at most {_duration_text(limit)} at a time."
        )

    days_ahead = (local_start.date() - now.astimezone(tz).date()).days
    if days_ahead > rules.max_days_ahead:
        raise RuleBroken("days_ahead", rules.max_days_ahead, _days_ahead_message(rules.max_days_ahead))

    if not _within_opening_hours(rules, start, end, tz):
        raise RuleBroken("opening_hours", rules.opening_hours_text, _opening_hours_message(rules))

    quota = HouseholdQuota.of(rules, tz)
    if quota is not None:
        quota.check(booked, minutes)


def check_no_clash(candidate: tuple[datetime, datetime], existing: Iterable[Booked], buffer_minutes: int) -> None:
    """Raise `Clash` if the candidate collides with any of the existing bookings (see `clashes`)."""
    hits = clashes(candidate, existing, buffer_minutes)
    if hits:
        raise Clash(hits, buffer_minutes)


def blocked_interval(start: datetime, end: datetime, buffer_minutes: int) -> tuple[datetime, datetime]:
    """The time a booking keeps the space from others: [start, end + buffer), the buffer being cleaning time."""
    start, end = _as_utc(start, "start"), _as_utc(end, "end")
    if end <= start:
        raise ValueError("end must be later than start")
    if isinstance(buffer_minutes, bool) or not isinstance(buffer_minutes, int) or buffer_minutes < 0:
        raise ValueError("buffer_minutes must be a whole number, 0 or more")
    return start, end + timedelta(minutes=buffer_minutes)


def clashes(
    candidate: tuple[datetime, datetime], existing: Iterable[Booked], buffer_minutes: int
) -> list[Booked]:
    """The existing bookings whose blocked interval overlaps the candidate's, soonest first.

    Comparing blocked intervals makes the check symmetric: a new booking placed after an existing one must
    leave the buffer after it, and one placed before must leave the buffer before it, because its own
    cleaning time would otherwise run into the existing booking. The caller leaves the booking being
    changed out of `existing`.
    """
    mine_start, mine_end = blocked_interval(candidate[0], candidate[1], buffer_minutes)
    hits = []
    for booked in existing:
        theirs_start, theirs_end = blocked_interval(booked.start, booked.end, buffer_minutes)
        if mine_start < theirs_end and theirs_start < mine_end:
            hits.append(booked)
    return sorted(hits, key=lambda booked: (booked.start, booked.booking_id))


def availability(
    rules: Rules, day: date, tz: tzinfo, busy: Iterable[Booked], buffer_minutes: int | None = None
) -> dict[str, list[tuple[datetime, datetime]]]:
    """One local calendar day of a space, all intervals [start, end) in UTC and sorted.

    - "open": when the space is open that day (the whole day, 23/24/25 hours, if open around the clock).
    - "busy": the blocked intervals of `busy` (booking plus buffer after it), clipped to the day.
    - "free": where a new booking can lie whole: open time minus, around each booking, the buffer before it
      (the new booking's own cleaning time) and the booking plus its buffer. "busy" alone would tempt a
      resident to book right up to the next booking, which `clashes` then refuses. "free" ignores the slot
      grid, the shortest booking and `now`; `check_booking` still decides.

    `buffer_minutes` defaults to the space's `rules.buffer_minutes`.
    """
    buffer_minutes = rules.buffer_minutes if buffer_minutes is None else buffer_minutes
    day_start, day_end = day_bounds(day, tz)
    if rules.open_around_the_clock:
        open_intervals = [(day_start, day_end)]
    else:
        open_intervals = [_opening_interval(rules, day, tz)]

    bookings = list(busy)
    blocked = [blocked_interval(booked.start, booked.end, buffer_minutes) for booked in bookings]
    clipped = sorted(
        (max(start, day_start), min(end, day_end)) for start, end in blocked if start < day_end and end > day_start
    )
    keep_clear = [(start - timedelta(minutes=buffer_minutes), end) for start, end in blocked]
    return {"open": open_intervals, "busy": clipped, "free": _subtract(open_intervals, keep_clear)}


def weekly_series(start: datetime, end: datetime, count: int, tz: tzinfo) -> list[tuple[datetime, datetime]]:
    """`count` occurrences of a weekly booking in UTC; the first is the one given.

    Each later occurrence falls 7 local days later at the same local wall-clock start and end, so across a
    change of the clocks its UTC time shifts by an hour. A wall-clock time that does not exist on that day (the
    spring gap) moves forward to the first time that does (03:00 in Berlin); one that happens twice (the autumn
    hour) is taken the first time (summer time). Such an occurrence may therefore be shorter or longer in real
    minutes than the first one, so check every occurrence with `check_booking`. At most 52 occurrences.
    """
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError("count must be a whole number")
    if not 1 <= count <= MAX_SERIES_LENGTH:
        raise ValueError(f"a weekly series has between 1 and {MAX_SERIES_LENGTH} occurrences, not {count}")
    start, end = _as_utc(start, "start"), _as_utc(end, "end")
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    series = [(start, end)]
    for week in range(1, count):
        shift = timedelta(weeks=week)
        series.append((
            _wall_to_utc(local_start.date() + shift, local_start.time(), tz),
            _wall_to_utc(local_end.date() + shift, local_end.time(), tz),
        ))
    return series


# --- Who may do what ----------------------------------------------------------------------------------------

def check_organiser(role: str) -> None:
    """Spaces, their rules and the approval of bookings are the organisers' business."""
    if role != "organiser":
        raise NotAllowed("Only organisers may do this.")


def check_may_cancel(booker_id: str, actor_id: str, actor_role: str) -> None:
    if booker_id != actor_id and actor_role != "organiser":
        raise NotAllowed("Only the person who booked, or an organiser, can cancel this booking.")


def check_pending(status: str) -> None:
    if status != "pending":
        raise NotPending(status)


def check_open(space_active: bool) -> None:
    """A space an organiser closed takes no bookings, whatever its rules."""
    if not space_active:
        raise RuleBroken(SPACE_CLOSED, None, "This room cannot be booked at the moment.")


# --- Internals ---------------------------------------------------------------------------------------------

def _require_aware(dt: datetime, name: str) -> datetime:
    if not isinstance(dt, datetime):
        raise TypeError(f"{name} must be a datetime")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got a naive datetime")
    return dt


def _as_utc(dt: datetime, name: str) -> datetime:
    # Converting before any arithmetic matters: Python subtracts two datetimes that share a ZoneInfo by wall
    # clock, which would make 01:00-04:00 on the spring DST night last three hours instead of two.
    return _require_aware(dt, name).astimezone(UTC)


def _require_date(day: date) -> None:
    # datetime is a subclass of date; accepting one would silently use its (possibly UTC) date.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError("day must be a date, not a datetime")


def _require_whole_number(field: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRules(field, "must be a whole number.")


def _wall_to_utc(day: date, wall: time, tz: tzinfo) -> datetime:
    """The UTC instant of a local wall-clock time: gap -> end of the gap, repeated hour -> its first pass."""
    naive = datetime.combine(day, wall)
    instant = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == naive:
        return instant
    # `naive` lies in the gap. Between reading it with the offset after the jump (lands before the gap) and
    # with the offset before it (lands after the gap) lies the moment of the jump; find it to the second.
    low = int(naive.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())
    high = int(instant.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _opening_interval(rules: Rules, day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    closing_day = day + timedelta(days=1) if rules.open_until == MIDNIGHT else day
    return _wall_to_utc(day, rules.open_from, tz), _wall_to_utc(closing_day, rules.open_until, tz)


def _within_opening_hours(rules: Rules, start: datetime, end: datetime, tz: tzinfo) -> bool:
    if rules.open_around_the_clock:
        return True
    # Unless the space is open around the clock, one day's opening hours never touch the next day's (open
    # until midnight means closed from midnight, and open from midnight means closed before it), so a booking
    # that keeps the rules lies whole inside the opening hours of the day it starts on.
    opens, closes = _opening_interval(rules, start.astimezone(tz).date(), tz)
    return opens <= start and end <= closes


def _on_grid(local: datetime, slot_minutes: int) -> bool:
    return local.second == 0 and local.microsecond == 0 and _minute_of_day(local.time()) % slot_minutes == 0


def _minute_of_day(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _subtract(
    intervals: list[tuple[datetime, datetime]], holes: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    remaining = list(intervals)
    for hole_start, hole_end in holes:
        pieces = []
        for start, end in remaining:
            if hole_end <= start or end <= hole_start:
                pieces.append((start, end))
                continue
            if start < hole_start:
                pieces.append((start, hole_start))
            if hole_end < end:
                pieces.append((hole_end, end))
        remaining = pieces
    return sorted(remaining)


def _iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _hhmm(moment: time, *, end_of_day: bool = False) -> str:
    if end_of_day and moment == MIDNIGHT:
        return "24:00"
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _plural(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def _duration_text(minutes: int) -> str:
    if minutes >= _MINUTES_PER_DAY and minutes % _MINUTES_PER_DAY == 0:
        return _plural(minutes // _MINUTES_PER_DAY, "day")
    hours, rest = divmod(minutes, 60)
    parts = [_plural(hours, "hour")] if hours else []
    if rest or not parts:
        parts.append(_plural(rest, "minute"))
    return " and ".join(parts)


def _slot_grid_message(slot_minutes: int) -> str:
    if slot_minutes == _MINUTES_PER_DAY:
        return "Bookings for this room begin and end at midnight."
    every = "every hour" if slot_minutes == 60 else f"every {_duration_text(slot_minutes)}"
    # Two neighbouring times from late morning read more naturally than 00:00 and 00:30.
    first = -(-600 // slot_minutes) * slot_minutes
    examples = [first + step * slot_minutes for step in range(2) if first + step * slot_minutes < _MINUTES_PER_DAY]
    shown = " or ".join(f"{minute // 60:02d}:{minute % 60:02d}" for minute in examples) or "00:00"
    return f"Bookings for this room begin and end at fixed times, {every} from midnight, for example {shown}."


def _days_ahead_message(max_days_ahead: int) -> str:
    if max_days_ahead == 0:
        return "This room can only be booked for today."
    return f"This room can be booked at most {_plural(max_days_ahead, 'day')} in advance."


def _opening_hours_message(rules: Rules) -> str:
    until = "midnight" if rules.open_until == MIDNIGHT else _hhmm(rules.open_until)
    return f"This room can only be booked between {_hhmm(rules.open_from)} and {until}, within one day."
