"""Safe at home: the daily check-in, buddies, away days, alerts and the emergency sheet (the care service)."""
from flask import request

from gateway.api import IDEMPOTENCY_PARAMETER, Blueprint, call, idempotency_key
from gateway.delegation import delegable
from gateway.auth import current_actor, member_required
from gateway.web import care as web_care
from services.contracts.care import (
    AlertListQuerySchema, AlertListSchema, AlertSchema, AwaySchema, BuddyRequestListSchema, BuddyRequestSchema,
    CheckInRequestSchema, CheckInSchema, CheckInSettingsRequestSchema, CheckInSettingsSchema,
    EmergencySheetRequestSchema, EmergencySheetSchema, ResolveSchema, SheetReadListSchema, SheetReadQuerySchema,
)

blp = Blueprint("care", __name__, url_prefix="/api/v1", description="Safe at home: daily check-in, alerts, "
                                                                      "the emergency sheet")


def body() -> dict:
    """The JSON body as sent (validated already by the route's schema), or {} for a bodiless POST; the service
    validates it again and receives plain JSON."""
    return request.get_json(silent=True) or {}


def query() -> dict:
    return request.args.to_dict()


# -- the daily check-in --------------------------------------------------------------------------------------
@blp.route("/members/me/check-in", methods=["GET"])
@member_required
@blp.response(200, CheckInSettingsSchema)
@delegable("check_in")
def get_check_in():
    """My daily check-in: the time, my buddies (and whether they accepted), how today stands, my away days."""
    return call("care", "get_settings", current_actor())


@blp.route("/members/me/check-in", methods=["PUT"])
@member_required
@blp.arguments(CheckInSettingsRequestSchema)
@blp.response(200, CheckInSettingsSchema)
@delegable("check_in")
def set_check_in(_):
    """Switch the daily check-in on or off, say by when, and ask one to three neighbours to be buddies."""
    return call("care", "set_settings", current_actor(), body())


@blp.route("/check-ins", methods=["POST"])
@member_required
@blp.arguments(CheckInRequestSchema, required=False)
@blp.response(201, CheckInSchema)
@blp.alt_response(404, description="An organiser recording for a member not in the community (`on_behalf_of`)")
@blp.doc(parameters=[IDEMPOTENCY_PARAMETER])
@delegable("check_in")
def check_in(_):
    """"I am fine today". Also resolves an open alert about me: everyone alerted gets the all-clear. Organisers
    record one a resident gave by phone or on paper with `on_behalf_of` and a note."""
    return call("care", "check_in", current_actor(), body(), idempotency_key=idempotency_key())


@blp.route("/members/me/away", methods=["PUT"])
@member_required
@blp.arguments(AwaySchema)
@blp.response(200, CheckInSettingsSchema)
@delegable("check_in")
def set_away(_):
    """Days away (visiting family, in hospital): no check-in expected and no alert raised on them."""
    return call("care", "set_away", current_actor(), body())


@blp.route("/members/me/away", methods=["DELETE"])
@member_required
@blp.response(204)
@delegable("check_in")
def clear_away():
    """Back home: check-ins are expected again."""
    call("care", "clear_away", current_actor())


# -- buddies ---------------------------------------------------------------------------------------------------
@blp.route("/check-in/buddy-requests", methods=["GET"])
@member_required
@blp.response(200, BuddyRequestListSchema)
def buddy_requests():
    """Neighbours who asked me to be their buddy."""
    return call("care", "buddy_requests", current_actor())


@blp.route("/check-in/buddy-requests/<request_id>/accept", methods=["POST"])
@member_required
@blp.response(200, BuddyRequestSchema)
@blp.alt_response(403, description="Only the neighbour asked answers")
@blp.alt_response(409, description="The request was withdrawn")
def accept_buddy_request(request_id):
    """Become a buddy: from now on I am told when this neighbour misses a check-in."""
    return call("care", "accept_buddy_request", current_actor(), request_id)


@blp.route("/check-in/buddy-requests/<request_id>/decline", methods=["POST"])
@member_required
@blp.response(200, BuddyRequestSchema)
@blp.alt_response(403, description="Only the neighbour asked answers")
@blp.alt_response(409, description="The request was withdrawn")
def decline_buddy_request(request_id):
    """Say no (or no longer) to being a buddy."""
    return call("care", "decline_buddy_request", current_actor(), request_id)


# -- alerts ------------------------------------------------------------------------------------------------------
@blp.route("/alerts", methods=["GET"])
@member_required
@blp.arguments(AlertListQuerySchema, location="query")
@blp.response(200, AlertListSchema)
def list_alerts(_):
    """Alerts I was told about, newest first (organisers: every alert of the community)."""
    return call("care", "list_alerts", current_actor(), query())


@blp.route("/alerts/<alert_id>", methods=["GET"])
@member_required
@blp.response(200, AlertSchema)
@blp.alt_response(403, description="Neither told about it nor an organiser")
def get_alert(alert_id):
    """One alert with its timeline, and the resident's phone and flat."""
    return call("care", "get_alert", current_actor(), alert_id)


@blp.route("/alerts/<alert_id>/acknowledge", methods=["POST"])
@member_required
@blp.response(200, AlertSchema)
@blp.alt_response(403, description="Not told about this alert")
@blp.alt_response(409, description="Someone looks after it already, or it is resolved")
def acknowledge_alert(alert_id):
    """"I am looking after it": stops the escalation, and lets me read the resident's emergency sheet."""
    return call("care", "acknowledge_alert", current_actor(), alert_id)


@blp.route("/alerts/<alert_id>/resolve", methods=["POST"])
@member_required
@blp.arguments(ResolveSchema)
@blp.response(200, AlertSchema)
@blp.alt_response(403, description="Neither told about it nor an organiser")
@blp.alt_response(409, description="Resolved already")
def resolve_alert(_, alert_id):
    """Record how it ended: fine, needed_help or emergency_services."""
    return call("care", "resolve_alert", current_actor(), alert_id, body())


# -- the emergency sheet -----------------------------------------------------------------------------------------
@blp.route("/members/me/emergency-sheet", methods=["GET"])
@member_required
@blp.response(200, EmergencySheetSchema)
@delegable("check_in")
def get_own_sheet():
    """My emergency sheet (empty until I fill it in)."""
    return call("care", "get_own_sheet", current_actor())


@blp.route("/members/me/emergency-sheet", methods=["PUT"])
@member_required
@blp.arguments(EmergencySheetRequestSchema)
@blp.response(200, EmergencySheetSchema)
@delegable("check_in")
def set_sheet(_):
    """Contacts, doctor, where the medication is, allergies, who holds a key, and who may read it."""
    return call("care", "set_sheet", current_actor(), body())


@blp.route("/members/me/emergency-sheet/reads", methods=["GET"])
@member_required
@blp.arguments(SheetReadQuerySchema, location="query")
@blp.response(200, SheetReadListSchema)
@delegable("check_in")
def sheet_reads(_):
    """Who read my emergency sheet, and when, newest first."""
    return call("care", "sheet_reads", current_actor(), query())


@blp.route("/members/<member_id>/emergency-sheet", methods=["GET"])
@member_required
@blp.response(200, EmergencySheetSchema)
@blp.alt_response(403, description="Not named by the resident, and not looking after an "
                                                         "open alert about them (organisers included)")
def read_sheet(member_id):
    """A neighbour's emergency sheet: for the readers they named and whoever looks after an open alert about
    them. Every read is recorded and shown to the neighbour."""
    return call("care", "read_sheet", current_actor(), member_id)


@blp.route("/members/me/emergency-sheet.html", methods=["GET"])
@member_required
@blp.doc(responses={"200": {"description": "A printable large-print page (A4) for the fridge",
                            "content": {"text/html": {"schema": {"type": "string"}}}}})
@delegable("check_in")
def printable_sheet():
    """My emergency sheet as a large-print page to print and keep in the fridge, in my language."""
    return web_care.printable_sheet(current_actor())
