"""Activities and shared meals: sign-up with a limit, a waiting list and roles, with the room booked for them
(the activities service)."""
from flask import request

from gateway.api import IDEMPOTENCY_PARAMETER, Blueprint, call, idempotency_key
from gateway.auth import current_actor, member_required
from gateway.delegation import delegable
from services.contracts.activities import (
    ActivityChangeSchema, ActivityListQuerySchema, ActivityPageSchema, ActivityRequestSchema, ActivityDetailSchema, SignupRequestSchema,
    SignupResultSchema,
)

blp = Blueprint("activities", __name__, url_prefix="/api/v1", description="Activities and shared meals")


def body() -> dict:
    """The JSON body as sent (validated already by the route's schema), or {} for a bodiless POST; the service
    validates it again and receives plain JSON."""
    return request.get_json(silent=True) or {}


@blp.route("/activities", methods=["POST"])
@member_required
@blp.arguments(ActivityRequestSchema)
@blp.response(201, ActivityDetailSchema)
@blp.alt_response(404, description="No such room in the community (`space_id`)")
@blp.alt_response(409, description="The room is booked then (the clashing bookings in `conflicts`); no activity "
                                   "was created")
@blp.doc(parameters=[IDEMPOTENCY_PARAMETER])
@delegable("activities")
def create_activity(_):
    """Create an activity; with `space_id` the room is booked for it through the spaces service (its rules
    apply). Should the rooms not answer, 503 and nothing is created."""
    return call("activities", "create_activity", current_actor(), body(), idempotency_key=idempotency_key())


@blp.route("/activities", methods=["GET"])
@member_required
@blp.arguments(ActivityListQuerySchema, location="query")
@blp.response(200, ActivityPageSchema)
@delegable("activities")
def list_activities(_):
    """The community's activities, soonest first (from now on unless `from` says otherwise)."""
    return call("activities", "list_activities", current_actor(), request.args.to_dict())


@blp.route("/activities/<activity_id>", methods=["GET"])
@member_required
@blp.response(200, ActivityDetailSchema)
@delegable("activities")
def get_activity(activity_id):
    """One activity: the counts for everyone; who comes for participants and organisers."""
    return call("activities", "get_activity", current_actor(), activity_id)


@blp.route("/activities/<activity_id>", methods=["PATCH"])
@member_required
@blp.arguments(ActivityChangeSchema)
@blp.response(200, ActivityDetailSchema)
@blp.alt_response(403, description="Only whoever created it, or an organiser, changes an activity")
@blp.alt_response(409, description="The room is booked at the new time (the clashing bookings in `conflicts`); "
                                   "nothing was changed")
@delegable("activities")
def change_activity(_, activity_id):
    """Change the title, texts or time; the sign-ups stay. With a room, the new time is booked first (its rules
    apply) and the old booking released. Everyone signed up hears of a new time."""
    return call("activities", "change_activity", current_actor(), activity_id, body())


@blp.route("/activities/<activity_id>", methods=["DELETE"])
@member_required
@blp.response(204)
@blp.alt_response(403, description="Only whoever created it, or an organiser, cancels an activity")
@delegable("activities")
def cancel_activity(activity_id):
    """Cancel: everyone signed up is told, and the room booked for it is released."""
    call("activities", "cancel_activity", current_actor(), activity_id)


@blp.route("/activities/<activity_id>/signups", methods=["POST"])
@member_required
@blp.arguments(SignupRequestSchema, required=False)
@blp.response(201, SignupResultSchema)
@blp.alt_response(404, description="No such activity in the community")
@blp.alt_response(409, description="Signed up already, sign-ups closed, the role taken, or no places for the "
                                   "guests of a role")
@delegable("activities")
def sign_up(_, activity_id):
    """Sign up (with guests, for a role): confirmed while places are left, otherwise on the waiting list."""
    return call("activities", "sign_up", current_actor(), activity_id, body())


@blp.route("/activities/<activity_id>/signups/me", methods=["DELETE"])
@member_required
@blp.response(204)
@blp.alt_response(404, description="Not signed up, or no such activity")
@delegable("activities")
def leave(activity_id):
    """Sign off: the first on the waiting list who fits moves up and is told."""
    call("activities", "leave", current_actor(), activity_id)
