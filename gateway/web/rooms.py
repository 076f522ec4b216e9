"""Pages of the shared rooms: the week of a room at a glance, booking it in one form, my bookings with cancel,
and the link to my calendar."""
from datetime import date, timedelta

from babel.dates import format_date
from flask import g, request
from flask_babel import gettext as _
from flask_babel import ngettext

from gateway.delegation import delegable
from gateway.web.common import (
    FormErrors, after_post, call, flash_done, language, local_moment, login_required, page, page_blueprint, parse_day,
    span, today, utc_iso,
)
from services.common.errors import Conflict, Invalid, RuleBroken
from services.common.i18n import babel_locale, format_day

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


def week_of(text: str | None) -> date:
    """The Monday of an ISO week "2026-W48"; this week when missing or not a real week."""
    if text:
        try:
            year, week = text.split("-W")
            return date.fromisocalendar(int(year), int(week), 1)
        except ValueError:
            pass
    current = today()
    return current - timedelta(days=current.weekday())


def week_name(monday: date) -> str:
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


@bp.route("/rooms")
@login_required
@delegable("bookings")
def rooms():
    spaces = [space for space in call("spaces", "list_spaces", g.actor)["items"] if space.get("active", True)]
    return page("web/rooms.html", title=_("Rooms"), spaces=spaces)


def week_page(space_id: str, monday: date, *, errors=None, form=None, clashes=(), status=200):
    space = call("spaces", "get_space", g.actor, space_id)
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        availability = call("spaces", "availability", g.actor, space_id, {"date": day.isoformat()})
        days.append({"date": day, "label": format_day(day, language()),
                     "past": day < today(), **availability})
    form = form or {"date": max(monday, today()).isoformat(), "start": "", "end": "", "purpose": ""}
    return page("web/room_week.html", status, title=space["name"], space=space, days=days, form=form,
                errors=errors or FormErrors(), labels=booking_labels(), clashes=clashes, duration=duration_text,
                this_week=week_name(monday), previous_week=week_name(monday - timedelta(days=7)),
                next_week=week_name(monday + timedelta(days=7)), week_start=monday,
                week_label=format_date(monday, "long", locale=babel_locale(language())))


@bp.route("/rooms/<space_id>")
@login_required
@delegable("bookings")
def week(space_id):
    return week_page(space_id, week_of(request.args.get("week")))


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
    monday = (day or today()) - timedelta(days=(day or today()).weekday())
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
    return week_page(space_id, monday, errors=errors, form=form, clashes=clashes, status=422)


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

