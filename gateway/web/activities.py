"""Pages of activities and shared meals: what is coming up, one activity with who comes (for those who come and
organisers; others see the counts), signing up with guests or for a role, and signing off. Plain forms, no
JavaScript needed."""
from flask import g, request
from flask_babel import gettext as _

from gateway.delegation import delegable
from gateway.web.common import (
    FormErrors, after_post, call, clock, community_zone, flash_done, local_moment, login_required, page,
    page_blueprint, parse_day, today, utc_iso,
)
from services.common.clock import parse_iso
from gateway.web.rooms import rule_message
from services.common.errors import Conflict, Forbidden, Invalid, NotFound, RuleBroken

bp = page_blueprint("web_activities", __name__, "/activities")


@bp.route("")
@login_required
@delegable("activities")
def upcoming():
    items = call("activities", "list_activities", g.actor, {"limit": 200})["items"]
    return page("web/activities.html", title=_("Activities"), items=[i for i in items if i["status"] == "open"])


def _detail(activity_id, status=200, errors=None, form=None):
    item = call("activities", "get_activity", g.actor, activity_id)
    form = form or {"guests": "0", "role": ""}
    return page("web/activity.html", status, title=item["title"], item=item, errors=errors or FormErrors(),
                form=form, guest_options=[(str(n), str(n)) for n in range(item["guests_per_signup"] + 1)],
                role_options=[("", _("No role, I just come"))] + [
                    (role["name"], _("%(role)s (%(taken)d of %(needed)d)", role=role["name"], taken=role["taken"],
                                     needed=role["needed"]))
                    for role in item["roles"]])


ROLE_ROWS = 3
TEXT_FIELDS = ("title", "description", "date", "start", "end", "space_id", "place", "capacity", "guests")


def new_labels() -> dict:
    return {"title": _("What is planned?"), "description": _("More details (optional)"), "date": _("Day"),
            "start": _("From"), "end": _("Until"), "space_id": _("Room of the house"),
            "place": _("Or another place"), "capacity": _("Places (empty: no limit)"),
            "guests": _("Guests each may bring"), "roles": _("Help needed (optional)")}


def _new_page(form: dict, errors: FormErrors, status: int = 200):
    rooms = [(room["id"], room["name"]) for room in call("spaces", "list_spaces", g.actor)["items"]
             if room.get("active", True)]
    return page("web/activity_new.html", status, title=_("Plan an activity"), form=form, errors=errors,
                labels=new_labels(), room_options=[("", _("No room: another place"))] + rooms,
                guest_options=[(str(n), str(n)) for n in range(6)], role_rows=range(ROLE_ROWS))


def _words_and_time(form: dict, errors: FormErrors) -> dict:
    """The title, description, start and end of the planning and the change forms, as a request body; what is
    wrong with them goes into `errors`."""
    body = {"title": form["title"], "description": form["description"]}
    if not form["title"]:
        errors.add("title", _("Please say in a few words what is planned."))
    elif len(form["title"]) > 120:
        errors.add("title", _("Please write at most 120 characters here; more fits below."))
    day = parse_day(form["date"])
    if day is None or day < today():
        errors.add("date", _("Please choose a day from today on."))
    for key, field in (("start", "starts_at"), ("end", "ends_at")):
        if not form[key]:
            errors.add(key, _("Please enter a time, for example 14:00."))
        elif day is not None:
            try:
                body[field] = utc_iso(local_moment(day, form[key]))
            except ValueError:
                errors.add(key, _("Please enter a time, for example 14:00. (When the clocks change, "
                                  "some times do not exist.)"))
    return body


def _read_new_form() -> tuple[dict, dict, FormErrors]:
    """The form as entered, the request body it makes, and what is wrong with it."""
    form = {key: request.form.get(key, "").strip() for key in TEXT_FIELDS}
    for row in range(ROLE_ROWS):
        for part in ("name", "needed"):
            form[f"role_{row}_{part}"] = request.form.get(f"role_{row}_{part}", "").strip()
    errors = FormErrors()
    body = _words_and_time(form, errors)
    if form["space_id"]:
        body["space_id"] = form["space_id"]
    elif form["place"]:
        body["place"] = form["place"]
    if form["capacity"]:
        if form["capacity"].isdigit() and 1 <= int(form["capacity"]) <= 1000:
            body["capacity"] = int(form["capacity"])
        else:
            errors.add("capacity", _("Please enter a number of places from 1 to 1000, or leave it empty."))
    if form["guests"]:
        body["guests_per_signup"] = int(form["guests"]) if form["guests"].isdigit() else 0
    roles = []
    for row in range(ROLE_ROWS):
        name, needed = form[f"role_{row}_name"], form[f"role_{row}_needed"]
        if not name:
            continue
        if not needed.isdigit() or not 1 <= int(needed) <= 50:
            errors.add(f"role_{row}_needed", _("Please say how many people are needed (1 to 50)."))
        else:
            roles.append({"name": name[:40], "needed": int(needed)})
    body["roles"] = roles
    return form, body, errors


@bp.route("/new", methods=["GET", "POST"])
@login_required
@delegable("activities")
def new():
    if request.method == "GET":
        return _new_page({"guests": "0"}, FormErrors())
    form, body, errors = _read_new_form()
    if not errors:
        try:
            created = call("activities", "create_activity", g.actor, body)
        except RuleBroken as error:
            errors.add("start", rule_message(error.extra.get("rule"), error.extra.get("limit")))
        except Conflict:
            errors.add("start", _("Someone has already booked this room at that time. Please choose another time."))
        except (Invalid, NotFound) as error:
            errors.take_service_error(error, {"title": "title", "description": "description", "starts_at": "start",
                                              "ends_at": "end", "space_id": "space_id", "place": "place",
                                              "capacity": "capacity", "guests_per_signup": "guests",
                                              "roles": "role_0_name", "*": "title"})
        else:
            flash_done(_("Your activity is planned. Neighbours can now sign up."))
            return after_post("web_activities.detail", activity_id=created["id"])
    return _new_page(form, errors, 422)


@bp.route("/<activity_id>")
@login_required
@delegable("activities")
def detail(activity_id):
    return _detail(activity_id)


@bp.route("/<activity_id>/signup", methods=["POST"])
@login_required
@delegable("activities")
def sign_up(activity_id):
    form = {"guests": request.form.get("guests", "0").strip() or "0", "role": request.form.get("role", "").strip()}
    errors = FormErrors()
    body = {}
    if not form["guests"].isdigit() or int(form["guests"]) > 5:
        errors.add("guests", _("Please choose how many guests you bring."))
    else:
        body["guests"] = int(form["guests"])
    if form["role"]:
        body["role"] = form["role"]
    if not errors:
        try:
            answer = call("activities", "sign_up", g.actor, activity_id, body)
        except Invalid as error:
            errors.take_service_error(error, {"guests": "guests", "role": "role", "*": "guests"})
        except Conflict as refusal:
            errors.add("role" if form["role"] else "guests", _("This is not possible now: %(reason)s",
                                                               reason=_refusal(refusal)))
        else:
            if answer["status"] == "confirmed":
                flash_done(_("You are signed up. We will remind you the day before."))
            else:
                flash_done(_("All places are taken. You are number %(position)d on the waiting list. "
                             "We will tell you when a place becomes free.", position=answer["position"]))
            return after_post("web_activities.detail", activity_id=activity_id)
    return _detail(activity_id, 422, errors, form)


def _refusal(refusal: Conflict) -> str:
    detail = refusal.detail or ""
    if "role" in detail:
        return _("every place of this role is taken.")
    if "guests" in detail:
        return _("there are not enough places left for your guests.")
    if "already" in detail:
        return _("you are signed up already.")
    return _("sign-ups have closed.")


CHANGE_FIELDS = ("title", "description", "date", "start", "end", "place")


def _change_page(item: dict, form: dict, errors: FormErrors, status: int = 200):
    return page("web/activity_change.html", status, title=_("Change this activity"), item=item, form=form,
                errors=errors, labels=new_labels())


@bp.route("/<activity_id>/change", methods=["GET", "POST"])
@login_required
@delegable("activities")
def change(activity_id):
    """Whoever made the activity, or an organiser, changes its words, its day and time, or (without a room) its
    place; everyone signed up is told of a new time. Places, roles and the room stay as they are."""
    item = call("activities", "get_activity", g.actor, activity_id)
    if not item.get("may_cancel"):
        raise Forbidden(_("Only whoever made the activity, or an organiser, may change it."))
    if request.method == "GET":
        starts = parse_iso(item["starts_at"]).astimezone(community_zone())
        form = {"title": item["title"], "description": item.get("description") or "",
                "date": starts.date().isoformat(), "start": clock(item["starts_at"]), "end": clock(item["ends_at"]),
                "place": item.get("place") or ""}
        return _change_page(item, form, FormErrors())
    form = {key: request.form.get(key, "").strip() for key in CHANGE_FIELDS}
    errors = FormErrors()
    body = _words_and_time(form, errors)
    if not item.get("space_id"):
        body["place"] = form["place"]
    if not errors:
        try:
            call("activities", "change_activity", g.actor, activity_id, body)
        except RuleBroken as error:
            errors.add("start", rule_message(error.extra.get("rule"), error.extra.get("limit")))
        except Conflict:
            errors.add("start", _("Someone has already booked this room at that time. Please choose another time."))
        except Invalid as error:
            errors.take_service_error(error, {"title": "title", "description": "description", "starts_at": "start",
                                              "ends_at": "end", "place": "place", "*": "title"})
        else:
            flash_done(_("Your changes are saved. Everyone signed up has been told of a new time."))
            return after_post("web_activities.detail", activity_id=activity_id)
    return _change_page(item, form, errors, 422)


@bp.route("/<activity_id>/cancel", methods=["POST"])
@login_required
@delegable("activities")
def cancel(activity_id):
    """Whoever made the activity, or an organiser, cancels it, having ticked that they mean it: everyone signed
    up is told, and its room is free again."""
    if request.form.get("confirm") != "yes":
        errors = FormErrors()
        errors.add("confirm", _("Please tick the box if you want to cancel the activity."))
        return _detail(activity_id, 422, errors)
    call("activities", "cancel_activity", g.actor, activity_id)
    flash_done(_("The activity is cancelled. Everyone who signed up has been told."))
    return after_post("web_activities.detail", activity_id=activity_id)


@bp.route("/<activity_id>/leave", methods=["POST"])
@login_required
@delegable("activities")
def leave(activity_id):
    try:
        call("activities", "leave", g.actor, activity_id)
    except NotFound:
        pass  # not signed up (any more): nothing to do
    else:
        flash_done(_("You have signed off. If someone was waiting, they now have your place."))
    return after_post("web_activities.detail", activity_id=activity_id)
