"""Notifications and notices: my inbox, my preferences, organisers' notices, receipts, the printable board."""
from flask import Response, render_template, request

from gateway.api import IDEMPOTENCY_PARAMETER, Blueprint, call, idempotency_key
from gateway.delegation import delegable, open_to_supporters
from gateway.auth import current_actor, member_required, organiser_required
from services.contracts.notifications import (
    BoardQuerySchema, NoticeListSchema, NoticeRequestSchema, NoticeSchema, NotificationListQuerySchema,
    NotificationListSchema, PreferencesSchema, ReceiptsSchema,
)

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Notifications and notices")


@blp.route("/notifications", methods=["GET"])
@member_required
@blp.arguments(NotificationListQuerySchema, location="query")
@blp.response(200, NotificationListSchema)
@delegable("messages")
@open_to_supporters
def inbox(_):
    """My inbox, newest first, in my language; `unread=true` for the unread only."""
    return call("notifications", "inbox", current_actor(), request.args.to_dict())


@blp.route("/notifications/<notification_id>/read", methods=["POST"])
@member_required
@blp.response(204)
@delegable("messages")
@open_to_supporters
def mark_read(notification_id):
    """Mark a notification as read."""
    call("notifications", "mark_read", current_actor(), notification_id)


@blp.route("/members/me/preferences", methods=["GET"])
@member_required
@blp.response(200, PreferencesSchema)
@open_to_supporters
def get_preferences():
    """How I want to be told: email or not, quiet hours, daily digest, which help requests I hear of."""
    return call("notifications", "get_preferences", current_actor())


@blp.route("/members/me/preferences", methods=["PUT"])
@member_required
@blp.arguments(PreferencesSchema)
@blp.response(200, PreferencesSchema)
@open_to_supporters
def set_preferences(_):
    """Change how I want to be told."""
    return call("notifications", "set_preferences", current_actor(), request.get_json())


@blp.route("/notices", methods=["POST"])
@organiser_required
@blp.arguments(NoticeRequestSchema)
@blp.response(201, NoticeSchema)
@blp.doc(parameters=[IDEMPOTENCY_PARAMETER])
def publish_notice(_):
    """Publish a notice to everyone, a household, or the speakers of a language, with translations."""
    return call("notifications", "publish_notice", current_actor(), request.get_json(),
                idempotency_key=idempotency_key())


@blp.route("/notices", methods=["GET"])
@member_required
@blp.arguments(NotificationListQuerySchema, location="query")
@blp.response(200, NoticeListSchema)
@delegable("messages")
def my_notices(_):
    """Notices addressed to me, newest first, in my language where the organiser wrote it."""
    return call("notifications", "my_notices", current_actor(), request.args.to_dict())


@blp.route("/notices/<notice_id>/receipts", methods=["GET"])
@organiser_required
@blp.response(200, ReceiptsSchema)
def receipts(notice_id):
    """Who has read a notice, and who not yet (with the phone numbers they share, for a call round)."""
    return call("notifications", "receipts", current_actor(), notice_id)


@blp.route("/notices/board.html", methods=["GET"])
@member_required
@blp.arguments(BoardQuerySchema, location="query")
@blp.doc(responses={"200": {"description": "A printable large-print page (A4)",
                            "content": {"text/html": {"schema": {"type": "string"}}}}})
@delegable("messages")
def board(_):
    """The printable large-print notice board of a week (`week=2026-W52`, this week by default)."""
    data = call("notifications", "board", current_actor(), request.args.to_dict())
    return Response(render_template("board.html", board=data, labels=data["labels"]), mimetype="text/html")
