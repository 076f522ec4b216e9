"""Neighbourhood help: ask, offer, accept, complete, cancel."""
from flask import request

from gateway.api import IDEMPOTENCY_PARAMETER, Blueprint, call, idempotency_key
from gateway.delegation import delegable
from gateway.auth import current_actor, member_required
from services.contracts.help import (
    AcceptSchema, HelpRequestCreateSchema, HelpRequestListQuerySchema, HelpRequestListSchema, HelpRequestSchema,
    OfferCreateSchema, OfferSchema,
)

blp = Blueprint("help", __name__, url_prefix="/api/v1/help-requests", description="Neighbourhood help")


def body() -> dict:
    """The JSON body as sent (already validated by the route's schema), or {} for a bodiless POST."""
    return request.get_json(silent=True) or {}


@blp.route("", methods=["POST"])
@member_required
@blp.arguments(HelpRequestCreateSchema)
@blp.response(201, HelpRequestSchema)
@blp.doc(parameters=[IDEMPOTENCY_PARAMETER])
@delegable("help")
def ask(_):
    """Ask the neighbours for help; those who want to hear of it are told."""
    return call("help", "create_request", current_actor(), body(), idempotency_key=idempotency_key())


@blp.route("", methods=["GET"])
@member_required
@blp.arguments(HelpRequestListQuerySchema, location="query")
@blp.response(200, HelpRequestListSchema)
@delegable("help")
def list_requests(_):
    """Help requests of the community, newest first."""
    return call("help", "list_requests", current_actor(), request.args.to_dict())


@blp.route("/<request_id>", methods=["GET"])
@member_required
@blp.response(200, HelpRequestSchema)
@delegable("help")
def get_request(request_id):
    """One help request, as the viewer may see it (contact details only between requester and helper)."""
    return call("help", "get_request", current_actor(), request_id)


@blp.route("/<request_id>/offers", methods=["POST"])
@member_required
@blp.arguments(OfferCreateSchema, required=False)
@blp.response(201, OfferSchema)
@blp.alt_response(403, description="Offering help on one's own request")
@blp.alt_response(409, description="The request is no longer open, or already offered")
@blp.doc(parameters=[IDEMPOTENCY_PARAMETER])
@delegable("help")
def offer(_, request_id):
    """Offer help."""
    return call("help", "offer", current_actor(), request_id, body(), idempotency_key=idempotency_key())


@blp.route("/<request_id>/accept", methods=["POST"])
@member_required
@blp.arguments(AcceptSchema)
@blp.response(200, HelpRequestSchema)
@blp.alt_response(403, description="Only the requester accepts an offer")
@blp.alt_response(404, description="No such help request, or no such offer on it")
@blp.alt_response(409, description="Not open any more (`current_status` says what it is)")
@delegable("help")
def accept(_, request_id):
    """Accept an offer: from now on the two see each other's phone and household."""
    return call("help", "accept", current_actor(), request_id, body())


@blp.route("/<request_id>/complete", methods=["POST"])
@member_required
@blp.response(200, HelpRequestSchema)
@blp.alt_response(403, description="Only the requester marks it as done")
@blp.alt_response(409, description="Not accepted (`current_status` says what it is)")
@delegable("help")
def complete(request_id):
    """Mark the help as done (the requester)."""
    return call("help", "complete", current_actor(), request_id)


@blp.route("/<request_id>/cancel", methods=["POST"])
@member_required
@blp.response(200, HelpRequestSchema)
@blp.alt_response(403, description="Only the requester or an organiser calls it off")
@blp.alt_response(409, description="Already over (`current_status` says what it is)")
@delegable("help")
def cancel(request_id):
    """Call the request off (the requester or an organiser)."""
    return call("help", "cancel", current_actor(), request_id)
