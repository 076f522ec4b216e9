"""Pages of the shared rooms: a room's next seven days at a glance (from today, each day's next free time in
words), booking it in one form, my bookings with cancel, and the link to my calendar."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import g, request
from flask_babel import gettext as _
from flask_babel import ngettext

from gateway.delegation import delegable
from gateway.web.common import (
    FormErrors, after_post, call, community_zone, flash_done, language, local_moment, login_required, page,
    page_blueprint, parse_day, span, today, utc_iso,
)
from services.common.clock import parse_iso, utcnow
from services.common.errors import Conflict, Invalid, RuleBroken
from services.common.i18n import format_day

bp = page_blueprint("web_rooms", __name__)


def booking_labels() -> dict:
    return {"date": _("Day"), "start": _("From"), "end": _("Until"), "purpose": _("What for?"), "form": _("Booking")}


def duration_text(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(num)d day", "%(num)d days", days)
    if minutes % 60 == 0:
        return ngettext("%(num)d hour", "%(num)d hours", minutes // 60)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def rule_message(rule: str | None, limit) -> str:
    """Why the rules stop a booking, in the reader's language, from the broken rule and its limit alone (the
    spaces service's `RuleBroken` carries both; its English sentence is for the API)."""
    if rule == "end_before_start":
        return _("The end must be later than the start.")
    if rule == "in_the_past":
        return _("This time has already passed. Please choose a later time.")
    if rule == "slot_grid":
        return _("Bookings of this room begin and end at fixed times: every %(duration)s, counted from midnight.",
                 duration=duration_text(int(limit)))
    if rule == "min_duration":
        return _("This room must be booked for at least %(duration)s.", duration=duration_text(int(limit)))
    if rule == "max_duration":
        return _("This room can be booked for at most %(duration)s at a time.", duration=duration_text(int(limit)))
    if rule == "days_ahead":
        return ngettext("This room can be booked at most %(num)d day in advance.",
                        "This room can be booked at most %(num)d days in advance.", int(limit))
    if rule == "opening_hours":  # the limit is the opening hours, "08:00–22:00" or "10:00–24:00"
        opens, _dash, closes = str(limit).partition("–")
        return _("This room can only be booked between %(start)s and %(end)s.", start=opens,
                 end=closes if closes != "24:00" else _("midnight"))
    if rule == "household_quota":
        return _("Each household can book this room for at most %(duration)s a week (Monday to Sunday). "
                 "Your household has used that up.", duration=duration_text(int(limit)))
    if rule == "space_closed":
        return _("This room cannot be booked at the moment.")
    return _("The rules of this room do not allow this booking.")


DAYS_SHOWN = 7
FURTHEST_AHEAD = timedelta(days=366)  # days are named without their year: a year ahead at most


def first_day(text: str | None, current: date) -> date:
    """The first of the seven days a room's page shows: the day `?from=2026-12-24` names, else today. A day in
    the past, more than a year ahead or not a day at all shows today: the page never starts half in the past."""
    chosen = parse_day(text)
    return chosen if chosen and current <= chosen <= current + FURTHEST_AHEAD else current


def bookable_times(free: list[dict], now: datetime, slot_minutes: int, min_minutes: int,
                   zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The free intervals of a day where a booking can still begin and fit: each starts no earlier than `now`, on
    the room's grid of `slot_minutes` counted from midnight, and is long enough for the shortest booking."""
    slot = max(int(slot_minutes or 1), 1)
    found = []
    for interval in free:
        start, end = parse_iso(interval["start"]), parse_iso(interval["end"])
        local = max(start, now).astimezone(zone)
        minute = local.hour * 60 + local.minute + (1 if local.second or local.microsecond else 0)
        midnight = datetime.combine(local.date(), time(0, 0), zone)
        begins = (midnight + timedelta(minutes=-(-minute // slot) * slot)).astimezone(timezone.utc)
        if begins + timedelta(minutes=int(min_minutes or 0)) <= end and begins < end:
            found.append((begins, end))
    return found


def next_free_words(times: list[tuple[datetime, datetime]], is_today: bool, zone: ZoneInfo) -> str:
    """The next free time of a day as a sentence in the reader's language."""
    if not times:
        return _("No more free time today.") if is_today else _("Fully booked.")
    start, end = (moment.astimezone(zone) for moment in times[0])
    if end.time() == time(0, 0) and end.date() > start.date():
        return _("Next free time: from %(start)s until midnight.", start=start.strftime("%H:%M"))
    return _("Next free time: from %(start)s to %(end)s.", start=start.strftime("%H:%M"),
             end=end.strftime("%H:%M"))


def day_label(day: date, current: date) -> str:
    label = format_day(day, language())
    if day == current:
        return _("Today, %(day)s", day=label)
    if day == current + timedelta(days=1):
        return _("Tomorrow, %(day)s", day=label)
    return label


@bp.route("/rooms")
@login_required
@delegable("bookings")
def rooms():
    spaces = [space for space in call("spaces", "list_spaces", g.actor)["items"] if space.get("active", True)]
    return page("web/rooms.html", title=_("Rooms"), spaces=spaces)


def week_page(space_id: str, first: date, *, errors=None, form=None, clashes=(), status=200):
    """The room, its booking form and its next seven days from `first` (today or later)."""
    space = call("spaces", "get_space", g.actor, space_id)
    rules, zone, current, now = space["rules"], community_zone(), today(), utcnow()
    days = []
    for offset in range(DAYS_SHOWN):
        day = first + timedelta(days=offset)
        availability = call("spaces", "availability", g.actor, space_id, {"date": day.isoformat()})
        free = bookable_times(availability.get("free") or [], now, rules.get("slot_minutes"),
                              rules.get("min_duration_minutes"), zone)
        days.append({"date": day, "label": day_label(day, current), "open": availability.get("open"),
                     "busy": availability.get("busy") or [], "free": free,
                     "next_free": next_free_words(free, day == current, zone)})
    form = form or {"date": first.isoformat(), "start": "", "end": "", "purpose": ""}
    earlier = max(first - timedelta(days=DAYS_SHOWN), current) if first > current else None
    later = first + timedelta(days=DAYS_SHOWN)
    return page("web/room_week.html", status, title=space["name"], space=space, days=days, form=form,
                errors=errors or FormErrors(), labels=booking_labels(), clashes=clashes, duration=duration_text,
                starts_today=first == current, first_label=format_day(first, language()),
                earlier=earlier.isoformat() if earlier else None,
                later=later.isoformat() if later <= current + FURTHEST_AHEAD else None)


@bp.route("/rooms/<space_id>")
@login_required
@delegable("bookings")
def week(space_id):
    return week_page(space_id, first_day(request.args.get("from"), today()))


@bp.route("/rooms/<space_id>/book", methods=["POST"])
@login_required
@delegable("bookings")
def book(space_id):
    form = {key: request.form.get(key, "").strip() for key in ("date", "start", "end", "purpose")}
    errors, clashes = FormErrors(), []
    day = parse_day(form["date"])
    if day is None:
        errors.add("date", _("Please choose a day."))
    moments = {}
    for key in ("start", "end"):
        if not form[key]:
            errors.add(key, _("Please enter a time, for example 14:00."))
        elif day is not None:
            try:
                moments[key] = local_moment(day, form[key])
            except ValueError:
                errors.add(key, _("Please enter a time, for example 14:00. (When the clocks change, "
                                  "some times do not exist.)"))
    if len(form["purpose"]) > 200:
        errors.add("purpose", _("Please write at most 200 characters."))
    if not errors:
        try:
            booking = call("spaces", "book", g.actor, {
                "space_id": space_id, "start": utc_iso(moments["start"]), "end": utc_iso(moments["end"]),
                "purpose": form["purpose"]})
        except RuleBroken as error:
            field = {"end_before_start": "end", "max_duration": "end", "min_duration": "end"}.get(
                error.extra.get("rule"), "start")
            errors.add(field, rule_message(error.extra.get("rule"), error.extra.get("limit")))
        except Conflict as error:
            clashes = error.extra.get("conflicts", [])
            errors.add("start", _("Someone has already booked this room at that time. Please choose another time.")
                       if clashes else _("Many people are booking right now. Please try again."))
        except Invalid as error:
            errors.take_service_error(error, {"start": "start", "end": "end", "purpose": "purpose", "*": "start"})
        else:
            if booking["status"] == "pending":
                flash_done(_("Your request is sent. An organiser still has to agree; you will get a message."))
            else:
                flash_done(_("Booked: %(space)s, %(when)s.", space=booking.get("space_name", ""),
                             when=span(booking["start"], booking["end"])))
            return after_post("web_rooms.my_bookings")
    return week_page(space_id, first_day(form["date"], today()), errors=errors, form=form, clashes=clashes, status=422)


def my_upcoming_bookings() -> list[dict]:
    """My bookings from today on that still hold their time (confirmed, or waiting for approval)."""
    bookings = call("spaces", "list_bookings", g.actor,
                    {"mine": True, "from": utc_iso(local_moment(today(), "00:00")), "limit": 200})["items"]
    return [booking for booking in bookings if booking["status"] in ("confirmed", "pending")]


@bp.route("/bookings")
@login_required
@delegable("bookings")
def my_bookings():
    return page("web/bookings.html", title=_("My bookings"), bookings=my_upcoming_bookings(), feed=None)


@bp.route("/bookings/calendar-link", methods=["POST"])
@login_required
def calendar_link():
    feed = call("spaces", "new_feed_link", g.actor)
    url = request.host_url.rstrip("/") + feed["path"]
    return page("web/bookings.html", title=_("My bookings"), bookings=my_upcoming_bookings(), feed=url)


@bp.route("/bookings/<booking_id>/cancel", methods=["POST"])
@login_required
@delegable("bookings")
def cancel(booking_id):
    booking = call("spaces", "get_booking", g.actor, booking_id)
    call("spaces", "cancel_booking", g.actor, booking_id)
    flash_done(_("Cancelled: %(space)s, %(when)s.", space=booking.get("space_name", ""),
                 when=span(booking["start"], booking["end"])))
    return after_post("web_rooms.my_bookings")

