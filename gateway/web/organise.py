"""Pages for organisers: invite members, manage rooms and their rules, approve bookings, write a notice with its
translations side by side, and see who has not read it yet (with phone numbers, to call or visit them)."""
from flask import g, request, url_for
from flask_babel import gettext as _

from gateway.web.common import (
    LANGUAGE_NAMES, FormErrors, after_post, call, error_page, flash_done, local_moment, organiser_required, page,
    page_blueprint, today, utc_iso,
)
from services.common.errors import Conflict, Invalid, RuleBroken
from services.common.i18n import LANGUAGES

bp = page_blueprint("web_organise", __name__, "/organise")
RULE_FIELDS = ("open_from", "open_until", "slot_minutes", "min_duration_minutes", "max_duration_minutes",
               "max_days_ahead", "household_quota_minutes_per_week", "buffer_minutes")
NUMBER_FIELDS = ("capacity",) + RULE_FIELDS[2:]
# A service's field error (`rules.max_duration_minutes`, `name`, ...) shown next to the form's field.
SPACE_ERROR_FIELDS = {**{key: key for key in NUMBER_FIELDS + RULE_FIELDS}, "name": "name", "*": "name"}


def space_labels() -> dict:
    return {"name": _("Name of the room"), "description": _("Description"), "capacity": _("Number of people"),
            "open_from": _("Open from"), "open_until": _("Open until"),
            "slot_minutes": _("Bookings start every (minutes)"),
            "min_duration_minutes": _("Shortest booking in minutes"),
            "max_duration_minutes": _("Longest booking in minutes"),
            "max_days_ahead": _("How many days ahead can people book?"),
            "household_quota_minutes_per_week": _("Minutes per household and week (empty: no limit)"),
            "buffer_minutes": _("Minutes for cleaning between bookings")}


def pending_bookings() -> list[dict]:
    upcoming = call("spaces", "list_bookings", g.actor, {"from": utc_iso(local_moment(today(), "00:00")), "limit": 200})
    return [booking for booking in upcoming["items"] if booking["status"] == "pending"]


@bp.route("")
@organiser_required
def overview():
    notices = call("notifications", "my_notices", g.actor, {"limit": 20})["items"]
    return page("web/organise.html", title=_("Organise the house"), pending=len(pending_bookings()), notices=notices)


@bp.route("/invite", methods=["GET", "POST"])
@organiser_required
def invite():
    errors, form, invitation = FormErrors(), {"email": "", "role": "resident", "household": ""}, None
    if request.method == "POST":
        form = {key: request.form.get(key, "").strip() for key in ("email", "role", "household")}
        if not form["email"]:
            errors.add("email", _("Please enter the new member's email address."))
        if form["role"] not in ("resident", "organiser"):
            errors.add("role", _("Please choose a role."))
        if not errors:
            body = {"email": form["email"], "role": form["role"]}
            if form["household"]:
                body["household"] = form["household"]
            try:
                invitation = call("members", "create_invitation", g.actor, body)
            except Invalid as error:
                errors.take_service_error(error, {"*": "email"})
    join_link = (request.host_url.rstrip("/") + url_for("web_account.join", code=invitation["code"])
                 if invitation else None)
    labels = {"email": _("Email address"), "role": _("Role"), "household": _("Flat (optional)")}
    return page("web/invite.html", 422 if errors else 200, title=_("Invite a new member"), errors=errors, form=form,
                labels=labels, invitation=invitation, join_link=join_link)


@bp.route("/spaces")
@organiser_required
def spaces():
    return page("web/organise_spaces.html", title=_("Rooms and rules"),
                spaces=call("spaces", "list_spaces", g.actor)["items"])


def space_form_body(form: dict, errors: FormErrors) -> dict:
    body = {"name": form["name"], "description": form["description"], "rules": {}}
    if not form["name"]:
        errors.add("name", _("Please give the room a name."))
    for key in NUMBER_FIELDS:
        text = form.get(key, "")
        if text == "" and key == "household_quota_minutes_per_week":
            body["rules"][key] = None
            continue
        try:
            number = int(text)
            if number < 0:
                raise ValueError
        except ValueError:
            errors.add(key, _("Please enter a whole number."))
            continue
        (body if key == "capacity" else body["rules"])[key] = number
    for key in ("open_from", "open_until"):
        body["rules"][key] = form[key]
    body["rules"]["requires_approval"] = form["requires_approval"]
    return body


def read_space_form() -> dict:
    form = {key: request.form.get(key, "").strip() for key in ("name", "description", *NUMBER_FIELDS, "open_from",
                                                               "open_until")}
    form["requires_approval"] = request.form.get("requires_approval") == "yes"
    form["active"] = request.form.get("active", "yes") == "yes"
    return form


def space_as_form(space: dict) -> dict:
    rules = space.get("rules") or {}
    form = {"name": space["name"], "description": space.get("description", ""), "capacity": space.get("capacity", ""),
            "requires_approval": rules.get("requires_approval", False), "active": space.get("active", True)}
    form.update({key: "" if rules.get(key) is None else rules.get(key) for key in RULE_FIELDS})
    return form


NEW_SPACE = {"name": "", "description": "", "capacity": 10, "open_from": "08:00", "open_until": "22:00",
             "slot_minutes": 30, "min_duration_minutes": 30, "max_duration_minutes": 240, "max_days_ahead": 90,
             "household_quota_minutes_per_week": "", "buffer_minutes": 0, "requires_approval": False, "active": True}


@bp.route("/spaces/new", methods=["GET", "POST"])
@organiser_required
def new_space():
    errors, form = FormErrors(), dict(NEW_SPACE)
    if request.method == "POST":
        form = read_space_form()
        body = space_form_body(form, errors)
        if not errors:
            try:
                call("spaces", "create_space", g.actor, body)
            except Invalid as error:
                errors.take_service_error(error, SPACE_ERROR_FIELDS)
            else:
                flash_done(_("The room %(name)s is ready to be booked.", name=form["name"]))
                return after_post("web_organise.spaces")
    return page("web/space_form.html", 422 if errors else 200, title=_("New room"), errors=errors, form=form,
                labels=space_labels(), space_id=None)


@bp.route("/spaces/<space_id>", methods=["GET", "POST"])
@organiser_required
def edit_space(space_id):
    errors = FormErrors()
    form = space_as_form(call("spaces", "get_space", g.actor, space_id))
    if request.method == "POST":
        form = read_space_form()
        body = space_form_body(form, errors)
        body["active"] = form["active"]
        if not errors:
            try:
                call("spaces", "change_space", g.actor, space_id, body)
            except Invalid as error:
                errors.take_service_error(error, SPACE_ERROR_FIELDS)
            else:
                flash_done(_("The changes to %(name)s are saved.", name=form["name"]))
                return after_post("web_organise.spaces")
    return page("web/space_form.html", 422 if errors else 200, title=form["name"] or _("Room"), errors=errors,
                form=form, labels=space_labels(), space_id=space_id)


@bp.route("/approvals")
@organiser_required
def approvals():
    return page("web/approvals.html", title=_("Bookings waiting for approval"), bookings=pending_bookings())


@bp.route("/bookings/<booking_id>/<decision>", methods=["POST"])
@organiser_required
def decide(booking_id, decision):
    if decision not in ("approve", "reject"):
        return error_page(404)
    try:
        call("spaces", f"{decision}_booking", g.actor, booking_id)
    except Conflict:
        flash_done(_("Someone else has already decided about this booking."))
    else:
        flash_done(_("The booking is approved.") if decision == "approve" else _("The booking is declined."))
    return after_post("web_organise.approvals")


@bp.route("/notices/new", methods=["GET", "POST"])
@organiser_required
def new_notice():
    errors = FormErrors()
    form = {"language": "de", "audience": "all", "household": "", "audience_language": "", "urgent": False,
            **{f"{field}_{code}": "" for code in LANGUAGES for field in ("title", "body")}}
    if request.method == "POST":
        form = {key: request.form.get(key, "").strip() for key in form if key != "urgent"}
        form["urgent"] = request.form.get("urgent") == "yes"
        main = form["language"] if form["language"] in LANGUAGES else "de"
        if not form[f"title_{main}"]:
            errors.add(f"title_{main}", _("Please write a title."))
        if not form[f"body_{main}"]:
            errors.add(f"body_{main}", _("Please write the text."))
        translations = {}
        for code in LANGUAGES:
            title, body = form[f"title_{code}"], form[f"body_{code}"]
            if code == main or not (title or body):
                continue
            if not (title and body):
                errors.add(f"title_{code}" if not title else f"body_{code}",
                           _("Please write both the title and the text of this translation, or neither."))
            translations[code] = {"title": title, "body": body}
        audience = "all"
        if form["audience"] == "household":
            if not form["household"]:
                errors.add("household", _("Please name the flat."))
            audience = {"household": form["household"]}
        elif form["audience"] == "language":
            if form["audience_language"] not in LANGUAGES:
                errors.add("audience_language", _("Please choose a language."))
            audience = {"language": form["audience_language"]}
        if not errors:
            body = {"title": form[f"title_{main}"], "body": form[f"body_{main}"], "language": main,
                    "audience": audience, "urgent": form["urgent"]}
            if translations:
                body["translations"] = translations
            try:
                notice = call("notifications", "publish_notice", g.actor, body)
            except (Invalid, RuleBroken) as error:
                errors.take_service_error(error, {"*": f"title_{main}"})
            else:
                flash_done(_("The notice is sent."))
                return after_post("web_organise.receipts", notice_id=notice["id"])
    words = {"title": _("Title"), "body": _("Text")}
    labels = {f"{field}_{code}": f"{LANGUAGE_NAMES[code]}: {words[field]}" for code in LANGUAGES for field in words}
    labels.update(household=_("Flat"), audience_language=_("Language"))
    return page("web/notice_form.html", 422 if errors else 200, title=_("Write a notice"), errors=errors, form=form,
                labels=labels)


@bp.route("/notices/<notice_id>")
@organiser_required
def receipts(notice_id):
    data = call("notifications", "receipts", g.actor, notice_id)
    notice = next((item for item in call("notifications", "my_notices", g.actor, {"limit": 200})["items"]
                   if item["id"] == notice_id), None)
    return page("web/receipts.html", title=_("Who has read the notice?"), receipts=data, notice=notice)
