"""Pages of neighbourhood help: open requests (mine first in my categories and languages), asking, offering,
accepting an offer, and the contact details the two neighbours see once an offer is accepted."""
from flask import g, request
from flask_babel import gettext as _

from gateway.web.account import spoken_language_options
from gateway.delegation import delegable
from gateway.web.common import (
    CATEGORIES, LANGUAGE_NAMES, FormErrors, after_post, call, flash_done, local_moment, login_required, page,
    page_blueprint, parse_day, today, utc_iso,
)
from services.common.errors import Conflict, Invalid, RuleBroken

bp = page_blueprint("web_help", __name__, "/help")


def ask_labels() -> dict:
    return {"title": _("In a few words: what do you need?"), "description": _("More details"),
            "category": _("What kind of help?"), "needed_until": _("Needed by (optional)"),
            "languages": _("Languages a helper should speak (optional)")}


def nearest_first(requests: list[dict], categories: list[str] | None, languages: list[str]) -> list[dict]:
    """Requests in my categories first, then those in a language I speak; newest first within each."""
    def rank(item):
        in_category = not categories or item["category"] in categories
        speaks = not item.get("languages") or bool(set(item["languages"]) & set(languages))
        return (not in_category, not speaks)

    return sorted(requests, key=rank)  # stable: the service's newest-first order remains within a rank


@bp.route("")
@login_required
@delegable("help")
def open_requests():
    profile = call("members", "get_profile", g.actor)
    preferences = call("notifications", "get_preferences", g.actor)
    listed = call("help", "list_requests", g.actor, {"status": "open", "limit": 200})["items"]
    others = [item for item in listed if item.get("requester_id") != g.actor["member_id"]]
    mine = [item for item in call("help", "list_requests", g.actor, {"mine": True, "limit": 200})["items"]
            if item["status"] in ("open", "accepted")]
    return page("web/help_list.html", title=_("Help"), mine=mine,
                others=nearest_first(others, preferences.get("help_categories"), profile.get("languages") or []))


@bp.route("/new", methods=["GET", "POST"])
@login_required
@delegable("help")
def ask():
    errors = FormErrors()
    form = {"title": "", "description": "", "category": "other", "needed_until": "", "languages": []}
    if request.method == "POST":
        form = {key: request.form.get(key, "").strip() for key in ("title", "description", "category", "needed_until")}
        form["languages"] = request.form.getlist("languages")
        if not form["title"]:
            errors.add("title", _("Please say in a few words what you need."))
        elif len(form["title"]) > 120:
            errors.add("title", _("Please write at most 120 characters here; more fits below."))
        if form["category"] not in CATEGORIES:
            errors.add("category", _("Please choose what kind of help you need."))
        body = {key: form[key] for key in ("title", "description", "category")}
        if form["languages"]:
            body["languages"] = form["languages"]
        if form["needed_until"]:
            day = parse_day(form["needed_until"])
            if day is None or day < today():
                errors.add("needed_until", _("Please choose a day from today on."))
            else:
                body["needed_until"] = utc_iso(local_moment(day, "24:00"))
        if not errors:
            try:
                created = call("help", "create_request", g.actor, body)
            except (Invalid, RuleBroken) as error:
                errors.take_service_error(error, {key: key for key in body} | {"*": "title"})
            else:
                flash_done(_("Your neighbours can now see your request. Those who can help will be told."))
                return after_post("web_help.detail", request_id=created["id"])
    return page("web/help_ask.html", 422 if errors else 200, title=_("Ask for help"), errors=errors, form=form,
                labels=ask_labels(), spoken=spoken_language_options())


@bp.route("/<request_id>")
@login_required
@delegable("help")
def detail(request_id):
    item = call("help", "get_request", g.actor, request_id)
    return page("web/help_detail.html", title=item["title"], item=item, errors=FormErrors(), message="",
                language_names=LANGUAGE_NAMES)


@bp.route("/<request_id>/offer", methods=["POST"])
@login_required
@delegable("help")
def offer(request_id):
    message = request.form.get("message", "").strip()
    errors = FormErrors()
    if len(message) > 1000:
        errors.add("message", _("Please write at most 1000 characters."))
    if not errors:
        try:
            call("help", "offer", g.actor, request_id, {"message": message})
        except (Invalid, RuleBroken, Conflict) as error:
            errors.take_service_error(error, {"*": "message"})
        else:
            flash_done(_("Thank you! Your offer is sent. You will get a message when it is accepted."))
            return after_post("web_help.detail", request_id=request_id)
    item = call("help", "get_request", g.actor, request_id)
    return page("web/help_detail.html", 422, title=item["title"], item=item, errors=errors, message=message,
                language_names=LANGUAGE_NAMES)


@bp.route("/<request_id>/accept", methods=["POST"])
@login_required
@delegable("help")
def accept(request_id):
    call("help", "accept", g.actor, request_id, {"offer_id": request.form.get("offer_id", "")})
    flash_done(_("You accepted the offer. You can now see each other's phone numbers."))
    return after_post("web_help.detail", request_id=request_id)


@bp.route("/<request_id>/complete", methods=["POST"])
@login_required
@delegable("help")
def complete(request_id):
    call("help", "complete", g.actor, request_id)
    flash_done(_("Thank you for letting us know that you were helped."))
    return after_post("web_help.detail", request_id=request_id)


@bp.route("/<request_id>/cancel", methods=["POST"])
@login_required
@delegable("help")
def cancel(request_id):
    call("help", "cancel", g.actor, request_id)
    flash_done(_("The request is withdrawn."))
    return after_post("web_help.open_requests")
