"""Input validation and output shapes of the care service ("Safe at home": the daily check-in, alerts and the
emergency sheet; the gateway documents its API with them)."""
from marshmallow import ValidationError, fields, validate, validates_schema

from services.contracts.phones import PHONE
from services.contracts.schema import (
    Flag, PageQuerySchema, StrictSchema, day, text, time_of_day, timestamp, whole_number,
)

# The bounds and defaults of the API contract ("Safe at home" in API.md).
GRACE_MINUTES = validate.Range(min=0, max=240)
ESCALATION_MINUTES = validate.Range(min=1, max=240)
DEFAULT_GRACE_MINUTES, DEFAULT_ESCALATION_MINUTES = 60, 30
MAX_BUDDIES, MAX_READERS, MAX_CONTACTS = 3, 10, 10

TODAY_STATUSES = ("due", "done", "missed", "away", "off")
ALERT_STATUSES = ("open", "acknowledged", "resolved")
OUTCOMES = ("fine", "needed_help", "emergency_services")
BUDDY_REQUEST_STATUSES = ("asked", "accepted", "declined", "withdrawn")
# What the one-click link of the daily email finds (`check_in_link`, `redeem_check_in_link` of the care service):
# ready (the button), checked_in (pressed just now), done (checked in today already), expired, invalid.
LINK_STATUSES = ("ready", "checked_in", "done", "expired", "invalid")

# The web pages the care service's messages link to (the notifications service puts them in inboxes and emails).
CHECK_IN_PAGE = "/check-in/settings"
BUDDY_REQUESTS_PAGE = "/check-in/buddy-requests"
EMERGENCY_SHEET_PAGE = "/emergency-sheet"
CHECK_IN_LINK_PAGE = "/check-in/link/{token}"

member_id = text(200, min_length=1)


# -- the daily check-in ---------------------------------------------------------------------------------------
class CheckInSettingsRequestSchema(StrictSchema):
    enabled = Flag(required=True)
    daily_by = time_of_day("10:00", required=True, metadata={
        "description": "By when the resident checks in each day, in the community's time zone."})
    grace_minutes = whole_number(load_default=DEFAULT_GRACE_MINUTES, validate=GRACE_MINUTES, metadata={
        "description": "Minutes after daily_by before an alert is raised."})
    escalation_minutes = whole_number(load_default=DEFAULT_ESCALATION_MINUTES, validate=ESCALATION_MINUTES,
                                        metadata={"description": "Minutes between telling one buddy and the next."})
    buddies = fields.List(member_id, required=True, validate=validate.Length(max=MAX_BUDDIES), metadata={
        "description": "1 to 3 neighbours, in the order they are to be told; each must accept."})
    email_reminder = Flag(load_default=False, metadata={
        "description": "A daily email, two hours before daily_by (community time zone), with a one-click link "
                       "that checks me in for that day; no password needed. Off by default."})

    @validates_schema
    def a_buddy_when_switched_on(self, data, **kwargs):
        if data.get("enabled") and not data.get("buddies"):
            raise ValidationError("Name at least one neighbour as a buddy.", field_name="buddies")


class BuddySchema(StrictSchema):
    member_id = fields.String(required=True)
    display_name = fields.String(allow_none=True)
    accepted = fields.Boolean(required=True)
    status = fields.String(validate=validate.OneOf(BUDDY_REQUEST_STATUSES))


class TodaySchema(StrictSchema):
    day = fields.String(metadata={"format": "date"})
    status = fields.String(required=True, validate=validate.OneOf(TODAY_STATUSES))
    done_at = timestamp(allow_none=True)


class AwaySchema(StrictSchema):
    from_ = day(data_key="from", attribute="from", required=True)
    until = day(required=True)

    @validates_schema
    def in_order(self, data, **kwargs):
        if "from" in data and "until" in data and data["until"] < data["from"]:
            raise ValidationError("The last day away must not be before the first.", field_name="until")


class AwayDaysSchema(StrictSchema):
    """Days away as the service answers them (dates as strings, like every time on the wire)."""

    from_ = fields.String(data_key="from", attribute="from", required=True, metadata={"format": "date"})
    until = fields.String(required=True, metadata={"format": "date"})


class CheckInSettingsSchema(StrictSchema):
    enabled = fields.Boolean(required=True)
    daily_by = fields.String(allow_none=True, metadata={"example": "10:00"})
    grace_minutes = whole_number()
    escalation_minutes = whole_number()
    buddies = fields.List(fields.Nested(BuddySchema), required=True)
    email_reminder = fields.Boolean(metadata={"description": "Whether the daily email with a check-in link goes."})
    today = fields.Nested(TodaySchema, required=True)
    away = fields.Nested(AwayDaysSchema, allow_none=True)


class CheckInRequestSchema(StrictSchema):
    """"I am fine today": nothing to say but that. An organiser may record one a resident gave by phone or on
    paper (`on_behalf_of`, with a note); it is marked as recorded by them."""

    on_behalf_of = fields.String(validate=validate.Length(min=1, max=64))
    note = text(500)


class CheckInSchema(StrictSchema):
    at = timestamp(required=True)


class BuddyRequestSchema(StrictSchema):
    id = fields.String(required=True)
    member_id = fields.String(required=True, metadata={"description": "The resident who asks."})
    display_name = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(BUDDY_REQUEST_STATUSES))


class BuddyRequestListSchema(StrictSchema):
    items = fields.List(fields.Nested(BuddyRequestSchema), required=True)
    next = fields.String(allow_none=True, required=True)


# -- alerts ---------------------------------------------------------------------------------------------------
class AlertListQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(ALERT_STATUSES))


class TimelineEntrySchema(StrictSchema):
    at = timestamp(required=True)
    step = fields.String(required=True, metadata={"description": "raised, notified, acknowledged or resolved"})
    who = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)


class AlertSchema(StrictSchema):
    id = fields.String(required=True)
    member_id = fields.String(required=True)
    display_name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    household = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(ALERT_STATUSES))
    day = fields.String(metadata={"format": "date", "description": "The day whose check-in was missed."})
    deadline = timestamp()
    raised_at = timestamp(required=True)
    acknowledged_by = fields.String(allow_none=True)
    acknowledged_at = timestamp(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolved_at = timestamp(allow_none=True)
    outcome = fields.String(allow_none=True, metadata={
        "description": "fine, needed_help, emergency_services; checked_in (a late check-in), member_left"})
    note = fields.String(allow_none=True)
    timeline = fields.List(fields.Nested(TimelineEntrySchema), required=True)
    actions = fields.List(fields.String(), metadata={"description": "What the viewer may do now."})


class AlertListSchema(StrictSchema):
    items = fields.List(fields.Nested(AlertSchema), required=True)
    next = fields.String(allow_none=True, required=True)


class ResolveSchema(StrictSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    note = text(1000, allow_none=True)


# -- the emergency sheet --------------------------------------------------------------------------------------
class ContactSchema(StrictSchema):
    name = text(100, required=True, min_length=1)
    phone = fields.String(required=True, validate=PHONE)
    relation = text(60, load_default="")


class DoctorSchema(StrictSchema):
    name = text(100, required=True, min_length=1)
    phone = fields.String(allow_none=True, validate=PHONE)


class EmergencySheetRequestSchema(StrictSchema):
    contacts = fields.List(fields.Nested(ContactSchema), required=True,
                           validate=validate.Length(max=MAX_CONTACTS))
    doctor = fields.Nested(DoctorSchema, allow_none=True, load_default=None)
    medication_location = text(500, allow_none=True, load_default=None)
    allergies = text(1000, allow_none=True, load_default=None)
    key_holder = text(200, allow_none=True, load_default=None)
    notes = text(2000, allow_none=True, load_default=None)
    readers = fields.List(member_id, required=True, validate=validate.Length(max=MAX_READERS), metadata={
        "description": "Who may read the sheet at any time; whoever looks after an open alert may too."})


class EmergencySheetSchema(StrictSchema):
    member_id = fields.String(required=True)
    contacts = fields.List(fields.Nested(ContactSchema), required=True)
    doctor = fields.Nested(DoctorSchema, allow_none=True)
    medication_location = fields.String(allow_none=True)
    allergies = fields.String(allow_none=True)
    key_holder = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    readers = fields.List(fields.String(), required=True)
    updated_at = timestamp(allow_none=True)
    # When the resident is reminded to look the sheet over: 90 days after it was last saved (saving it again,
    # changed or not, confirms it).
    review_due_at = timestamp(allow_none=True)


class SheetReadSchema(StrictSchema):
    at = timestamp(required=True)
    member_id = fields.String(required=True, metadata={"description": "Who read the sheet."})
    display_name = fields.String(allow_none=True)
    during_alert = fields.Boolean(required=True)


class SheetReadListSchema(StrictSchema):
    items = fields.List(fields.Nested(SheetReadSchema), required=True)
    next = fields.String(allow_none=True, required=True)


class SheetReadQuerySchema(PageQuerySchema):
    pass
