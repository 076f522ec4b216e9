"""Pages of the account: the start page, logging in and out, joining with an invitation, my details and my
notification preferences, and the language switch."""
from flask import g, make_response, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as L_

from gateway.auth import issue_token
from gateway.web.care import check_in_state
from gateway.delegation import as_oneself, open_to_supporters
from gateway.web.common import (
    CATEGORIES, LANGUAGE_NAMES, FormErrors, after_post, call, flash_done, language, load_actor, log_in,
    login_required, page, page_blueprint, remember_language, safe_next,
)
from services.common.errors import Conflict, Gone, Invalid, NotFound, RuleBroken, TooManyAttempts, Unauthorized
from services.common.i18n import LANGUAGES
from services.contracts.vocabulary import EASY_GERMAN, spoken_language

bp = page_blueprint("web_account", __name__)
OTHER_LANGUAGES = {"pl": "Polski", "fa": "فارسی", "ku": "Kurdî", "uk": "Українська", "es": "Español",
                   "fr": "Français", "it": "Italiano", "el": "Ελληνικά", "sr": "Srpski", "hr": "Hrvatski"}
JOIN_LABELS = {"invitation_code": L_("Invitation code"), "display_name": L_("Your name"), "email": L_("Email address"),
               "password": L_("Password"), "preferred_language": L_("Language of the pages and messages"),
               "languages": L_("Languages you speak"), "phone": L_("Phone number"), "household": L_("Flat")}


def spoken_language_options():
    """The languages one may speak: Leichte Sprache is a way of reading German, not a language one speaks."""
    return [(code, name) for code, name in LANGUAGE_NAMES.items() if code != EASY_GERMAN] + list(OTHER_LANGUAGES.items())


@bp.route("/")
@as_oneself
@open_to_supporters
def home():
    actor = load_actor()
    if actor is None:
        return redirect(url_for("web_account.login"), code=303)
    if session.get("acting_for") or actor["role"] == "supporter":  # what they can do for whom
        return redirect(url_for("web_trust.acting_for"), code=303)
    unread = call("notifications", "inbox", actor, {"unread": True, "limit": 200})["items"]
    asked = [item for item in call("care", "buddy_requests", actor)["items"] if item["status"] == "asked"]
    open_alerts = call("care", "list_alerts", actor, {"status": "open", "limit": 20})["items"]
    return page("web/home.html", title=_("Start page"), unread=len(unread), asked=len(asked), open_alerts=open_alerts,
                **check_in_state(actor))


@bp.route("/login", methods=["GET", "POST"])
def login():
    errors, email = FormErrors(), ""
    target = safe_next(request.values.get("next"))
    if request.method == "POST":
        email, password = request.form.get("email", "").strip(), request.form.get("password", "")
        if not email:
            errors.add("email", _("Please enter your email address."))
        if not password:
            errors.add("password", _("Please enter your password."))
        if not errors:
            try:
                result = call("members", "login", {"email": email, "password": password},
                              request.remote_addr or "unknown")
            except Unauthorized:
                errors.add("email", _("The email address or the password is not right. Please try again."))
            except TooManyAttempts:
                errors.add("email", _("There were too many attempts. Please wait a few minutes and try again."))
            except Invalid:
                errors.add("email", _("Please enter a valid email address, for example name@example.org."))
            else:
                token, _expires = issue_token(result["actor"]["member_id"], result["actor"]["community_id"])
                log_in(token)
                return redirect(target, code=303)
    labels = {"email": _("Email address"), "password": _("Password")}
    status = 422 if errors else 200
    return page("web/login.html", status, title=_("Log in"), errors=errors, labels=labels, email=email, next=target)


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("web_account.login"), code=303)


@bp.route("/language", methods=["POST"])
def choose_language():
    """Switch the language of the pages; remembered in a cookie for a year, also before logging in."""
    chosen = request.form.get("language", "")
    response = make_response(redirect(safe_next(request.form.get("next")), code=303))
    if chosen in LANGUAGES:
        remember_language(response, chosen)
    return response


@bp.route("/join", methods=["GET", "POST"])
def join():
    """Become a member with the code of an invitation."""
    errors, form = FormErrors(), {"invitation_code": request.args.get("code", ""), "preferred_language": language(),
                                  "languages": [spoken_language(language())]}
    if request.method == "POST":
        form = {key: request.form.get(key, "").strip() for key in
                ("invitation_code", "display_name", "email", "password", "preferred_language", "phone", "household")}
        form["languages"] = request.form.getlist("languages")
        form["share_phone"] = request.form.get("share_phone") == "yes"
        for key, message in (("invitation_code", _("Please enter the code from your invitation.")),
                             ("display_name", _("Please enter your name.")),
                             ("email", _("Please enter your email address.")),
                             ("password", _("Please choose a password."))):
            if not form[key]:
                errors.add(key, message)
        if form["password"] and len(form["password"]) < 10:
            errors.add("password", _("The password needs at least 10 characters."))
        if form["preferred_language"] not in LANGUAGES:
            errors.add("preferred_language", _("Please choose a language."))
        if not errors:
            body = {key: form[key] for key in ("invitation_code", "display_name", "email", "password",
                                                "preferred_language")}
            body["languages"] = form["languages"] or [spoken_language(form["preferred_language"])]
            body["share_phone"] = form["share_phone"]
            if form["phone"]:
                body["phone"] = form["phone"]
            if form["household"]:
                body["household"] = form["household"]
            try:
                call("members", "register", body)
                result = call("members", "login", {"email": form["email"], "password": form["password"]},
                              request.remote_addr or "unknown")
            except (Invalid, RuleBroken) as error:
                errors.take_service_error(error, {"*": "invitation_code"})
            except Conflict as error:
                if "email" in (error.errors or {}):
                    errors.add("email", _("This email address is already registered. Please log in instead."))
                else:
                    errors.add("invitation_code", _("This invitation has already been used."))
            except (NotFound, Gone):
                errors.add("invitation_code", _("This invitation code is not valid, already used or expired. "
                                                "Please ask an organiser for a new one."))
            else:
                token, _expires = issue_token(result["actor"]["member_id"], result["actor"]["community_id"])
                log_in(token)
                flash_done(_("Welcome! You are now a member of the house."))
                response = make_response(after_post("web_account.home"))
                remember_language(response, form["preferred_language"])
                return response
    return page("web/join.html", 422 if errors else 200, title=_("Join the house"), errors=errors, form=form,
                labels=JOIN_LABELS, spoken=spoken_language_options())


def profile_form(actor: dict) -> dict:
    """My details as the profile form shows them."""
    current = call("members", "get_profile", actor)
    return {"display_name": current["display_name"], "phone": current.get("phone") or "",
            "share_phone": current.get("share_phone", False), "preferred_language": current["preferred_language"],
            "languages": current.get("languages") or []}


@bp.route("/profile", methods=["GET", "POST"])
@login_required
@open_to_supporters
def profile():
    """My name, phone and languages; and what I am told about, how and when."""
    errors = FormErrors()
    actor = g.actor
    form = profile_form(actor)
    if request.method == "POST":
        form = {"display_name": request.form.get("display_name", "").strip(),
                "phone": request.form.get("phone", "").strip(),
                "share_phone": request.form.get("share_phone") == "yes",
                "preferred_language": request.form.get("preferred_language", ""),
                "languages": request.form.getlist("languages")}
        if not form["display_name"]:
            errors.add("display_name", _("Please enter your name."))
        if form["preferred_language"] not in LANGUAGES:
            errors.add("preferred_language", _("Please choose a language."))
        if not errors:
            change = dict(form, phone=form["phone"] or None,
                          languages=form["languages"] or [spoken_language(form["preferred_language"])])
            try:
                call("members", "change_profile", actor, change)
            except Invalid as error:
                errors.take_service_error(error, {"phone": "phone", "*": "display_name"})
            else:
                response = make_response(after_post("web_account.profile"))
                remember_language(response, form["preferred_language"])
                flash_done(_("Your details are saved."))
                return response
    preferences = call("notifications", "get_preferences", actor)
    return page("web/profile.html", 422 if errors else 200, title=_("My details"), errors=errors, form=form,
                labels=JOIN_LABELS, spoken=spoken_language_options(), preferences=preferences,
                preference_errors=FormErrors(), categories=CATEGORIES)


@bp.route("/profile/notifications", methods=["POST"])
@login_required
@open_to_supporters
def preferences():
    errors = FormErrors()
    body = {"channels": {"in_app": True, "email": request.form.get("email") == "yes",
                         "sms": request.form.get("sms") == "yes"},
            "digest": "daily" if request.form.get("digest") == "daily" else "off",
            "help_categories": [c for c in request.form.getlist("help_categories") if c in CATEGORIES]}
    quiet_from, quiet_until = request.form.get("quiet_from", ""), request.form.get("quiet_until", "")
    if quiet_from and quiet_until:
        body["quiet_hours"] = {"from": quiet_from, "until": quiet_until}
    elif quiet_from or quiet_until:
        errors.add("quiet_hours", _("Please give both times, or leave both empty."))
    if not errors:
        try:
            call("notifications", "set_preferences", g.actor, body)
        except Invalid as error:
            if "channels.sms" in (error.errors or {}):  # say why: no phone yet, or the house sends no texts
                errors.add("sms", _("Text messages need a mobile phone number: please add it above first.")
                           if "No phone number in your profile." in error.errors["channels.sms"]
                           else _("This house does not send text messages."))
            else:
                errors.take_service_error(error, {"*": "quiet_hours"})
        else:
            flash_done(_("Your message settings are saved."))
            return after_post("web_account.profile")
    form = profile_form(g.actor)
    preferences = dict(body, quiet_hours={"from": quiet_from, "until": quiet_until})
    return page("web/profile.html", 422, title=_("My details"), errors=FormErrors(), form=form, labels=JOIN_LABELS,
                spoken=spoken_language_options(), preferences=preferences, preference_errors=errors,
                categories=CATEGORIES)
