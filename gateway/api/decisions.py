"""Deciding together: polls and consent rounds, votes, the call list, the close and the printable ballot and
results (the decisions service)."""
from zoneinfo import ZoneInfo

from flask import Response, render_template, request
from marshmallow import Schema, fields

from gateway.api import IDEMPOTENCY_PARAMETER, Blueprint, call, idempotency_key
from gateway.auth import current_actor, member_required, organiser_required
from gateway.delegation import delegable
from gateway.web.common import speaking
from services.common.errors import Conflict
from services.common.clock import parse_iso
from services.common.i18n import LANGUAGES, format_when, page_language, text_direction
from services.contracts.vocabulary import DEFAULT_TIMEZONE
from services.contracts.decisions import (
    DecisionListQuerySchema, DecisionListSchema, DecisionRequestSchema, DecisionSchema, MyVoteSchema,
    NotVotedSchema, VoteRequestSchema,
)

blp = Blueprint("decisions", __name__, url_prefix="/api/v1", description="Deciding together: polls and consent "
                                                                          "rounds")
PRINTABLE = {"200": {"description": "A printable large-print page (A4)",
                     "content": {"text/html": {"schema": {"type": "string"}}}}}


class VoteSchema(Schema):
    decision_id = fields.String(required=True)
    member_id = fields.String(required=True, metadata={"description": "Whose vote (on_behalf_of: that member's)."})
    status = fields.String(required=True)
    my_vote = fields.Nested(MyVoteSchema, required=True)


def body() -> dict:
    return request.get_json(silent=True) or {}


@blp.route("/decisions", methods=["POST"])
@organiser_required
@blp.arguments(DecisionRequestSchema)
@blp.response(201, DecisionSchema)
@blp.alt_response(403, description="Only organisers open decisions")
@blp.doc(parameters=[IDEMPOTENCY_PARAMETER])
def open_decision(_):
    """Open a poll or a consent round for everybody, a flat or the speakers of a language, with translations
    side by side; it closes by itself at `closes_at`."""
    return call("decisions", "open_decision", current_actor(), body(), idempotency_key=idempotency_key())


@blp.route("/decisions", methods=["GET"])
@member_required
@blp.arguments(DecisionListQuerySchema, location="query")
@blp.response(200, DecisionListSchema)
@delegable("decisions")
def list_decisions(_):
    """Decisions addressed to me, newest first, in my language, with my vote (organisers: all of them)."""
    return call("decisions", "list_decisions", current_actor(), request.args.to_dict())


@blp.route("/decisions/<decision_id>", methods=["GET"])
@member_required
@blp.response(200, DecisionSchema)
@delegable("decisions")
def get_decision(decision_id):
    """One decision in my language, with my vote, and the results once closed (while open too, unless secret)."""
    return call("decisions", "get_decision", current_actor(), decision_id)


@blp.route("/decisions/<decision_id>/votes", methods=["POST"])
@member_required
@blp.arguments(VoteRequestSchema)
@blp.response(201, VoteSchema)
@blp.alt_response(403, description="Not in the decision's audience, or `on_behalf_of` without being an organiser")
@blp.alt_response(409, description="The decision is closed, or a secret vote was cast already (it is final)")
@delegable("decisions")
def vote(_, decision_id):
    """Vote: a poll's `options`, or a consent round's `position` (an objection with its reason). Voting again
    replaces my vote until the close, except in a secret vote. Organisers record an answer given by phone or on
    paper with `on_behalf_of` and a `note`."""
    return call("decisions", "vote", current_actor(), decision_id, body())


@blp.route("/decisions/<decision_id>/not-voted", methods=["GET"])
@organiser_required
@blp.response(200, NotVotedSchema(many=True))
@blp.alt_response(403, description="Only organisers see who has not voted")
def not_voted(decision_id):
    """The call list: who in the audience has not voted yet, with their phone numbers."""
    return call("decisions", "not_voted", current_actor(), decision_id)


@blp.route("/decisions/<decision_id>/close", methods=["POST"])
@organiser_required
@blp.response(200, DecisionSchema)
@blp.alt_response(403, description="Only organisers close decisions early")
@blp.alt_response(409, description="Closed already")
def close_decision(decision_id):
    """Close early: the results are counted and sent to everyone in the audience."""
    return call("decisions", "close", current_actor(), decision_id)


def printable(template: str, decision_id: str) -> Response:
    """A large-print page in the reader's language (their profile's, or `?lang=`)."""
    actor = current_actor()
    wanted = page_language(request.args.get("lang")) or actor.get("preferred_language")
    language = wanted if wanted in LANGUAGES else "de"
    decision = call("decisions", "get_decision", {**actor, "preferred_language": language}, decision_id)
    zone = ZoneInfo(actor.get("timezone") or DEFAULT_TIMEZONE)

    def spelled(moment):
        return format_when(parse_iso(moment), language, zone) if moment else ""

    with speaking(language):
        page = render_template(template, decision=decision, lang=language, dir=text_direction(decision["language"]),
                               page_dir=text_direction(language), closes=spelled(decision["closes_at"]),
                               closed=spelled(decision["closed_at"]))
    return Response(page, mimetype="text/html")


@blp.route("/decisions/<decision_id>/ballot.html", methods=["GET"])
@member_required
@blp.doc(responses=PRINTABLE)
@delegable("decisions")
def ballot(decision_id):
    """A printable large-print ballot, for those who vote on paper."""
    return printable("web/decision_ballot.html", decision_id)


@blp.route("/decisions/<decision_id>/results.html", methods=["GET"])
@member_required
@blp.doc(responses=PRINTABLE)
@blp.alt_response(409, description="Not closed yet")
@delegable("decisions")
def results(decision_id):
    """The printable large-print results."""
    decision = call("decisions", "get_decision", current_actor(), decision_id)
    if decision["status"] != "closed":
        raise Conflict("The results are printed once the decision has closed.")
    return printable("web/decision_results.html", decision_id)
