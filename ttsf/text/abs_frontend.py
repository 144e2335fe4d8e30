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

    def tokenize_batch(self, texts: list[str]) -> list[list[str]]:
        """Tokens of many sentences; frontends with a per-call cost (espeak) override this
        to process the batch at once."""
        return [self.tokenize(t) for t in texts]

    @property
    @abstractmethod
    def token_list(self) -> list[str]:
        """Id -> token; index 0 is the padding/blank token."""

    def text2ids(self, text: str) -> list[int]:
        """Token ids of ``text``; unknown tokens map to ``<unk>`` if the list has one."""
        return self.tokens2ids(self.tokenize(text), text)

    def text2ids_batch(self, texts: list[str]) -> list[list[int]]:
        """Token ids of many sentences (uses :meth:`tokenize_batch`)."""
        tokens = self.tokenize_batch(texts)
        return [self.tokens2ids(t, x) for t, x in zip(tokens, texts, strict=True)]

    def tokens2ids(self, tokens: list[str], text: str = "") -> list[int]:
        """Ids of ``tokens`` (of ``text``, quoted in errors)."""
        table = self._token_table()
        unk = table.get("<unk>")
        ids = []
        for tok in tokens:
            if tok in table:
                ids.append(table[tok])
            elif unk is not None:
                ids.append(unk)
            else:
                raise TextFrontendError(f"token {tok!r} of text {text!r} is not in the token list")
        return ids

    def _token_table(self) -> dict[str, int]:
        table = getattr(self, "_table_cache", None)
        if table is None or len(table) != len(self.token_list):
            table = {t: i for i, t in enumerate(self.token_list)}
            self._table_cache = table
        return table


text_frontend_registry = Registry("text_frontend", AbsTextFrontend, default="espeak_phn")
