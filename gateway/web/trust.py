"""Trusted persons on the web pages: a resident names who may act for her (a neighbour, or someone from outside the
house invited as a supporter) and for what; a trusted person chooses whom they act for, and every page then shows
"You are acting for Frau Yılmaz" at the top until they stop (`gateway.delegation`, `session["acting_for"]`)."""
from datetime import datetime

from flask import g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as L_

from gateway.delegation import as_oneself, open_to_supporters
from gateway.web.common import (
    FormErrors, after_post, call, community_zone, error_page, flash_done, login_required, page, page_blueprint,
    parse_day, utc_iso,
)
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.contracts.members import TRUST_SCOPES

bp = page_blueprint("web_trust", __name__)

SCOPE_LABELS = {
    "bookings": L_("Book rooms"), "help": L_("Ask for help and offer it"), "messages": L_("Read my messages"),
    "check_in": L_("The daily check-in and my emergency sheet"), "decisions": L_("Vote in decisions"),
    "activities": L_("Sign up for activities"),
}
# Where acting for someone starts: the first page of the first part of the platform the trust covers.
FIRST_PAGE = {"bookings": "web_rooms.rooms", "help": "web_help.open_requests", "messages": "web_inbox.inbox",
              "check_in": "web_care.settings", "decisions": "web_decisions.decisions",
              "activities": "web_activities.upcoming"}


def trusts_page(status: int = 200, **context):
    trusts = call("members", "list_trusts", g.actor)["items"]
    people = [person for person in call("members", "directory", g.actor, limit=200)["items"]
              if person["id"] != g.actor["member_id"] and person["role"] != "supporter"]
    context.setdefault("errors", FormErrors())
    context.setdefault("form", {"scopes": []})
    labels = {"member_id": _("Neighbour"), "display_name": _("Name"), "email": _("Email address"),
              "relation": _("How you know each other (optional)"), "scopes": _("What they may do for you"),
              "until": _("Until (optional)")}
    labels.update(invite_scopes=labels["scopes"], invite_until=labels["until"])
    neighbours = [(person["id"], f"{person['display_name']} ({person['household']})" if person.get("household")
                   else person["display_name"]) for person in people]
    return page("web/trusted_persons.html", status, title=_("Trusted persons"), trusts=trusts, neighbours=neighbours,
                scope_labels=SCOPE_LABELS, labels=labels, **context)


@bp.route("/trusted-persons")
@login_required
@as_oneself
def trusted_persons():
    return trusts_page()


@bp.route("/trusted-persons", methods=["POST"])
@login_required
@as_oneself
def grant():
    """Name a neighbour (`member_id`) or invite someone from outside the house (`email`, `display_name`)."""
    errors = FormErrors()
    # The two forms of the page (a neighbour; someone invited) name their fields apart: one page, unique ids.
    prefix = "invite_" if request.form.get("kind") == "invite" else ""
    form = {key: request.form.get(key, "").strip() for key in ("kind", "member_id", "display_name", "email",
                                                                 "relation", f"{prefix}until")}
    form[f"{prefix}scopes"] = [scope for scope in request.form.getlist(f"{prefix}scopes") if scope in TRUST_SCOPES]
    body = {"scopes": form[f"{prefix}scopes"]}
    if not body["scopes"]:
        errors.add(f"{prefix}scopes", _("Please choose at least one thing they may do for you."))
    if form["kind"] == "invite":
        if not form["display_name"]:
            errors.add("display_name", _("Please enter their name."))
        if not form["email"]:
            errors.add("email", _("Please enter their email address."))
        body["invite"] = {"email": form["email"], "display_name": form["display_name"]}
        if form["relation"]:
            body["invite"]["relation"] = form["relation"]
    elif form["member_id"]:
        body["member_id"] = form["member_id"]
    else:
        errors.add("member_id", _("Please choose a neighbour."))
    if form[f"{prefix}until"]:
        day = parse_day(form[f"{prefix}until"])
        if day is None:
            errors.add(f"{prefix}until", _("Please choose a day."))
        else:  # the end of that day, in the house's time
            body["expires_at"] = utc_iso(datetime.combine(day, datetime.max.time(), tzinfo=community_zone()))
    if not errors:
        try:
            granted = call("members", "grant_trust", g.actor, body)
        except Conflict:
            errors.add("member_id", _("You trust this person already. End that first to change what they may do."))
        except (Invalid, NotFound, Forbidden) as error:
            errors.take_service_error(error, {"invite.email": "email", "invite.display_name": "display_name",
                                              "expires_at": f"{prefix}until", "scopes": f"{prefix}scopes",
                                              "*": "email" if prefix else "member_id"})
        else:
            if granted.get("invitation_code"):
                join_link = request.host_url.rstrip("/") + url_for("web_account.join",
                                                                   code=granted["invitation_code"])
                return trusts_page(invited=granted, join_link=join_link)
            flash_done(_("%(name)s may now act for you.", name=granted["display_name"]))
            return after_post("web_trust.trusted_persons")
    return trusts_page(422, errors=errors, form=form)


@bp.route("/trusted-persons/<trust_id>/end", methods=["POST"])
@login_required
@as_oneself
@open_to_supporters
def end(trust_id):
    call("members", "revoke_trust", g.actor, trust_id)
    flash_done(_("The trust has ended. They can no longer act for you."))
    if request.form.get("from") == "acting":
        return after_post("web_trust.acting_for")
    return after_post("web_trust.trusted_persons")


@bp.route("/acting-for")
@login_required
@as_oneself
@open_to_supporters
def acting_for():
    """Whom I may act for, and with what; or, while acting for someone, what I can do for them."""
    residents = call("members", "trusted_by", g.actor)["items"]
    acting = next((r for r in residents if r["member_id"] == session.get("acting_for")), None)
    if session.get("acting_for") and acting is None:
        session.pop("acting_for", None)  # the trust has ended meanwhile
    return page("web/acting_for.html", title=_("Acting for someone"), residents=residents, acting=acting,
                scope_labels=SCOPE_LABELS, first_page=FIRST_PAGE)


@bp.route("/acting-for", methods=["POST"])
@login_required
@as_oneself
@open_to_supporters
def start_acting():
    chosen = request.form.get("member_id", "")
    resident = next((r for r in call("members", "trusted_by", g.actor)["items"] if r["member_id"] == chosen), None)
    if resident is None:
        return error_page(403)
    session["acting_for"] = resident["member_id"]
    session["acting_name"] = resident["display_name"]
    return after_post("web_trust.acting_for")


@bp.route("/acting-for/stop", methods=["POST"])
@login_required
@as_oneself
@open_to_supporters
def stop_acting():
    session.pop("acting_for", None)
    session.pop("acting_name", None)
    flash_done(_("You are acting for yourself again."))
    return redirect(url_for("web_account.home"), code=303)
