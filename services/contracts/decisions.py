"""Input validation and output shapes of the decisions service ("Deciding together": polls and consent rounds;
the gateway documents its API with them)."""
from marshmallow import ValidationError, fields, validate, validates_schema

from services.contracts.notifications import AudienceField
from services.contracts.schema import Flag, PageQuerySchema, StrictSchema, moment, text, timestamp, whole_number
from services.contracts.vocabulary import PAGE_LANGUAGES

KINDS = ("poll", "consent")
POSITIONS = ("consent", "stand_aside", "objection")
STATUSES = ("open", "closed")
MIN_OPTIONS, MAX_OPTIONS = 2, 12
# The languages a decision may be written and translated in: the pages' languages, Leichte Sprache among them.
TEXT_LANGUAGES = PAGE_LANGUAGES

member_id = text(64, min_length=1)
option_text = text(200, required=True, min_length=1)


class DecisionTranslationSchema(StrictSchema):
    title = text(200, required=True, min_length=1)
    body = text(5000, required=True, min_length=1)
    options = fields.List(option_text, validate=validate.Length(max=MAX_OPTIONS), metadata={
        "description": "The options in this language, in the order of the original's."})


AUDIENCE_DOC = {"oneOf": [
    {"type": "string", "enum": ["all"]},
    {"type": "object", "properties": {"household": {"type": "string", "minLength": 1, "maxLength": 80}},
     "required": ["household"], "additionalProperties": False},
    {"type": "object", "properties": {"language": {"type": "string", "pattern": r"^[a-z]{2,3}$"}},
     "required": ["language"], "additionalProperties": False}]}


class DecisionRequestSchema(StrictSchema):
    """A poll (2–12 options, one or several choices) or a consent round, open until `closes_at`, for an audience
    like a notice's, with translations side by side."""

    title = text(200, required=True, min_length=1)
    body = text(5000, required=True, min_length=1)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    options = fields.List(option_text, validate=validate.Length(min=MIN_OPTIONS, max=MAX_OPTIONS), metadata={
        "description": "A poll's options (2 to 12); a consent round has none."})
    multiple = Flag(load_default=False, metadata={"description": "A poll where several options may be chosen."})
    max_choices = whole_number(validate=validate.Range(min=1, max=MAX_OPTIONS), metadata={
        "description": "With `multiple`: at most this many options (default: all)."})
    secret = Flag(load_default=False, metadata={
        "description": "Nobody can tell who chose what; a cast vote is then final."})
    closes_at = moment(required=True, metadata={"description": "With an offset; the timer closes it then."})
    language = fields.String(validate=validate.OneOf(TEXT_LANGUAGES), load_default="de",
                             metadata={"description": "The language the organiser wrote in."})
    audience = AudienceField(load_default="all", metadata=AUDIENCE_DOC)
    translations = fields.Dict(keys=fields.String(validate=validate.OneOf(TEXT_LANGUAGES)),
                               values=fields.Nested(DecisionTranslationSchema), load_default=dict)

    @validates_schema
    def fits_its_kind(self, data, **kwargs):
        kind, options = data.get("kind"), data.get("options")
        if kind == "poll" and not options:
            raise ValidationError("A poll needs 2 to 12 options.", field_name="options")
        if kind == "consent" and options:
            raise ValidationError("A consent round has no options: everyone consents, stands aside or objects.",
                                  field_name="options")
        if kind == "consent" and (data.get("multiple") or "max_choices" in data):
            raise ValidationError("Only a poll has several choices.", field_name="multiple")
        if "max_choices" in data and not data.get("multiple"):
            raise ValidationError("Say `multiple: true` to allow more than one choice.", field_name="max_choices")
        if options and data.get("max_choices", 0) > len(options):
            raise ValidationError("At most as many choices as there are options.", field_name="max_choices")
        for language, version in (data.get("translations") or {}).items():
            given = version.get("options")
            if kind == "poll" and given is not None and len(given) != len(options or []):
                raise ValidationError({language: {"options": ["Translate every option, in the same order."]}},
                                      field_name="translations")
            if kind == "consent" and given:
                raise ValidationError({language: {"options": ["A consent round has no options."]}},
                                      field_name="translations")


class VoteRequestSchema(StrictSchema):
    """A poll's choice (`options`: indexes) or a consent round's `position` (an objection with its reason). An
    organiser records an answer given by phone or on paper with `on_behalf_of` and a `note`."""

    options = fields.List(whole_number(validate=validate.Range(min=0, max=MAX_OPTIONS - 1)),
                          validate=validate.Length(min=1, max=MAX_OPTIONS))
    position = fields.String(validate=validate.OneOf(POSITIONS))
    reason = text(2000)
    on_behalf_of = member_id
    note = text(500)

    @validates_schema
    def one_kind_of_answer(self, data, **kwargs):
        if ("options" in data) == ("position" in data):
            raise ValidationError("Give either `options` (a poll) or `position` (a consent round).",
                                  field_name="_schema")
        if data.get("position") == "objection" and not (data.get("reason") or "").strip():
            raise ValidationError("An objection needs its reason.", field_name="reason")
        if "note" in data and "on_behalf_of" not in data:
            raise ValidationError("A note goes with an answer recorded for someone (`on_behalf_of`).",
                                  field_name="note")


class DecisionListQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))


class MyVoteSchema(StrictSchema):
    cast = fields.Boolean(required=True)
    secret = fields.Boolean(metadata={"description": "A secret vote: what was chosen is not kept with my name."})
    options = fields.List(fields.Integer())
    position = fields.String(validate=validate.OneOf(POSITIONS))
    reason = fields.String(allow_none=True)
    recorded = fields.Boolean(metadata={"description": "An organiser recorded it (by phone or on paper)."})
    note = fields.String(allow_none=True)


class ObjectionSchema(StrictSchema):
    display_name = fields.String(allow_none=True, metadata={"description": "None in a secret round."})
    reason = fields.String(allow_none=True)


class ResultsSchema(StrictSchema):
    votes = fields.Integer(required=True)
    by_option = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "A poll: option index → number of votes."})
    consent = fields.Integer()
    stand_aside = fields.Integer()
    objection = fields.Integer()
    objections = fields.List(fields.Nested(ObjectionSchema))
    recorded = fields.Integer(metadata={"description": "Answers organisers recorded (phone, paper)."})
    assisted = fields.Integer(metadata={"description": "In a secret vote: answers recorded by organisers."})


class DecisionSchema(StrictSchema):
    id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    title = fields.String(required=True)
    body = fields.String(required=True)
    options = fields.List(fields.String(), required=True)
    language = fields.String(metadata={"description": "The language of the text shown."})
    direction = fields.String(metadata={"description": "ltr or rtl"})
    original_language = fields.String()
    translations = fields.Dict(keys=fields.String(), values=fields.Nested(DecisionTranslationSchema), metadata={
        "description": "Organisers: every language version."})
    multiple = fields.Boolean()
    max_choices = fields.Integer(allow_none=True)
    secret = fields.Boolean()
    audience = AudienceField(metadata=AUDIENCE_DOC)
    opened_at = timestamp()
    closes_at = timestamp(required=True)
    closed_at = timestamp(allow_none=True)
    author_id = fields.String(allow_none=True)
    in_audience = fields.Boolean(metadata={"description": "Whether I may vote."})
    audience_size = fields.Integer()
    voted = fields.Integer(metadata={"description": "How many in the audience have voted."})
    my_vote = fields.Nested(MyVoteSchema, allow_none=True)
    results = fields.Nested(ResultsSchema, allow_none=True, metadata={
        "description": "Once closed, and while open when the vote is not secret."})
    passed = fields.Boolean(allow_none=True, metadata={"description": "A consent round once closed."})


class DecisionListSchema(StrictSchema):
    items = fields.List(fields.Nested(DecisionSchema), required=True)
    next = fields.String(allow_none=True, required=True)


class NotVotedSchema(StrictSchema):
    member_id = fields.String(required=True)
    display_name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    household = fields.String(allow_none=True)
    preferred_language = fields.String(allow_none=True)
