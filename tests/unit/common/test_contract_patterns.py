"""A pattern of the contracts holds for the whole value, as the OpenAPI document's (JSON Schema) does."""
import pytest
from marshmallow import ValidationError

from services.contracts.members import PHONE
from services.contracts.spaces import HHMM, HHMM_OR_MIDNIGHT
from services.contracts.vocabulary import LANGUAGE_CODE


@pytest.mark.parametrize("pattern, good", [(LANGUAGE_CODE, "de"), (PHONE, "+49 40 123456"), (HHMM, "08:00"),
                                           (HHMM_OR_MIDNIGHT, "24:00")])
def test_a_value_with_a_final_newline_is_refused(pattern, good):
    assert pattern(good) == good
    with pytest.raises(ValidationError):
        pattern(good + "\n")
