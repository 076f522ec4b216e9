"""Input validation and output shapes of the notifications service."""
from marshmallow import ValidationError, fields, validate, validates_schema

from services.contracts.schema import Flag, PageQuerySchema, StrictSchema, text, time_of_day, timestamp
from services.contracts.vocabulary import (
    AUDIENCE_LANGUAGE, HELP_CATEGORIES as CATEGORIES, PAGE_LANGUAGES, Pattern,
)


class ChannelsSchema(StrictSchema):
    in_app = Flag(validate=validate.Equal(True, error="The inbox is always on."), load_default=True)
    email = Flag(load_default=False)
    sms = Flag(load_default=False, metadata={"description": "Urgent notices, alerts and reminders as text messages "
                                                            "to the phone of my profile (where the house offers it)."})


class QuietHoursSchema(StrictSchema):
    from_ = time_of_day("21:00", data_key="from", attribute="from", required=True)
    until = time_of_day("08:00", required=True)


class PreferencesSchema(StrictSchema):
    channels = fields.Nested(ChannelsSchema, required=True)
    quiet_hours = fields.Nested(QuietHoursSchema, allow_none=True, metadata={
        "description": "Emails wait until they end (default 21:00–08:00), unless a notice is urgent."})
    digest = fields.String(validate=validate.OneOf(("off", "daily")), load_default="off")
    help_categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)), allow_none=True,
                                  load_default=None, metadata={"description": "Empty or null: every category."})


class NotificationSchema(StrictSchema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    created_at = timestamp(required=True)
    read_at = timestamp(allow_none=True)
    link = fields.String(allow_none=True)
    urgent = fields.Boolean()
    language = fields.String()
    direction = fields.String(metadata={"description": "ltr or rtl"})


class NotificationListQuerySchema(PageQuerySchema):
    unread = fields.Boolean(load_default=False)


class NotificationListSchema(StrictSchema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    next = fields.String(allow_none=True, required=True)


class TranslationSchema(StrictSchema):
    title = text(200, required=True, min_length=1)
    body = text(5000, required=True, min_length=1)


class AudienceSchema(StrictSchema):
    household = text(80, min_length=1)
    language = fields.String(validate=AUDIENCE_LANGUAGE)

    @validates_schema
    def exactly_one(self, data, **kwargs):
        if len(data) != 1:
            raise ValidationError("Name either a household or a language.")


class AudienceField(fields.Field):
    """`"all"`, `{"household": ...}` or `{"language": ...}`."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "all":
            return "all"
        if isinstance(value, dict):
            return AudienceSchema().load(value)
        raise ValidationError('Use "all", {"household": ...} or {"language": ...}.')

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class NoticeRequestSchema(StrictSchema):
    title = text(200, required=True, min_length=1)
    body = text(5000, required=True, min_length=1)
    language = fields.String(validate=validate.OneOf(PAGE_LANGUAGES), load_default="de",
                             metadata={"description": "The language the organiser wrote in."})
    audience = AudienceField(required=True, metadata={"oneOf": [
        {"type": "string", "enum": ["all"]},
        {"type": "object", "properties": {"household": {"type": "string", "minLength": 1, "maxLength": 80}},
         "required": ["household"], "additionalProperties": False},
        {"type": "object", "properties": {"language": {"type": "string", "pattern": AUDIENCE_LANGUAGE.regex.pattern}},
         "required": ["language"], "additionalProperties": False}]})
    translations = fields.Dict(keys=fields.String(validate=validate.OneOf(PAGE_LANGUAGES)),
                               values=fields.Nested(TranslationSchema), load_default=dict)
    urgent = Flag(load_default=False)


class NoticeSchema(StrictSchema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    language = fields.String()
    urgent = fields.Boolean()
    published_at = timestamp()
    recipients = fields.Integer()
    read_at = timestamp(allow_none=True)


class NoticeListSchema(StrictSchema):
    items = fields.List(fields.Nested(NoticeSchema), required=True)
    next = fields.String(allow_none=True, required=True)


class UnreadSchema(StrictSchema):
    member_id = fields.String(required=True)
    display_name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    household = fields.String(allow_none=True)
    text_failed = fields.String(allow_none=True, metadata={
        "description": "Why the text message of an urgent notice could not be sent (call them)."})


class ReceiptsSchema(StrictSchema):
    notice_id = fields.String()
    delivered = fields.Integer(required=True)
    read = fields.Integer(required=True)
    unread = fields.List(fields.Nested(UnreadSchema), required=True)


class BoardQuerySchema(StrictSchema):
    week = fields.String(validate=Pattern(r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$",
                                                   error="Use a week like 2026-W52."), load_default=None)


class ActedBySchema(StrictSchema):
    member_id = fields.String(allow_none=True, required=True)
    display_name = fields.String(required=True)


class ActivitySchema(StrictSchema):
    """One thing a trusted person did for me (or an organiser recorded for me)."""

    at = timestamp(required=True)
    action = fields.String(required=True, metadata={"description": "The event it caused, e.g. booking.confirmed."})
    acted_by = fields.Nested(ActedBySchema, required=True)
    subject = fields.String(allow_none=True, metadata={"description": "The room or the help request, if any."})
    recorded = fields.Boolean(required=True, metadata={"description": "An organiser recorded an answer I gave by "
                                                                       "phone or on paper."})
    note = fields.String(allow_none=True)

