"""English cleaner: numbers, currency, abbreviations, symbols, unicode punctuation, scripts."""

import pytest

from ttsf.text.abs_frontend import TextFrontendError
from ttsf.text.cleaners import english_cleaner


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("Mr. Smith paid $3.50.", "mister smith paid three dollars and fifty cents."),
        ("On the 2nd of May, 1995", "on the second of may, nineteen ninety-five"),
        ("1,200 people", "one thousand two hundred people"),
        ("It costs £2", "it costs two pounds"),
        ("100% “sure”…", 'one hundred percent "sure"...'),
        ("Café déjà vu at 3.14 & No. 5", "cafe deja vu at three point one four and number five"),
        ("Dr.  Who\tvs.   Co.", "doctor who versus company"),
        ("in 2005 and 1900", "in two thousand five and nineteen hundred"),
    ],
)
def test_english_cleaner(raw, clean):
    assert english_cleaner(raw) == clean


@pytest.mark.parametrize("bad", ["", "   ", "?!...", "«»"])
def test_nothing_to_pronounce_names_the_text(bad):
    with pytest.raises(TextFrontendError, match="nothing to pronounce") as err:
        english_cleaner(bad)
    assert repr(bad) in str(err.value)


@pytest.mark.parametrize("bad", ["你好", "Привет мир", "hello مرحبا"])
def test_unknown_script_names_the_text(bad):
    with pytest.raises(TextFrontendError, match="script") as err:
        english_cleaner(bad)
    assert repr(bad) in str(err.value)
