"""Pages of activities and shared meals: what is coming up, one activity with who comes (for those who come and
organisers; others see the counts), signing up with guests or for a role, and signing off. Plain forms, no
JavaScript needed."""
from flask import g, request
from flask_babel import gettext as _

from gateway.web.common import FormErrors, after_post, call, flash_done, login_required, page, page_blueprint
from services.common.errors import Conflict, Invalid, NotFound

bp = page_blueprint("web_activities", __name__, "/activities")


@bp.route("")
@login_required
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


@bp.route("/<activity_id>")
@login_required
def detail(activity_id):
    return _detail(activity_id)


@bp.route("/<activity_id>/signup", methods=["POST"])
@login_required
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


@bp.route("/<activity_id>/leave", methods=["POST"])
@login_required
def leave(activity_id):
    try:
        call("activities", "leave", g.actor, activity_id)
    except NotFound:
        pass  # not signed up (any more): nothing to do
    else:
        flash_done(_("You have signed off. If someone was waiting, they now have your place."))
    return after_post("web_activities.detail", activity_id=activity_id)
