"""Token list files: one token per line, the line number is the id, line 0 is padding."""

from __future__ import annotations

import os
from typing import Sequence

from ttsf.utils.fileio import atomic_open

__all__ = ["BLANK", "UNK", "read_token_list", "write_token_list"]

BLANK = "<blank>"
UNK = "<unk>"


def write_token_list(path: str | os.PathLike, tokens: Sequence[str]) -> None:
    """Write ``tokens`` (id order, ``tokens[0]`` the padding token), atomically."""
    if len(set(tokens)) != len(tokens):
        raise ValueError(f"token list for {path} has duplicate tokens")
    bad = [t for t in tokens if "\n" in t or t == ""]
    if bad:
        raise ValueError(f"token list for {path}: empty or multi-line tokens {bad!r}")
    with atomic_open(path, encoding="utf-8") as f:
        f.writelines(f"{t}\n" for t in tokens)


def read_token_list(path: str | os.PathLike) -> list[str]:
    """Tokens of a file written by :func:`write_token_list`, in id order."""
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"token list {path} does not exist; stage 2 of the recipe writes it (token_list in "
            "the config points to it)"
        )
    with open(path, encoding="utf-8") as f:
        # Strip only the newline: " " is a real token (the word boundary).
        tokens = [line.rstrip("\n") for line in f]
    if not tokens:
        raise ValueError(f"token list {path} is empty")
    if len(set(tokens)) != len(tokens):
        raise ValueError(f"token list {path} has duplicate tokens")
    return tokens
