"""Input validation and output shapes of the members service (the gateway documents its API with them)."""
from marshmallow import ValidationError, fields, validate, validates_schema

from services.contracts.phones import PHONE
from services.contracts.schema import Flag, StrictSchema, moment, text, timestamp
from services.contracts.vocabulary import LANGUAGE_CODE, PAGE_LANGUAGES

ROLES = ("supporter", "resident", "organiser")  # in rank: nobody raises their own
INVITABLE_ROLES = ("resident", "organiser")  # a supporter is invited by the resident who trusts them
# What a trusted person may do for a resident: each names a part of the platform (`gateway.delegation`).
TRUST_SCOPES = ("bookings", "help", "messages", "check_in", "decisions", "activities")

email = fields.Email(required=True, validate=validate.Length(max=254))
password = text(1024, required=True, min_length=1)
new_password = text(1024, required=True, min_length=10,
                    metadata={"description": "At least 10 characters; a short sentence is easy to remember."})
display_name = text(80, min_length=1)
household = fields.String(allow_none=True, validate=validate.Length(min=1, max=80),
                          metadata={"description": "Flat or household, e.g. 'Haus B, 2. OG links'."})
preferred_language = fields.String(validate=validate.OneOf(PAGE_LANGUAGES))
languages = fields.List(fields.String(validate=LANGUAGE_CODE), validate=validate.Length(max=20))
phone = fields.String(allow_none=True, validate=PHONE)


class LoginSchema(StrictSchema):
    email = email
    password = password


class LoginLinkRequestSchema(StrictSchema):
    """Asking for a sign-in link by email: the answer is the same whether or not the address is a member's."""

    email = email


class LoginLinkRedeemSchema(StrictSchema):
    token = text(200, required=True, min_length=1,
                 metadata={"description": "The token of the emailed sign-in link (the last part of its address)."})


class LoginLinkAcceptedSchema(StrictSchema):
    detail = fields.String(required=True)
    valid_for_seconds = fields.Integer(required=True, metadata={
        "description": "How long a link sent now works (once), should the address be a member's."})


class InvitationRequestSchema(StrictSchema):
    email = email
    role = fields.String(required=True, validate=validate.OneOf(INVITABLE_ROLES))
    household = household


class InvitationSchema(StrictSchema):
    code = fields.String(required=True, metadata={"description": "Give this code to the new member."})
    email = fields.String()
    role = fields.String()
    expires_at = timestamp(required=True)


class RegistrationSchema(StrictSchema):
    invitation_code = text(200, required=True, min_length=1)
    email = email
    password = new_password
    display_name = text(80, required=True, min_length=1)
    preferred_language = fields.String(required=True, validate=validate.OneOf(PAGE_LANGUAGES))
    languages = fields.List(fields.String(validate=LANGUAGE_CODE), validate=validate.Length(max=20),
                            load_default=list)
    household = household
    phone = phone
    share_phone = Flag(load_default=False)


class ProfileChangeSchema(StrictSchema):
    display_name = display_name
    preferred_language = preferred_language
    languages = languages
    household = household
    phone = phone
    share_phone = Flag()
    role = fields.String(validate=validate.OneOf(INVITABLE_ROLES),
                         metadata={"description": "Only lowering one's own role is allowed."})
    password = text(1024, min_length=10)
    current_password = text(1024, metadata={"description": "Required to set a new password."})


class MemberChangeSchema(StrictSchema):
    role = fields.String(validate=validate.OneOf(INVITABLE_ROLES))
    household = household
    active = Flag()


class MemberSchema(StrictSchema):
    id = fields.String(required=True)
    community_id = fields.String(required=True)
    email = fields.String(required=True)
    display_name = fields.String(required=True)
    household = fields.String(allow_none=True)
    preferred_language = fields.String(required=True)
    languages = fields.List(fields.String())
    phone = fields.String(allow_none=True)
    share_phone = fields.Boolean()
    role = fields.String(required=True)
    active = fields.Boolean()
    created_at = timestamp()
    updated_at = timestamp()


class DirectoryEntrySchema(StrictSchema):
    id = fields.String(required=True)
    display_name = fields.String(required=True)
    household = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    role = fields.String(required=True)
    phone = fields.String(metadata={"description": "Only where the member chose to share it."})


class MemberLookupSchema(DirectoryEntrySchema):
    """One member as another sees them: a directory entry, plus the full profile for organisers."""

    community_id = fields.String()
    email = fields.String()
    phone = fields.String(allow_none=True, metadata={
        "description": "Only where the member chose to share it; organisers see it always (null: none given)."})
    preferred_language = fields.String()
    share_phone = fields.Boolean()
    active = fields.Boolean()
    created_at = timestamp()
    updated_at = timestamp()


class DirectoryPageSchema(StrictSchema):
    items = fields.List(fields.Nested(DirectoryEntrySchema), required=True)
    next = fields.String(allow_none=True, required=True)


# -- trusted persons ------------------------------------------------------------------------------------------
class SupporterInviteSchema(StrictSchema):
    email = email
    display_name = text(80, required=True, min_length=1)
    relation = text(80, metadata={"description": "e.g. 'Tochter', 'Nachbar'"})


class TrustRequestSchema(StrictSchema):
    member_id = fields.String(validate=validate.Length(min=1, max=64),
                              metadata={"description": "A member of the house; or `invite` for someone outside it."})
    invite = fields.Nested(SupporterInviteSchema, metadata={
        "description": "Invite a supporter from outside the house (a relative or friend): they join with the code."})
    scopes = fields.List(fields.String(validate=validate.OneOf(TRUST_SCOPES)), required=True,
                         validate=validate.Length(min=1, max=len(TRUST_SCOPES)))
    expires_at = moment(metadata={"description": "The trust ends by itself then."})
    on_behalf_of = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "Organisers only: the resident, present, for whom the trust is granted."})

    @validates_schema
    def one_person(self, data, **kwargs):
        if ("member_id" in data) == ("invite" in data):
            raise ValidationError("Name a member or invite someone, one of the two.", field_name="member_id")
        if len(set(data["scopes"])) != len(data["scopes"]):
            raise ValidationError("Each scope once.", field_name="scopes")


class GrantedBySchema(StrictSchema):
    member_id = fields.String(allow_none=True, required=True)
    display_name = fields.String(required=True)


class TrustSchema(StrictSchema):
    id = fields.String(required=True)
    member_id = fields.String(allow_none=True, metadata={"description": "Empty until an invited supporter joins."})
    display_name = fields.String(required=True)
    relation = fields.String(allow_none=True)
    invitation_code = fields.String(metadata={"description": "Only in the answer that created it: give it to them."})
    scopes = fields.List(fields.String(), required=True)
    expires_at = timestamp(allow_none=True)
    granted_by = fields.Nested(GrantedBySchema, required=True)
    created_at = timestamp(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("invited", "active", "expired", "ended")))


class TrustListSchema(StrictSchema):
    items = fields.List(fields.Nested(TrustSchema), required=True)


class TrustedBySchema(StrictSchema):
    id = fields.String(required=True)
    member_id = fields.String(required=True)
    display_name = fields.String(required=True)
    scopes = fields.List(fields.String(), required=True)
    expires_at = timestamp(allow_none=True)


class TrustedByListSchema(StrictSchema):
    items = fields.List(fields.Nested(TrustedBySchema), required=True)
