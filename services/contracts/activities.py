"""Input validation and output shapes of the activities service ("Activities and shared meals"; the gateway
documents its API with them)."""
from marshmallow import ValidationError, fields, validate, validates_schema

from services.contracts.schema import (
    PageQuerySchema, StrictSchema, moment, text, timestamp, whole_number,
)
from services.contracts.vocabulary import Pattern

# A translation's language: a language code, or `de-x-ls` (Leichte Sprache, easy-to-read German; see API.md,
# "Reaching everyone").
TRANSLATION_LANGUAGE = Pattern(r"^[a-z]{2,3}(-x-ls)?$", error="Use a short language code such as de, tr or ar.")

MAX_GUESTS = 5
MAX_ROLES = 6
MAX_CAPACITY = 1000
ACTIVITY_STATUSES = ("open", "cancelled")
SIGNUP_STATUSES = ("confirmed", "waitlisted")
# A role's name becomes no key anywhere (roles are stored by their place in the list), but keep it plain text.
ROLE_NAME = validate.Length(min=1, max=40)

# The web pages the activities service's messages link to.
ACTIVITY_PAGE = "/activities/{activity_id}"


class RoleSchema(StrictSchema):
    name = fields.String(required=True, validate=ROLE_NAME, metadata={"example": "cook"})
    needed = whole_number(required=True, validate=validate.Range(min=1, max=50))


class ActivityTranslationSchema(StrictSchema):
    title = text(120, required=True, min_length=1)
    description = text(2000, load_default="")


class ActivityRequestSchema(StrictSchema):
    title = text(120, required=True, min_length=1)
    description = text(2000, load_default="")
    starts_at = moment(required=True)
    ends_at = moment(required=True)
    space_id = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "A room of the house: it is booked for the activity through the spaces service, its rules "
                       "apply; a clash answers 409 with the clashing bookings, and then no activity exists."})
    place = text(200, metadata={"description": "Where, as free text, when it is not a room of the house."})
    capacity = whole_number(validate=validate.Range(min=1, max=MAX_CAPACITY), metadata={
        "description": "Places, each person and each guest taking one; without it there is no limit."})
    signup_until = moment(metadata={"description": "Sign-ups close then (at the latest when it starts)."})
    guests_per_signup = whole_number(load_default=0, validate=validate.Range(min=0, max=MAX_GUESTS))
    roles = fields.List(fields.Nested(RoleSchema), load_default=list, validate=validate.Length(max=MAX_ROLES))
    translations = fields.Dict(keys=fields.String(validate=TRANSLATION_LANGUAGE),
                               values=fields.Nested(ActivityTranslationSchema), load_default=dict,
                               metadata={"description": "The title and description in other languages, side by "
                                                        "side: {lang: {title, description}}."})

    @validates_schema
    def sensible(self, data, **kwargs):
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("It must end after it starts.", field_name="ends_at")
        if data.get("signup_until") and "starts_at" in data and data["signup_until"] > data["starts_at"]:
            raise ValidationError("Sign-ups must close by the time it starts.", field_name="signup_until")
        names = [role["name"].strip().lower() for role in data.get("roles") or []]
        if len(set(names)) != len(names):
            raise ValidationError("Each role once.", field_name="roles")


class ActivityChangeSchema(StrictSchema):
    """What the creator or an organiser may change; the room and the places stay (cancel and create anew)."""

    title = text(120, min_length=1)
    description = text(2000)
    starts_at = moment()
    ends_at = moment()
    place = text(200, allow_none=True)
    signup_until = moment(allow_none=True)
    translations = fields.Dict(keys=fields.String(validate=TRANSLATION_LANGUAGE),
                               values=fields.Nested(ActivityTranslationSchema))


class ActivityListQuerySchema(PageQuerySchema):
    from_ = moment(data_key="from", attribute="from")
    to = moment()


class SignupRequestSchema(StrictSchema):
    guests = whole_number(load_default=0, validate=validate.Range(min=0, max=MAX_GUESTS))
    role = fields.String(validate=ROLE_NAME, metadata={"description": "One of the activity's roles by name."})
    note = text(300, load_default="")


class SignupResultSchema(StrictSchema):
    status = fields.String(required=True, validate=validate.OneOf(SIGNUP_STATUSES))
    position = fields.Integer(allow_none=True, metadata={"description": "Place on the waiting list, from 1."})
    guests = fields.Integer()
    role = fields.String(allow_none=True)


class RoleOutSchema(StrictSchema):
    name = fields.String(required=True)
    needed = fields.Integer(required=True)
    taken = fields.Integer(required=True)


class ParticipantSchema(StrictSchema):
    member_id = fields.String()
    display_name = fields.String(allow_none=True)
    guests = fields.Integer(required=True)
    role = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(SIGNUP_STATUSES))
    position = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)


class ActivityDetailSchema(StrictSchema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String()
    language = fields.String(metadata={"description": "The language of title and description as shown."})
    translations = fields.Dict()
    starts_at = timestamp(required=True)
    ends_at = timestamp(required=True)
    space_id = fields.String(allow_none=True)
    space_name = fields.String(allow_none=True)
    booking_id = fields.String(allow_none=True)
    place = fields.String(allow_none=True)
    capacity = fields.Integer(allow_none=True)
    places_taken = fields.Integer(required=True)
    places_left = fields.Integer(allow_none=True)
    signup_until = timestamp(allow_none=True)
    guests_per_signup = fields.Integer()
    roles = fields.List(fields.Nested(RoleOutSchema))
    status = fields.String(required=True, validate=validate.OneOf(ACTIVITY_STATUSES))
    created_by = fields.String()
    created_by_name = fields.String(allow_none=True)
    confirmed = fields.Integer(required=True)
    waitlisted = fields.Integer(required=True)
    my_signup = fields.Nested(ParticipantSchema, allow_none=True)
    participants = fields.List(fields.Nested(ParticipantSchema), metadata={
        "description": "Who comes (and who waits), for participants and organisers only."})
    may_cancel = fields.Boolean()
    created_at = timestamp()


class ActivityPageSchema(StrictSchema):
    items = fields.List(fields.Nested(ActivityDetailSchema), required=True)
    next = fields.String(allow_none=True, required=True)
