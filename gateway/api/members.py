"""Members: invitations, registration, profiles, the directory, export and erasure."""
from marshmallow import Schema, fields

from gateway.api import IDEMPOTENCY_PARAMETER, Blueprint, call, idempotency_key
from gateway.delegation import open_to_supporters
from gateway.auth import current_actor, member_required, organiser_required
from services.contracts.members import (
    DirectoryPageSchema, InvitationRequestSchema, InvitationSchema, MemberChangeSchema, MemberLookupSchema, MemberSchema,
    ProfileChangeSchema, RegistrationSchema, TrustedByListSchema, TrustListSchema, TrustRequestSchema, TrustSchema,
)
from services.contracts.notifications import ActivitySchema
from services.contracts.schema import PageQuerySchema

blp = Blueprint("members", __name__, url_prefix="/api/v1", description="Members, invitations and profiles")

# Services that hold personal data, asked in turn for an export. Later services join this list.
EXPORTING_SERVICES = ("members", "spaces", "help", "notifications", "care", "decisions", "activities")


class ExportSchema(Schema):
    member_id = fields.String(required=True)
    services = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)


class AcceptedSchema(Schema):
    detail = fields.String(required=True)


@blp.route("/invitations", methods=["POST"])
@organiser_required
@blp.arguments(InvitationRequestSchema)
@blp.response(201, InvitationSchema)
@blp.alt_response(403, description="Only organisers invite")
@blp.doc(parameters=[IDEMPOTENCY_PARAMETER])
def invite(body):
    """Invite a new member: the code works once, for 14 days."""
    return call("members", "create_invitation", current_actor(), body, idempotency_key=idempotency_key())


@blp.route("/members", methods=["POST"])
@blp.arguments(RegistrationSchema)
@blp.response(201, MemberSchema)
@blp.alt_response(404, description="Unknown invitation code")
@blp.alt_response(409, description="Email already registered")
@blp.alt_response(410, description="Invitation used or expired")
@blp.doc(parameters=[IDEMPOTENCY_PARAMETER])
def register(body):
    """Join the community with an invitation code."""
    return call("members", "register", body, idempotency_key=idempotency_key())


@blp.route("/members", methods=["GET"])
@member_required
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, DirectoryPageSchema)
def directory(page):
    """The community's directory: phone numbers only where members share them."""
    return call("members", "directory", current_actor(), limit=page["limit"], cursor=page["cursor"])


@blp.route("/members/me", methods=["GET"])
@member_required
@blp.response(200, MemberSchema)
@blp.alt_response(404, description="My profile is gone (erased a moment ago)")
@open_to_supporters
def get_me():
    """My own profile."""
    return call("members", "get_profile", current_actor())


@blp.route("/members/me", methods=["PATCH"])
@member_required
@blp.arguments(ProfileChangeSchema, required=False)
@blp.response(200, MemberSchema)
@blp.alt_response(403, description="Raising my own role, or a new password without the right current one")
@blp.alt_response(404, description="My profile is gone (erased a moment ago)")
@blp.alt_response(409, description="The community's last active organiser cannot give up the role")
@open_to_supporters
def change_me(changes):
    """Change my profile, languages, phone and its sharing, or my password."""
    return call("members", "change_profile", current_actor(), changes)


@blp.route("/members/me", methods=["DELETE"])
@member_required
@blp.response(202, AcceptedSchema)
@blp.alt_response(404, description="My profile is gone (erased a moment ago)")
@blp.alt_response(409, description="The community's last active organiser cannot leave")
@open_to_supporters
def erase_me():
    """Leave the platform: every service erases or anonymises my personal data."""
    call("members", "erase_member", current_actor())
    return {"detail": "Your personal data is being erased everywhere."}


@blp.route("/members/me/export", methods=["GET"])
@member_required
@blp.response(200, ExportSchema)
@blp.alt_response(404, description="My profile is gone (erased a moment ago)")
@open_to_supporters
def export_me():
    """Everything the platform holds about me, as one JSON document."""
    actor = current_actor()
    return {
        "member_id": actor["member_id"],
        "services": {service: call(service, "export_member", actor) for service in EXPORTING_SERVICES},
    }


@blp.route("/members/<member_id>", methods=["GET"])
@member_required
@blp.response(200, MemberLookupSchema)
def get_member(member_id):
    """One member: the directory entry, or the full profile for organisers."""
    return call("members", "get_member", current_actor(), member_id)


@blp.route("/members/<member_id>", methods=["PATCH"])
@organiser_required
@blp.arguments(MemberChangeSchema, required=False)
@blp.response(200, MemberSchema)
@blp.alt_response(403, description="Only organisers change members; nobody deactivates themselves")
@blp.alt_response(409, description="The community must keep at least one active organiser")
@blp.alt_response(410, description="The member has left and their data was erased")
def change_member(changes, member_id):
    """Change a member's role or household, or deactivate them (`active: false`)."""
    return call("members", "change_member", current_actor(), member_id, changes)


# -- trusted persons ----------------------------------------------------------------------------------------
@blp.route("/members/me/trusted-persons", methods=["POST"])
@member_required
@blp.arguments(TrustRequestSchema)
@blp.response(201, TrustSchema)
@blp.alt_response(404, description="No such member (or resident, for an organiser) in the community")
@blp.alt_response(409, description="This person is trusted already")
@blp.doc(parameters=[IDEMPOTENCY_PARAMETER])
def grant_trust(body):
    """Name a trusted person: a neighbour, or a supporter from outside the house invited with a code. Organisers
    may grant it for a resident who is present (`on_behalf_of`)."""
    return call("members", "grant_trust", current_actor(), body, idempotency_key=idempotency_key())


@blp.route("/members/me/trusted-persons", methods=["GET"])
@member_required
@blp.response(200, TrustListSchema)
def list_trusts():
    """The people I trust to act for me, and the trusts that ended."""
    return call("members", "list_trusts", current_actor())


@blp.route("/members/me/trusted-persons/<trust_id>", methods=["DELETE"])
@member_required
@blp.response(204)
@open_to_supporters
def revoke_trust(trust_id):
    """End a trust at once (the trusted person may also step down)."""
    call("members", "revoke_trust", current_actor(), trust_id)


@blp.route("/members/me/trusted-by", methods=["GET"])
@member_required
@blp.response(200, TrustedByListSchema)
@open_to_supporters
def trusted_by():
    """The residents I may act for, and what I may do for each."""
    return call("members", "trusted_by", current_actor())


@blp.route("/members/me/activity", methods=["GET"])
@member_required
@blp.response(200, ActivitySchema(many=True))
def my_activity():
    """Everything trusted persons did for me, newest first."""
    return call("notifications", "activity", current_actor())
