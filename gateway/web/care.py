"""Pages of "Safe at home": the daily "I am fine" button (on the start page), the check-in's settings with the
buddies and away days, the buddy requests a neighbour answers, the alerts with their timeline, the emergency
sheet with who read it, a neighbour's sheet for those allowed to read it, and the printable large-print sheet.

Every page calls the care service as the JSON API does (gateway/api/care.py); the service decides who may do
what, the pages only word its answers for the reader."""
import re
import uuid

from flask import Response, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as L_

from gateway.delegation import delegable
from gateway.web.common import (
    FormErrors, _field_names, after_post, call, community_zone, error_page, flash_done, language,
    login_required, page, page_blueprint, parse_day, today, when,
)
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.i18n import text_direction
from services.contracts.care import MAX_BUDDIES, MAX_CONTACTS, OUTCOMES

bp = page_blueprint("web_care", __name__)

TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
FORM_KEY = re.compile(r"^[0-9a-f]{32}$")
SHOWN_CONTACTS = 3  # empty rows for contacts on the sheet's form (more appear once these are filled)
OUTCOME_LABELS = {"fine": L_("All is well"), "needed_help": L_("Needed help from neighbours"),
                  "emergency_services": L_("The emergency services were called"),
                  "checked_in": L_("Checked in late: all is well"), "member_left": L_("No longer a member")}
STATUS_LABELS = {"open": L_("Nobody is looking after it yet"), "acknowledged": L_("Someone is looking after it"),
                 "resolved": L_("Over")}
BUDDY_STATUS_LABELS = {"asked": L_("asked, no answer yet"), "accepted": L_("has accepted"),
                       "declined": L_("has said no"), "withdrawn": L_("no longer asked")}


@bp.errorhandler(Forbidden)
def forbidden(_error):
    """The care service refused: not the reader's alert, request or sheet (the organisers' page says otherwise)."""
    return error_page(403, "not_yours")


def neighbours(actor: dict) -> list[dict]:
    """Every other member of the house (name and flat), by name: whom one may ask as a buddy or name as reader."""
    found, cursor = [], None
    for _page in range(20):
        answer = call("members", "directory", actor, limit=200, cursor=cursor)
        found += [entry for entry in answer["items"] if entry["id"] != actor["member_id"]]
        cursor = answer.get("next")
        if not cursor:
            break
    return found


def neighbour_options(people: list[dict]) -> list[tuple[str, str]]:
    return [(person["id"], f"{person['display_name']} ({person['household']})" if person.get("household")
             else person["display_name"]) for person in people]


# -- the check-in ---------------------------------------------------------------------------------------------
def check_in_state(actor: dict) -> dict:
    """What the start page shows: the settings as the care service answers them, and a fresh key for the button's
    form (pressing twice, or reloading the answer, records one check-in)."""
    return {"settings": call("care", "get_settings", actor), "form_key": uuid.uuid4().hex}


@bp.route("/check-in", methods=["POST"])
@login_required
@delegable("check_in")
def check_in():
    key = request.form.get("form_key", "")
    call("care", "check_in", g.actor, {}, idempotency_key=key if FORM_KEY.match(key) else None)
    flash_done(_("Thank you! Your neighbours know that you are fine today."))
    return after_post("web_account.home")


def settings_labels() -> dict:
    labels = {"enabled": _("Daily check-in"), "daily_by": _("Check in each day by"),
              "grace_minutes": _("Wait this many minutes before telling anyone"),
              "escalation_minutes": _("Minutes before the next buddy is told"),
              "from": _("First day away"), "until": _("Last day away")}
    for number, label in enumerate((_("First buddy"), _("Second buddy (optional)"), _("Third buddy (optional)")), 1):
        labels[f"buddy_{number}"] = label
    return labels


def settings_form(settings: dict) -> dict:
    buddies = [buddy["member_id"] for buddy in settings["buddies"]]
    return {"enabled": settings["enabled"], "daily_by": settings.get("daily_by") or "10:00",
            "grace_minutes": str(settings["grace_minutes"]), "escalation_minutes": str(settings["escalation_minutes"]),
            **{f"buddy_{n}": (buddies[n - 1] if len(buddies) >= n else "") for n in range(1, MAX_BUDDIES + 1)}}


def whole_minutes(text: str, low: int, high: int) -> int | None:
    return int(text) if text.isdigit() and low <= int(text) <= high else None


def read_settings_form(errors: FormErrors) -> tuple[dict, dict]:
    """The form as sent, and the body for the care service; what is wrong is added to `errors`."""
    form = {key: request.form.get(key, "").strip() for key in
            ("daily_by", "grace_minutes", "escalation_minutes", *(f"buddy_{n}" for n in range(1, MAX_BUDDIES + 1)))}
    form["enabled"] = request.form.get("enabled") == "yes"
    if not TIME_OF_DAY.match(form["daily_by"]):
        errors.add("daily_by", _("Please give a time of day, for example 10:00."))
    grace = whole_minutes(form["grace_minutes"], 0, 240)
    if grace is None:
        errors.add("grace_minutes", _("Please give a whole number of minutes from %(low)d to %(high)d.", low=0,
                                      high=240))
    escalation = whole_minutes(form["escalation_minutes"], 1, 240)
    if escalation is None:
        errors.add("escalation_minutes", _("Please give a whole number of minutes from %(low)d to %(high)d.", low=1,
                                           high=240))
    buddies = []
    for number in range(1, MAX_BUDDIES + 1):
        chosen = form[f"buddy_{number}"]
        if chosen and chosen in buddies:
            errors.add(f"buddy_{number}", _("You have chosen this neighbour already."))
        elif chosen:
            buddies.append(chosen)
    if form["enabled"] and not buddies:
        errors.add("buddy_1", _("Please choose at least one neighbour who is told if you do not check in."))
    body = {"enabled": form["enabled"], "daily_by": form["daily_by"], "grace_minutes": grace,
            "escalation_minutes": escalation, "buddies": buddies}
    return form, body


SETTINGS_FIELDS = {"enabled": "enabled", "daily_by": "daily_by", "grace_minutes": "grace_minutes",
                   "escalation_minutes": "escalation_minutes", "buddies": "buddy_1", "*": "daily_by"}


def settings_page(status: int, settings: dict, form: dict, errors: FormErrors, away_form: dict,
                  away_errors: FormErrors):
    people = neighbours(g.actor)
    return page("web/care_settings.html", status, title=_("Daily check-in"), settings=settings, form=form,
                errors=errors, away_form=away_form, away_errors=away_errors, labels=settings_labels(),
                buddy_options=[("", _("Nobody"))] + neighbour_options(people), buddy_labels=BUDDY_STATUS_LABELS)


def away_form_of(settings: dict) -> dict:
    away = settings.get("away") or {}
    return {"from": away.get("from", ""), "until": away.get("until", "")}


@bp.route("/check-in/settings", methods=["GET", "POST"])
@login_required
@delegable("check_in")
def settings():
    errors = FormErrors()
    current = call("care", "get_settings", g.actor)
    form = settings_form(current)
    if request.method == "POST":
        form, body = read_settings_form(errors)
        if not errors:
            try:
                call("care", "set_settings", g.actor, body)
            except Invalid as error:
                errors.take_service_error(error, SETTINGS_FIELDS)
            else:
                flash_done(_("Your daily check-in is saved.") if body["enabled"]
                           else _("Your daily check-in is switched off."))
                return after_post("web_care.settings")
    return settings_page(422 if errors else 200, current, form, errors, away_form_of(current), FormErrors())


@bp.route("/check-in/away", methods=["POST"])
@login_required
@delegable("check_in")
def away():
    errors = FormErrors()
    form = {"from": request.form.get("from", "").strip(), "until": request.form.get("until", "").strip()}
    first, last = parse_day(form["from"]), parse_day(form["until"])
    if first is None:
        errors.add("from", _("Please choose a day."))
    if last is None:
        errors.add("until", _("Please choose a day."))
    elif last < today():
        errors.add("until", _("Please choose a day from today on."))
    elif first is not None and last < first:
        errors.add("until", _("The last day away cannot be before the first."))
    if not errors:
        try:
            call("care", "set_away", g.actor, {"from": first.isoformat(), "until": last.isoformat()})
        except Invalid as error:
            errors.take_service_error(error, {"from": "from", "until": "until", "*": "until"})
        else:
            flash_done(_("Your days away are saved: no check-in is expected then."))
            return after_post("web_care.settings")
    current = call("care", "get_settings", g.actor)
    return settings_page(422, current, settings_form(current), FormErrors(), form, errors)


@bp.route("/check-in/away/clear", methods=["POST"])
@login_required
@delegable("check_in")
def clear_away():
    call("care", "clear_away", g.actor)
    flash_done(_("Welcome back! Your daily check-in is expected again."))
    return after_post("web_care.settings")


# -- buddy requests ---------------------------------------------------------------------------------------------
@bp.route("/check-in/buddy-requests")
@login_required
def buddy_requests():
    items = call("care", "buddy_requests", g.actor)["items"]
    return page("web/care_requests.html", title=_("Asked to be a buddy"), items=items)


@bp.route("/check-in/buddy-requests/<request_id>/<answer>", methods=["POST"])
@login_required
def answer_request(request_id, answer):
    if answer not in ("accept", "decline"):
        return error_page(404)
    try:
        call("care", f"{answer}_buddy_request", g.actor, request_id)
    except Conflict:
        return error_page(409)
    flash_done(_("Thank you! You will be told if your neighbour does not check in.") if answer == "accept"
               else _("You have said no. Your neighbour will ask someone else."))
    return after_post("web_care.buddy_requests")


# -- alerts -----------------------------------------------------------------------------------------------------
def timeline_line(entry: dict) -> str:
    """One step of an alert's timeline in words: who did what."""
    name = entry.get("display_name") or _("a neighbour")
    if entry["step"] == "raised":
        return _("The check-in was missed: the alert began.")
    if entry["step"] == "notified":
        return _("%(name)s was told.", name=name)
    if entry["step"] == "acknowledged":
        return _("%(name)s is looking after it.", name=name)
    if entry["step"] == "resolved":
        outcome = OUTCOME_LABELS.get(entry.get("outcome"), _("Over"))
        if entry.get("who") in (None, "system") or entry.get("outcome") in ("checked_in", "member_left"):
            return _("Ended: %(outcome)s.", outcome=outcome)
        return _("%(name)s ended it: %(outcome)s.", name=name, outcome=outcome)
    return entry["step"]


@bp.route("/alerts")
@login_required
def alerts():
    items = call("care", "list_alerts", g.actor, {"limit": 100})["items"]
    return page("web/care_alerts.html", title=_("Alerts"), items=items, status_labels=STATUS_LABELS)


def alert_page(alert_id: str, status: int = 200, errors: FormErrors | None = None, form: dict | None = None):
    alert = call("care", "get_alert", g.actor, alert_id)
    name = alert.get("display_name") or _("A neighbour")
    return page("web/care_alert.html", status, title=_("Alert about %(name)s", name=name), alert=alert, name=name,
                timeline=[(entry["at"], timeline_line(entry)) for entry in alert["timeline"]],
                status_labels=STATUS_LABELS, outcome_labels=OUTCOME_LABELS, outcomes=OUTCOMES,
                errors=errors or FormErrors(), form=form or {"outcome": "", "note": ""})


@bp.route("/alerts/<alert_id>")
@login_required
def alert(alert_id):
    return alert_page(alert_id)


@bp.route("/alerts/<alert_id>/acknowledge", methods=["POST"])
@login_required
def acknowledge(alert_id):
    try:
        call("care", "acknowledge_alert", g.actor, alert_id)
    except Conflict:
        flash_done(_("Someone else is looking after it already, or it is over."))
    else:
        flash_done(_("Thank you for looking after your neighbour. Nobody else will be told now."))
    return after_post("web_care.alert", alert_id=alert_id)


@bp.route("/alerts/<alert_id>/resolve", methods=["POST"])
@login_required
def resolve(alert_id):
    errors = FormErrors()
    form = {"outcome": request.form.get("outcome", ""), "note": request.form.get("note", "").strip()}
    if form["outcome"] not in OUTCOMES:
        errors.add("outcome", _("Please choose how it ended."))
    if len(form["note"]) > 1000:
        errors.add("note", _("Please write at most 1000 characters."))
    if not errors:
        body = {"outcome": form["outcome"]} | ({"note": form["note"]} if form["note"] else {})
        try:
            call("care", "resolve_alert", g.actor, alert_id, body)
        except Invalid as error:
            errors.take_service_error(error, {"outcome": "outcome", "note": "note", "*": "outcome"})
        except Conflict:
            flash_done(_("This alert is over already."))
            return after_post("web_care.alert", alert_id=alert_id)
        else:
            flash_done(_("Thank you. The alert is over and the others who were told know it."))
            return after_post("web_care.alert", alert_id=alert_id)
    return alert_page(alert_id, 422, errors, form)


# -- the emergency sheet -----------------------------------------------------------------------------------------
SHEET_TEXTS = ("medication_location", "allergies", "key_holder", "notes")


def sheet_labels() -> dict:
    return {"doctor_name": _("Family doctor"), "doctor_phone": _("Doctor's phone"),
            "medication_location": _("Where my medication is kept"), "allergies": _("Allergies and illnesses"),
            "key_holder": _("Who has a key to my flat"), "notes": _("Anything else helpers should know"),
            "readers": _("Who may read my sheet"), "contacts": _("People to call")}


def contact_rows(contacts: list[dict]) -> int:
    return min(MAX_CONTACTS, max(SHOWN_CONTACTS, len(contacts) + 1))


def sheet_form(sheet: dict) -> dict:
    doctor = sheet.get("doctor") or {}
    return {"contacts": [dict(contact) for contact in sheet["contacts"]], "doctor_name": doctor.get("name") or "",
            "doctor_phone": doctor.get("phone") or "", "readers": list(sheet["readers"]),
            **{name: sheet.get(name) or "" for name in SHEET_TEXTS}}


def read_sheet_form(errors: FormErrors) -> tuple[dict, dict]:
    contacts = []
    for number in range(1, MAX_CONTACTS + 1):
        contact = {key: request.form.get(f"contact_{key}_{number}", "").strip() for key in ("name", "phone", "relation")}
        if not any(contact.values()):
            continue
        contact["row"] = number
        if not contact["name"]:
            errors.add(f"contact_name_{number}", _("Please enter a name."))
        if not contact["phone"]:
            errors.add(f"contact_phone_{number}", _("Please enter a phone number."))
        contacts.append(contact)
    form = {"contacts": contacts, "doctor_name": request.form.get("doctor_name", "").strip(),
            "doctor_phone": request.form.get("doctor_phone", "").strip(), "readers": request.form.getlist("readers"),
            **{name: request.form.get(name, "").strip() for name in SHEET_TEXTS}}
    if form["doctor_phone"] and not form["doctor_name"]:
        errors.add("doctor_name", _("Please enter the doctor's name too."))
    body = {"contacts": [{key: contact[key] for key in ("name", "phone", "relation")} for contact in contacts],
            "doctor": {"name": form["doctor_name"], "phone": form["doctor_phone"] or None} if form["doctor_name"]
            else None,
            "readers": form["readers"], **{name: form[name] or None for name in SHEET_TEXTS}}
    return form, body


def sheet_error_field(name: str, contacts: list[dict]) -> str:
    """Where a service's complaint about the sheet is shown: `contacts.1.phone` at that contact's phone field."""
    parts = name.split(".")
    if parts[0] == "contacts" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(contacts):
        field = parts[2] if parts[2] in ("name", "phone", "relation") else "name"
        return f"contact_{field}_{contacts[int(parts[1])]['row']}"
    if parts[0] == "doctor":
        return "doctor_phone" if parts[-1] == "phone" else "doctor_name"
    if parts[0] in SHEET_TEXTS or parts[0] == "readers":
        return parts[0]
    return "contact_name_1"


def sheet_page(status: int, form: dict, errors: FormErrors):
    sheet = call("care", "get_own_sheet", g.actor)
    reads = call("care", "sheet_reads", g.actor, {"limit": 100})["items"]
    people = neighbours(g.actor)
    labels = sheet_labels()
    rows = contact_rows(form["contacts"])
    contacts = form["contacts"] + [{}] * (rows - len(form["contacts"]))
    for number in range(1, rows + 1):
        labels |= {f"contact_name_{number}": _("Name of person %(num)d", num=number),
                   f"contact_phone_{number}": _("Phone of person %(num)d", num=number),
                   f"contact_relation_{number}": _("Who is person %(num)d to you?", num=number)}
    return page("web/care_sheet.html", status, title=_("My emergency sheet"), form=form, contacts=contacts,
                errors=errors, labels=labels, sheet=sheet, reads=reads, reader_options=neighbour_options(people))


@bp.route("/emergency-sheet", methods=["GET", "POST"])
@login_required
@delegable("check_in")
def sheet():
    errors = FormErrors()
    if request.method == "POST":
        form, body = read_sheet_form(errors)
        if not errors:
            try:
                call("care", "set_sheet", g.actor, body)
            except Invalid as error:
                for name in _field_names(error.errors or {"contacts": ["?"]}):
                    field = sheet_error_field(name, form["contacts"])
                    if _("Please check this entry.") not in errors.get(field, []):
                        errors.add(field, _("Please check this entry."))
            else:
                flash_done(_("Your emergency sheet is saved. Print it and keep it in your fridge."))
                return after_post("web_care.sheet")
        form["contacts"] = [{key: contact[key] for key in ("name", "phone", "relation", "row")}
                            for contact in form["contacts"]]
        return sheet_page(422, form, errors)
    return sheet_page(200, sheet_form(call("care", "get_own_sheet", g.actor)), errors)


def printable_sheet(actor: dict) -> Response:
    """The large-print sheet for the fridge, in the reader's language; also answers the API's
    `GET /members/me/emergency-sheet.html`."""
    sheet = call("care", "get_own_sheet", actor)
    profile = call("members", "get_profile", actor)
    lang = language()
    updated = when(sheet["updated_at"]) if sheet.get("updated_at") else None
    html = render_template("web/care_sheet_print.html", sheet=sheet, profile=profile, lang=lang, dir=text_direction(lang),
                           updated=updated, zone=str(community_zone()))
    return Response(html, mimetype="text/html")


@bp.route("/emergency-sheet/print")
@login_required
@delegable("check_in")
def print_sheet():
    return printable_sheet(g.actor)


@bp.route("/members/<member_id>/emergency-sheet")
@login_required
def neighbours_sheet(member_id):
    """A neighbour's sheet, for a reader they named or whoever looks after an open alert about them; everyone
    else (organisers too) is told plainly that they may not read it."""
    try:
        sheet = call("care", "read_sheet", g.actor, member_id)
    except Forbidden:
        return page("web/error.html", 403, title=_("You may not read this sheet"),
                    text=_("Only the neighbours this resident named, and whoever looks after an alert about them "
                           "while it lasts, may read an emergency sheet."))
    except NotFound:
        return page("web/error.html", 404, title=_("No emergency sheet"),
                    text=_("There is no emergency sheet of this neighbour for you to read."))
    people = {person["id"]: person for person in neighbours(g.actor)}
    resident = people.get(member_id, {})
    name = resident.get("display_name") or _("A neighbour")
    return page("web/care_sheet_read.html", title=_("Emergency sheet of %(name)s", name=name), sheet=sheet,
                name=name, resident=resident)
