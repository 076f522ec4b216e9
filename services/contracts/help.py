"""Input validation and output shapes of the help service (the gateway documents its API with them)."""
from marshmallow import fields, validate

from services.contracts.schema import PageQuerySchema, StrictSchema, moment, text, timestamp
from services.contracts.vocabulary import HELP_CATEGORIES as CATEGORIES, LANGUAGE_CODE

# A help request's life: open, then accepted, then completed; or cancelled, or expired while open.
STATUSES = ("open", "accepted", "completed", "cancelled", "expired")


class HelpRequestCreateSchema(StrictSchema):
    title = text(120, required=True, min_length=1, metadata={"example": "Einkauf am Samstag"})
    description = text(2000, load_default="")
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    needed_from = moment(allow_none=True)
    needed_until = moment(allow_none=True, metadata={
        "description": "The request expires then (or 14 days after it was posted)."})
    languages = fields.List(fields.String(validate=LANGUAGE_CODE), validate=validate.Length(max=10),
                            load_default=list, metadata={"description": "The helper should speak one of these."})


class HelpRequestListQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    mine = fields.Boolean(load_default=False)


class OfferCreateSchema(StrictSchema):
    message = text(1000, load_default="", metadata={"example": "Ich kann Samstag um 10 Uhr."})


class AcceptSchema(StrictSchema):
    offer_id = text(200, required=True, min_length=1)


class PersonSchema(StrictSchema):
    id = fields.String(required=True)
    display_name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "Only for the requester and accepted helper."})
    household = fields.String(allow_none=True)


class OfferSchema(StrictSchema):
    id = fields.String(required=True)
    helper_id = fields.String(required=True)
    display_name = fields.String(allow_none=True)
    message = fields.String()
    created_at = timestamp()
    accepted = fields.Boolean()


class HelpRequestSchema(StrictSchema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String()
    category = fields.String(required=True)
    needed_from = timestamp(allow_none=True)
    needed_until = timestamp(allow_none=True)
    languages = fields.List(fields.String())
    status = fields.String(required=True)
    created_at = timestamp()
    expires_at = timestamp()
    accepted_at = timestamp(allow_none=True)
    completed_at = timestamp(allow_none=True)
    cancelled_at = timestamp(allow_none=True)
    expired_at = timestamp(allow_none=True)
    private_details_removed = fields.Boolean()
    requester_id = fields.String()
    requester = fields.Nested(PersonSchema)
    accepted_offer_id = fields.String(allow_none=True)
    helper = fields.Nested(PersonSchema, allow_none=True)
    offers = fields.List(fields.Nested(OfferSchema))
    offer_count = fields.Integer()
    actions = fields.List(fields.String(), metadata={"description": "What the viewer may do now."})


class HelpRequestListSchema(StrictSchema):
    items = fields.List(fields.Nested(HelpRequestSchema), required=True)
    next = fields.String(allow_none=True, required=True)
