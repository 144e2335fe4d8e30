"""English text normalisation before phonemisation or tokenisation.

The idea is Matcha-TTS's ``english_cleaners2`` (itself from keithito/tacotron): transliterate
to ASCII, lower-case, expand abbreviations, collapse whitespace. We also spell out numbers,
currency, ordinals and symbols with ``inflect`` (as Tacotron's ``english_cleaners`` does) so
that the char and BPE frontends see words too, and we refuse letters of a script an English
frontend cannot pronounce instead of letting ``unidecode`` turn them into a guess.
"""

from __future__ import annotations

import re
import unicodedata

from ttsf.text.abs_frontend import TextFrontendError

__all__ = ["english_cleaner", "normalize_numbers", "check_latin_script"]

# Unicode punctuation with an ASCII meaning, mapped before unidecode (which would drop some).
_PUNCT = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": " - ", "\u2014": " - ", "\u2015": " - ", "\u2212": "-",
    "\u2026": "...", "\u00a0": " ", "\u3000": " ", "\u00bf": "", "\u00a1": "",
}  # fmt: skip
_PUNCT_RE = re.compile("|".join(map(re.escape, _PUNCT)))

_ABBREVIATIONS = [
    (re.compile(rf"\b{abbr}\.", re.IGNORECASE), full)
    for abbr, full in [
        ("mrs", "misess"), ("mr", "mister"), ("dr", "doctor"), ("st", "saint"),
        ("co", "company"), ("jr", "junior"), ("maj", "major"), ("gen", "general"),
        ("drs", "doctors"), ("rev", "reverend"), ("lt", "lieutenant"), ("hon", "honorable"),
        ("sgt", "sergeant"), ("capt", "captain"), ("esq", "esquire"), ("ltd", "limited"),
        ("col", "colonel"), ("ft", "fort"), ("vs", "versus"), ("etc", "et cetera"),
        ("no", "number"),
    ]
]  # fmt: skip
# "no." only when followed by a digit ("No. 5"), otherwise it ends a sentence.
_ABBREVIATIONS[-1] = (re.compile(r"\bno\.(?=\s*\d)", re.IGNORECASE), "number")

_SYMBOLS = [
    ("%", " percent "), ("&", " and "), ("@", " at "), ("+", " plus "), ("=", " equals "),
    ("#", " number "), ("/", " slash "),
    ("$", " dollars "), ("£", " pounds "), ("€", " euros "), ("°", " degrees "),
]  # fmt: skip

_COMMA_NUMBER = re.compile(r"\b\d{1,3}(?:,\d{3})+\b")
_CURRENCY = re.compile(r"([$£€])\s?(\d+)(?:\.(\d{1,2}))?\b")
_DECIMAL = re.compile(r"(\d+)\.(\d+)")
_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d+")
_WHITESPACE = re.compile(r"\s+")
_CURRENCY_NAMES = {"$": ("dollar", "cent"), "£": ("pound", "penny"), "€": ("euro", "cent")}

_inflect = None


def _engine():
    global _inflect
    if _inflect is None:
        import inflect

        _inflect = inflect.engine()
    return _inflect


def _words(n: int, year: bool = True) -> str:
    eng = _engine()
    # Four-digit numbers that look like years are read in pairs ("nineteen ninety-five",
    # "twelve hundred"), as Tacotron's number rule does; 2000-2009 stay "two thousand five".
    if year and 1100 <= n < 2100 and not 2000 <= n < 2010:
        if n % 100 == 0:
            return f"{eng.number_to_words(n // 100)} hundred"
        if n % 100 < 10:
            return f"{eng.number_to_words(n // 100)} oh {eng.number_to_words(n % 100)}"
        return eng.number_to_words(n, andword="", group=2).replace(",", "")
    return eng.number_to_words(n, andword="").replace(",", "")


def _plural(word: str, n: int) -> str:
    if n == 1:
        return word
    return "pence" if word == "penny" else word + "s"


def _currency(m: re.Match) -> str:
    unit, sub = _CURRENCY_NAMES[m.group(1)]
    whole = int(m.group(2))
    cents = int((m.group(3) or "0").ljust(2, "0"))
    parts = []
    if whole or not cents:
        parts.append(f"{_words(whole, year=False)} {_plural(unit, whole)}")
    if cents:
        parts.append(f"{_words(cents)} {_plural(sub, cents)}")
    return " and ".join(parts)


def _decimal(m: re.Match) -> str:
    digits = " ".join(_words(int(d)) for d in m.group(2))
    return f"{_words(int(m.group(1)), year=False)} point {digits}"


def _ordinal(m: re.Match) -> str:
    return _engine().ordinal(_words(int(m.group(1))))


def normalize_numbers(text: str) -> str:
    """``"$3.50 on the 2nd of 1,200 days"`` -> words."""
    text = _COMMA_NUMBER.sub(lambda m: _words(int(m.group(0).replace(",", "")), year=False), text)
    text = _CURRENCY.sub(_currency, text)
    text = _DECIMAL.sub(_decimal, text)
    text = _ORDINAL.sub(_ordinal, text)
    return _NUMBER.sub(lambda m: _words(int(m.group(0))), text)


def check_latin_script(text: str) -> None:
    """Raise :class:`TextFrontendError` if ``text`` has letters of a non-Latin script."""
    for ch in text:
        if ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN"):
            raise TextFrontendError(
                f"text {text!r} contains {ch!r} ({unicodedata.name(ch, 'unnamed character')}), "
                "a script the English frontend cannot read; transliterate it or use another "
                "text_frontend"
            )


def english_cleaner(text: str) -> str:
    """Normalise English text for pronunciation.

    Returns:
        lower-case ASCII text with numbers, abbreviations and symbols spelt out.
    Raises:
        TextFrontendError: non-Latin letters, or nothing pronounceable left.
    """
    from unidecode import unidecode

    check_latin_script(text)
    out = _PUNCT_RE.sub(lambda m: _PUNCT[m.group(0)], text)
    for pattern, full in _ABBREVIATIONS:
        out = pattern.sub(full, out)
    out = normalize_numbers(out)
    for symbol, word in _SYMBOLS:
        out = out.replace(symbol, word)
    out = unidecode(out)  # é -> e, ß -> ss (after the symbols: it turns "£" into "PS")
    out = _WHITESPACE.sub(" ", out.lower()).strip()
    if not any(c.isalnum() for c in out):
        raise TextFrontendError(f"text {text!r} has nothing to pronounce after cleaning")
    return out
