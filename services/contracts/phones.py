"""Phone numbers on the wire: written as people write them ("040 31 41 59", "+90 532 123 45 67"), checked to be a
plausible number (the `phonenumbers` library's numbering plans: a German number without a country code, or any
international one), and turned into E.164 ("+494031 4159") where a machine needs it (text messages)."""
import phonenumbers
from marshmallow import ValidationError

from services.contracts.vocabulary import Pattern

HOME_REGION = "DE"  # a number without a country code is German


def parsed(text: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, HOME_REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


class PhoneNumber(Pattern):
    """A marshmallow validator: the characters of a phone number (the pattern the OpenAPI document shows), and a
    number that can exist."""

    def __init__(self):
        super().__init__(r"^\+?[0-9][0-9 ()/.-]{2,29}$", error="Use digits, spaces and + ( ) / - only.")

    def __call__(self, value: str) -> str:
        super().__call__(value)
        if parsed(value) is None:
            raise ValidationError("This is not a phone number that can be called. Write a German number with its "
                                  "area code (040 …, 0171 …) or an international one with + and the country code.")
        return value


PHONE = PhoneNumber()


def e164(text: str) -> str:
    """The number for a machine: "+4940314159". Raises ValueError for a number that cannot be called."""
    number = parsed(text)
    if number is None:
        raise ValueError("not a callable phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
