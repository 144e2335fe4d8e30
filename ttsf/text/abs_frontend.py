"""Text frontend family: raw text -> tokens -> integer ids."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ttsf.registry import Registry


class TextFrontendError(ValueError):
    """Text the frontend cannot turn into tokens; the message quotes the text."""


class AbsTextFrontend(ABC):
    """Turns a sentence into a list of token strings.

    The token list (id -> token) is owned by the frontend instance: ``token_list`` is either
    fixed by the frontend (phoneme symbols) or read from a file written in stage 2.
    """

    @abstractmethod
    def tokenize(self, text: str) -> list[str]:
        """Clean and split ``text``; raise :class:`TextFrontendError` naming the text if it
        yields no tokens."""

    @property
    @abstractmethod
    def token_list(self) -> list[str]:
        """Id -> token; index 0 is the padding/blank token."""

    def text2ids(self, text: str) -> list[int]:
        """Token ids of ``text``; unknown tokens map to ``<unk>`` if the list has one."""
        table = {t: i for i, t in enumerate(self.token_list)}
        unk = table.get("<unk>")
        ids = []
        for tok in self.tokenize(text):
            if tok in table:
                ids.append(table[tok])
            elif unk is not None:
                ids.append(unk)
            else:
                raise TextFrontendError(f"token {tok!r} of text {text!r} is not in the token list")
        return ids


text_frontend_registry = Registry("text_frontend", AbsTextFrontend, default="espeak_phn")
