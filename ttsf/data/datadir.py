"""Kaldi/ESPnet-style data directory: one ``key value`` table per file, sorted by key.

Files (``key`` is the utterance id unless said otherwise)::

    wav.scp       utt  <audio path: .wav/.flac, or an .mp4 whose audio track is the speech>
    video.scp     utt  <video path (.mp4)>
    text          utt  <transcription>
    utt2spk       utt  <speaker id>
    spk2utt       spk  <utt> <utt> ...
    utt2dur       utt  <seconds>

Keys are sorted in byte order (``LC_ALL=C sort``), as Kaldi's tools expect; utterance ids start
with their speaker id, so sorting by utterance also groups speakers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ttsf.utils.fileio import atomic_dir, atomic_open

__all__ = [
    "DataDirError",
    "REQUIRED",
    "read_table",
    "write_table",
    "write_data_dir",
    "validate_data_dir",
]

#: Files every data dir must have; others (video.scp, utt2dur, ...) are checked when present.
REQUIRED = ("wav.scp", "text", "utt2spk", "spk2utt")
#: Per-utterance files checked for the same key set as ``utt2spk``.
PER_UTT = ("wav.scp", "video.scp", "text", "utt2spk", "utt2dur", "utt2num_frames",
           "utt2num_video_frames", "feats.scp", "frames.scp", "token_int")  # fmt: skip


class DataDirError(ValueError):
    """A data dir that breaks the format; the message names the file and line."""


def read_table(path: str | os.PathLike, allow_empty_value: bool = False) -> dict[str, str]:
    """Read ``key value`` lines (value = rest of line) and check them.

    Raises :class:`DataDirError` on a duplicated key, keys out of byte order, or (unless
    ``allow_empty_value``) a key with no value.
    """
    path = Path(path)
    if not path.is_file():
        raise DataDirError(f"{path}: missing file")
    table: dict[str, str] = {}
    prev = None
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line.strip():
                raise DataDirError(f"{path}:{lineno}: empty line")
            key, _, value = line.partition(" ")
            value = value.strip()
            if not value and not allow_empty_value:
                raise DataDirError(f"{path}:{lineno}: key {key!r} has an empty value")
            if key in table:
                raise DataDirError(f"{path}:{lineno}: duplicated key {key!r}")
            if prev is not None and key.encode() < prev.encode():
                raise DataDirError(
                    f"{path}:{lineno}: not sorted ({key!r} after {prev!r}); "
                    f"sort it with 'LC_ALL=C sort -k1,1'"
                )
            table[key] = value
            prev = key
    return table


def write_table(path: str | os.PathLike, table: Mapping[str, object]) -> None:
    """Write ``table`` sorted by key (byte order), atomically."""
    bad = [k for k in table if not k or any(c.isspace() for c in k)]
    if bad:
        raise DataDirError(f"{path}: keys must be non-empty without spaces, got {bad[:3]}")
    with atomic_open(path, "w", encoding="utf-8") as f:
        for key in sorted(table, key=str.encode):
            f.write(f"{key} {table[key]}\n")


def _spk2utt(utt2spk: Mapping[str, str]) -> dict[str, str]:
    spk2utt: dict[str, list[str]] = {}
    for utt in sorted(utt2spk, key=str.encode):
        spk2utt.setdefault(utt2spk[utt], []).append(utt)
    return {spk: " ".join(utts) for spk, utts in spk2utt.items()}


def write_data_dir(out: str | os.PathLike, tables: Mapping[str, Mapping[str, object]]) -> Path:
    """Write a complete data dir atomically (it appears at ``out`` only once valid).

    ``tables`` maps file name -> {utt: value}; it must hold ``utt2spk`` and the other
    :data:`REQUIRED` per-utterance tables; ``spk2utt`` is derived from ``utt2spk``.
    """
    out = Path(out)
    with atomic_dir(out) as tmp:
        for name, table in tables.items():
            write_table(tmp / name, table)
        write_table(tmp / "spk2utt", _spk2utt(tables["utt2spk"]))
        validate_data_dir(tmp, name=out)
    return out


def validate_data_dir(path: str | os.PathLike, name: str | os.PathLike | None = None) -> int:
    """Check a data dir; return its number of utterances.

    Checks: required files exist; each file is sorted with unique keys and no empty value
    (so no empty transcription); every per-utterance file has exactly ``utt2spk``'s keys;
    ``spk2utt`` is the inverse of ``utt2spk``; durations are positive numbers.
    ``name`` is the path to show in messages (when validating a temporary copy).
    """
    path = Path(path)
    shown = Path(name) if name is not None else path
    for req in REQUIRED:
        if not (path / req).is_file():
            raise DataDirError(f"{shown / req}: missing file (required in a data dir)")
    try:
        utt2spk = read_table(path / "utt2spk")
        keys = set(utt2spk)
        for fname in PER_UTT:
            if fname == "utt2spk" or not (path / fname).is_file():
                continue
            table = read_table(path / fname)
            missing = sorted(keys - set(table))
            extra = sorted(set(table) - keys)
            if missing or extra:
                raise DataDirError(
                    f"{path / fname}: keys differ from utt2spk: "
                    f"missing {missing[:3]}{'...' if len(missing) > 3 else ''}, "
                    f"extra {extra[:3]}{'...' if len(extra) > 3 else ''}"
                )
            if fname.startswith("utt2") and fname != "utt2spk":
                _check_positive(path / fname, table)
        spk2utt = read_table(path / "spk2utt")
        if spk2utt != _spk2utt(utt2spk):
            raise DataDirError(
                f"{path / 'spk2utt'}: does not match utt2spk; regenerate it from utt2spk"
            )
    except DataDirError as e:
        raise DataDirError(str(e).replace(str(path), str(shown), 1)) from None
    return len(utt2spk)


def _check_positive(path: Path, table: Mapping[str, str]) -> None:
    for lineno, (key, value) in enumerate(table.items(), start=1):
        try:
            ok = float(value) > 0
        except ValueError:
            ok = False
        if not ok:
            raise DataDirError(f"{path}:{lineno}: {key!r} needs a positive number, got {value!r}")
