"""The LRS2/LRS3 transcript file (``<utt>.txt`` beside ``<utt>.mp4``): parse and write.

The real format (LRS3 ``trainval``/``test``/``pretrain``, LRS2 ``pretrain``; LRS2 ``main`` stops
after the ``Conf:`` line)::

    Text:  THAT'S WHAT I WANTED TO SAY
    Conf:  4.0

    WORD START END ASDSCORE
    THAT'S 0.11 0.35 2.3
    WHAT 0.35 0.52 4.1
    ...

Two spaces follow ``Text:`` in the release; we accept any spacing, and collapse runs of spaces in
the sentence. Words keep their apostrophes and the corpus' upper case (the text frontend cleans).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ttsf.utils.fileio import atomic_open

__all__ = ["TranscriptError", "Word", "Transcript", "parse_transcript", "write_transcript"]


class TranscriptError(ValueError):
    """A transcript file not in the LRS format; the message names the file and line."""


@dataclass(frozen=True)
class Word:
    word: str
    start: float  # seconds from the clip's start
    end: float
    score: float | None = None  # LRS3's ASD (active speaker detection) score


@dataclass(frozen=True)
class Transcript:
    text: str
    conf: float | None = None
    words: list[Word] = field(default_factory=list)


def parse_transcript(path: str | os.PathLike) -> Transcript:
    """Read one ``<utt>.txt``; raise :class:`TranscriptError` naming file and line if malformed."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise TranscriptError(f"{path}: cannot read transcript ({e})") from e
    if not lines or not lines[0].lstrip().startswith("Text:"):
        raise TranscriptError(f"{path}:1: expected a first line 'Text:  <SENTENCE>'")
    text = " ".join(lines[0].split(":", 1)[1].split())
    if not text:
        raise TranscriptError(f"{path}:1: empty transcription")

    conf = None
    words: list[Word] = []
    in_table = False
    for lineno, line in enumerate(lines[1:], start=2):
        fields = line.split()
        if not fields:
            continue
        if fields[0] == "Conf:" and not in_table:
            conf = _number(fields[1], path, lineno) if len(fields) > 1 else None
        elif fields[0] == "WORD":
            in_table = True
        elif in_table:
            if len(fields) not in (3, 4):
                raise TranscriptError(
                    f"{path}:{lineno}: expected 'WORD START END [ASDSCORE]', got {line.strip()!r}"
                )
            start, end = (_number(f, path, lineno) for f in fields[1:3])
            if end < start:
                raise TranscriptError(f"{path}:{lineno}: word ends ({end}) before it starts")
            score = _number(fields[3], path, lineno) if len(fields) == 4 else None
            words.append(Word(fields[0], start, end, score))
        else:
            raise TranscriptError(f"{path}:{lineno}: unexpected line {line.strip()!r}")
    return Transcript(text=text, conf=conf, words=words)


def _number(token: str, path: Path, lineno: int) -> float:
    try:
        return float(token)
    except ValueError:
        raise TranscriptError(f"{path}:{lineno}: {token!r} is not a number") from None


def write_transcript(path: str | os.PathLike, transcript: Transcript) -> None:
    """Write ``transcript`` in the LRS3 format (atomically), word table included if any."""
    conf = 0.0 if transcript.conf is None else transcript.conf
    lines = [f"Text:  {transcript.text}", f"Conf:  {conf:.1f}"]
    if transcript.words:
        lines += ["", "WORD START END ASDSCORE"]
        for w in transcript.words:
            score = 0.0 if w.score is None else w.score
            lines.append(f"{w.word} {w.start:.2f} {w.end:.2f} {score:.1f}")
    with atomic_open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
