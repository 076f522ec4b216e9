"""Input validation and output shapes of the spaces service (the gateway documents its API with them)."""
from marshmallow import fields, validate, validates_schema, ValidationError

from services.contracts.schema import Flag, PageQuerySchema, StrictSchema, day, moment, text, timestamp, whole_number
from services.contracts.vocabulary import TIME_OF_DAY_PATTERN, Pattern

HHMM = Pattern(TIME_OF_DAY_PATTERN, error="Use a time of day like 08:00 or 22:30.")
HHMM_OR_MIDNIGHT = Pattern(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$",
                                   error="Use a time of day like 22:30, or 24:00 for midnight.")
RULE_DEFAULTS = {
    "open_from": "08:00", "open_until": "22:00", "slot_minutes": 30, "min_duration_minutes": 30,
    "max_duration_minutes": 240, "max_days_ahead": 90, "household_quota_minutes_per_week": None,
    "requires_approval": False, "buffer_minutes": 0,
}


class RulesSchema(StrictSchema):
    open_from = fields.String(validate=HHMM, metadata={"example": "08:00"})
    open_until = fields.String(validate=HHMM_OR_MIDNIGHT,
                               metadata={"example": "22:00", "description": "24:00 is midnight"})
    slot_minutes = whole_number(validate=validate.Range(min=1, max=1440))
    min_duration_minutes = whole_number(validate=validate.Range(min=1, max=60 * 24 * 60))
    max_duration_minutes = whole_number(validate=validate.Range(min=1, max=60 * 24 * 60))
    max_days_ahead = whole_number(validate=validate.Range(min=0, max=730))
    household_quota_minutes_per_week = whole_number(allow_none=True, validate=validate.Range(min=0, max=7 * 24 * 60))
    requires_approval = Flag()
    buffer_minutes = whole_number(validate=validate.Range(min=0, max=1440))


class SpaceRequestSchema(StrictSchema):
    name = text(80, required=True, min_length=1)
    description = text(2000, load_default="")
    capacity = whole_number(required=True, validate=validate.Range(min=1, max=1000))
    rules = fields.Nested(RulesSchema, load_default=dict)


class SpaceChangeSchema(StrictSchema):
    name = text(80, min_length=1)
    description = text(2000)
    capacity = whole_number(validate=validate.Range(min=1, max=1000))
    rules = fields.Nested(RulesSchema)
    active = Flag()


class RulesOutSchema(StrictSchema):
    open_from = fields.String()
    open_until = fields.String()
    slot_minutes = fields.Integer()
    min_duration_minutes = fields.Integer()
    max_duration_minutes = fields.Integer()
    max_days_ahead = fields.Integer()
    household_quota_minutes_per_week = fields.Integer(allow_none=True)
    requires_approval = fields.Boolean()
    buffer_minutes = fields.Integer()


class SpaceSchema(StrictSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String()
    capacity = fields.Integer()
    rules = fields.Nested(RulesOutSchema)
    active = fields.Boolean()
    created_at = timestamp()
    updated_at = timestamp()


class SpaceListSchema(StrictSchema):
    items = fields.List(fields.Nested(SpaceSchema), required=True)
    next = fields.String(allow_none=True, required=True)


class AvailabilityQuerySchema(StrictSchema):
    date = day(required=True, metadata={"example": "2026-12-24"})


class IntervalSchema(StrictSchema):
    start = timestamp(required=True)
    end = timestamp(required=True)


class AvailabilitySchema(StrictSchema):
    date = fields.String(required=True)
    timezone = fields.String()
    open = fields.List(fields.Nested(IntervalSchema), required=True)
    busy = fields.List(fields.Nested(IntervalSchema), required=True)
    free = fields.List(fields.Nested(IntervalSchema), metadata={"description": "Where a new booking fits whole."})


class BookingRequestSchema(StrictSchema):
    space_id = text(64, required=True, min_length=1)
    start = moment(required=True, metadata={"example": "2026-12-24T18:00:00+01:00"})
    end = moment(required=True, metadata={"example": "2026-12-24T20:00:00+01:00"})
    purpose = text(200, load_default="")
    repeat_weekly = whole_number(validate=validate.Range(min=1, max=52), metadata={
        "description": "Book this many weekly occurrences (the first included); free dates are booked, the "
                       "others are reported per date."})

    @validates_schema
    def end_after_start(self, data, **kwargs):
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise ValidationError("The end must be later than the start.", field_name="end")


class ClashSchema(StrictSchema):
    """A booking that holds (part of) the time asked for."""

    id = fields.String(required=True)
    start = timestamp(required=True)
    end = timestamp(required=True)


class OccurrenceSchema(StrictSchema):
    start = timestamp(required=True)
    end = timestamp(required=True)
    status = fields.String(required=True, metadata={"description": "confirmed, pending, or refused"})
    booking_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    rule = fields.String(allow_none=True)
    conflicts = fields.List(fields.Nested(ClashSchema))


class BookingSchema(StrictSchema):
    id = fields.String(required=True)
    space_id = fields.String(required=True)
    space_name = fields.String()
    member_id = fields.String(required=True)
    start = timestamp(required=True)
    end = timestamp(required=True)
    status = fields.String(required=True, metadata={"description": "confirmed, pending, rejected, cancelled"})
    purpose = fields.String(metadata={"description": "Shown to the booker and to organisers only."})
    series_id = fields.String(allow_none=True)
    mine = fields.Boolean()
    created_at = timestamp()
    occurrences = fields.List(fields.Nested(OccurrenceSchema),
                              metadata={"description": "With repeat_weekly: what happened to each date."})


class BookingListQuerySchema(PageQuerySchema):
    space_id = text(64)
    from_ = moment(data_key="from")
    to = moment()
    mine = fields.Boolean(load_default=False)


class BookingListSchema(StrictSchema):
    items = fields.List(fields.Nested(BookingSchema), required=True)
    next = fields.String(allow_none=True, required=True)


class CancelQuerySchema(StrictSchema):
    series = fields.Boolean(load_default=False, metadata={
        "description": "Cancel this and every later booking of its weekly series."})


class FeedLinkSchema(StrictSchema):
    token = fields.String(required=True)
    path = fields.String(required=True)
    url = fields.String(metadata={"description": "Paste this into a calendar program to subscribe."})
