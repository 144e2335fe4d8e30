"""``char``: cleaned English text as characters (no pronunciation dictionary needed)."""

from __future__ import annotations

from ttsf.text.abs_frontend import AbsTextFrontend, text_frontend_registry
from ttsf.text.cleaners import english_cleaner
from ttsf.text.token_list import BLANK, UNK, read_token_list

__all__ = ["CharFrontend", "CHAR_SYMBOLS"]

#: padding, unknown, then what :func:`english_cleaner` can leave: ASCII lower case,
#: digits never (they are spelt out), punctuation and the space.
CHAR_SYMBOLS: list[str] = [BLANK, UNK, *" ;:,.!?-'\"()", *"abcdefghijklmnopqrstuvwxyz"]


@text_frontend_registry.register("char")
class CharFrontend(AbsTextFrontend):
    """Characters of the cleaned text.

    Args:
        token_list: a token list file to use instead of :data:`CHAR_SYMBOLS`.
    """

    def __init__(self, token_list: str | None = None) -> None:
        self._tokens = read_token_list(token_list) if token_list else list(CHAR_SYMBOLS)

    @property
    def token_list(self) -> list[str]:
        return self._tokens

    def tokenize(self, text: str) -> list[str]:
        return list(english_cleaner(text))
