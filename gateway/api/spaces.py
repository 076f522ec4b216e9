"""Shared spaces and bookings: rooms and their rules, availability, bookings, approvals, calendars."""
from flask import Response, request

from gateway.api import IDEMPOTENCY_PARAMETER, Blueprint, call, idempotency_key
from gateway.delegation import delegable
from gateway.auth import current_actor, member_required, organiser_required
from services.contracts.spaces import (
    AvailabilityQuerySchema, AvailabilitySchema, BookingListQuerySchema, BookingListSchema, BookingRequestSchema,
    BookingSchema, CancelQuerySchema, FeedLinkSchema, SpaceChangeSchema, SpaceListSchema, SpaceRequestSchema,
    SpaceSchema,
)

blp = Blueprint("spaces", __name__, url_prefix="/api/v1", description="Shared spaces and bookings")
ICALENDAR = {"200": {
    "description": "iCalendar (RFC 5545)", "content": {"text/calendar": {"schema": {"type": "string"}}},
    "headers": {"Content-Disposition": {"required": True, "description": "`inline`, with a file name",
                                        "schema": {"type": "string", "pattern": r'^inline; filename=".+\.ics"$'}},
                "Cache-Control": {"required": True, "description": "Only the member's calendar keeps it, 5 minutes",
                                  "schema": {"type": "string", "enum": ["private, max-age=300"]}}}}}


def body() -> dict:
    """The JSON body as sent (validated already by the route's schema); the service validates it again and
    receives plain JSON, not Python objects."""
    return request.get_json()


def query() -> dict:
    return request.args.to_dict()


def calendar_response(text: str, filename: str) -> Response:
    response = Response(text, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@blp.route("/spaces", methods=["POST"])
@organiser_required
@blp.arguments(SpaceRequestSchema)
@blp.response(201, SpaceSchema)
@blp.doc(parameters=[IDEMPOTENCY_PARAMETER])
def create_space(_):
    """Create a shared space with its booking rules."""
    return call("spaces", "create_space", current_actor(), body(), idempotency_key=idempotency_key())


@blp.route("/spaces", methods=["GET"])
@member_required
@blp.response(200, SpaceListSchema)
@delegable("bookings")
def list_spaces():
    """The community's shared spaces."""
    return call("spaces", "list_spaces", current_actor())


@blp.route("/spaces/<space_id>", methods=["GET"])
@member_required
@blp.response(200, SpaceSchema)
@delegable("bookings")
def get_space(space_id):
    """One space and its rules."""
    return call("spaces", "get_space", current_actor(), space_id)


@blp.route("/spaces/<space_id>", methods=["PATCH"])
@organiser_required
@blp.arguments(SpaceChangeSchema)
@blp.response(200, SpaceSchema)
def change_space(_, space_id):
    """Change a space or its rules; existing bookings stay."""
    return call("spaces", "change_space", current_actor(), space_id, body())


@blp.route("/spaces/<space_id>/availability", methods=["GET"])
@member_required
@blp.arguments(AvailabilityQuerySchema, location="query")
@blp.response(200, AvailabilitySchema)
@delegable("bookings")
def availability(_, space_id):
    """Opening hours, busy and free times of one day, reckoned in the community's time zone."""
    return call("spaces", "availability", current_actor(), space_id, query())


@blp.route("/spaces/<space_id>/calendar.ics", methods=["GET"])
@member_required
@blp.doc(responses=ICALENDAR)
@delegable("bookings")
def space_calendar(space_id):
    """The space's bookings as an iCalendar feed."""
    return calendar_response(call("spaces", "space_calendar", current_actor(), space_id), f"space-{space_id}.ics")


@blp.route("/bookings", methods=["POST"])
@member_required
@blp.arguments(BookingRequestSchema)
@blp.response(201, BookingSchema)
@blp.alt_response(404, description="No such space in the community")
@blp.alt_response(409, description="Clashes with existing bookings (listed in `conflicts`)")
@blp.alt_response(422, description="Breaks a rule of the space (`rule`, `limit`)")
@blp.doc(parameters=[IDEMPOTENCY_PARAMETER])
@delegable("bookings")
def book(_):
    """Book a space, once or weekly (`repeat_weekly`)."""
    return call("spaces", "book", current_actor(), body(), idempotency_key=idempotency_key())


@blp.route("/bookings", methods=["GET"])
@member_required
@blp.arguments(BookingListQuerySchema, location="query")
@blp.response(200, BookingListSchema)
@delegable("bookings")
def list_bookings(_):
    """Bookings of the community, soonest first; `mine=true` for my own."""
    return call("spaces", "list_bookings", current_actor(), query())


@blp.route("/bookings/<booking_id>", methods=["GET"])
@member_required
@blp.response(200, BookingSchema)
@delegable("bookings")
def get_booking(booking_id):
    """One booking."""
    return call("spaces", "get_booking", current_actor(), booking_id)


@blp.route("/bookings/<booking_id>", methods=["DELETE"])
@member_required
@blp.arguments(CancelQuerySchema, location="query")
@blp.response(204)
@blp.alt_response(403, description="Only the booker or an organiser cancels a booking")
@delegable("bookings")
def cancel_booking(arguments, booking_id):
    """Cancel a booking (the booker or an organiser); `series=true` also cancels its later dates."""
    call("spaces", "cancel_booking", current_actor(), booking_id, whole_series=arguments["series"])


@blp.route("/bookings/<booking_id>/approve", methods=["POST"])
@organiser_required
@blp.response(200, BookingSchema)
@blp.alt_response(409, description="Not pending (`current_status` says what it is)")
def approve_booking(booking_id):
    """Approve a pending booking."""
    return call("spaces", "approve_booking", current_actor(), booking_id)


@blp.route("/bookings/<booking_id>/reject", methods=["POST"])
@organiser_required
@blp.response(200, BookingSchema)
@blp.alt_response(409, description="Not pending (`current_status` says what it is)")
def reject_booking(booking_id):
    """Reject a pending booking; its time becomes free."""
    return call("spaces", "reject_booking", current_actor(), booking_id)


@blp.route("/calendar/feed-link", methods=["POST"])
@member_required
@blp.response(201, FeedLinkSchema)
def new_feed_link():
    """A new secret link to my own calendar (the previous link stops working)."""
    link = call("spaces", "new_feed_link", current_actor())
    return {**link, "path": link["path"], "url": request.host_url.rstrip("/") + link["path"]}


@blp.route("/calendar/<feed_token>.ics", methods=["GET"])
@blp.doc(responses=ICALENDAR)
def member_calendar(feed_token):
    """My bookings, for a calendar program, through the secret link."""
    return calendar_response(call("spaces", "member_calendar", feed_token), "my-bookings.ics")
