"""Input validation and output shapes of the members service (the gateway documents its API with them)."""
from marshmallow import fields, validate

from services.contracts.schema import Flag, StrictSchema, text, timestamp
from services.contracts.vocabulary import LANGUAGE_CODE, PAGE_LANGUAGES, Pattern

ROLES = ("resident", "organiser")

PHONE = Pattern(r"^\+?[0-9][0-9 ()/.-]{2,29}$", error="Use digits, spaces and + ( ) / - only.")
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


class InvitationRequestSchema(StrictSchema):
    email = email
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
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
    role = fields.String(validate=validate.OneOf(ROLES),
                         metadata={"description": "Only lowering one's own role is allowed."})
    password = text(1024, min_length=10)
    current_password = text(1024, metadata={"description": "Required to set a new password."})


class MemberChangeSchema(StrictSchema):
    role = fields.String(validate=validate.OneOf(ROLES))
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
