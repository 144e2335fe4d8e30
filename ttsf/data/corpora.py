"""Find the utterances of LRS3, LRS2 and VoxCeleb2 in their released layouts.

* LRS3: ``<root>/{pretrain,trainval,test}/<speaker>/<utt>.{mp4,txt}``; the speech is the mp4's
  audio track. Utterance id ``<speaker>_<subset>_<utt>``: ``pretrain`` and ``trainval`` reuse the
  same YouTube ids and clip numbers for different clips, so the subset is part of the id.
* LRS2: ``<root>/{main,pretrain}/<video>/<utt>.{mp4,txt}`` and the lists ``<root>/{train,val,
  test,pretrain}.txt`` (one ``<video>/<utt>`` per line, maybe followed by a flag); ``pretrain``
  lists point into ``pretrain/``, the others into ``main/``. The speaker is the BBC programme
  video id (LRS2 has no speaker labels).
* VoxCeleb2: ``<root>/{dev,test}[/mp4]/<idNNNNN>/<youtube>/<clip>.mp4``, no transcripts. As in
  the paper's cross-dataset test, each clip (its first frame is the portrait) is paired with a
  random LRS3 test transcription, drawn with a seeded generator. Its own audio stays in
  ``wav.scp``: the real voice of that person, a reference for speaker similarity.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

from ttsf.data.datadir import read_table
from ttsf.data.transcript import parse_transcript

__all__ = ["CorpusError", "Utterance", "scan_lrs3", "scan_lrs2", "scan_voxceleb2", "SCANNERS"]


class CorpusError(ValueError):
    """A corpus directory not in the expected layout; the message says what was expected."""


@dataclass(frozen=True)
class Utterance:
    utt_id: str
    speaker: str
    video: Path
    audio: Path  # a .wav, or the .mp4 itself when the speech is its audio track
    text: str


def _subset_dir(root: Path, subset: str, corpus: str) -> Path:
    d = root / subset
    if not d.is_dir():
        found = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
        raise CorpusError(
            f"{d}: no such {corpus} subset directory (found: {found or 'nothing'} in {root}); "
            f"check --root and --subsets"
        )
    return d


def _lrs_utt(mp4: Path, utt_id: str, speaker: str) -> Utterance:
    txt = mp4.with_suffix(".txt")
    if not txt.is_file():
        raise CorpusError(f"{txt}: transcript missing for {mp4}")
    return Utterance(utt_id, speaker, mp4, mp4, parse_transcript(txt).text)


def scan_lrs3(root: str | os.PathLike, subsets: list[str]) -> list[Utterance]:
    """Every ``<subset>/<speaker>/<utt>.mp4`` with its transcript."""
    root = Path(root)
    utts = []
    for subset in subsets:
        d = _subset_dir(root, subset, "LRS3")
        for mp4 in sorted(d.glob("*/*.mp4")):
            spk = mp4.parent.name
            utts.append(_lrs_utt(mp4, f"{spk}_{subset}_{mp4.stem}", spk))
    return utts


_LRS2_LIST_DIR = {"train": "main", "val": "main", "test": "main", "pretrain": "pretrain"}


def scan_lrs2(root: str | os.PathLike, subsets: list[str]) -> list[Utterance]:
    """The utterances named by LRS2's list files ``<root>/<subset>.txt``."""
    root = Path(root)
    utts = []
    for subset in subsets:
        if subset not in _LRS2_LIST_DIR:
            raise CorpusError(f"unknown LRS2 subset {subset!r}; choose from {list(_LRS2_LIST_DIR)}")
        listing = root / f"{subset}.txt"
        if not listing.is_file():
            raise CorpusError(f"{listing}: LRS2 list file missing (it ships with the corpus)")
        base = _subset_dir(root, _LRS2_LIST_DIR[subset], "LRS2")
        for lineno, line in enumerate(listing.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            rel = line.split()[0]
            if rel.count("/") != 1:
                raise CorpusError(f"{listing}:{lineno}: expected '<video>/<utt>', got {rel!r}")
            mp4 = base / f"{rel}.mp4"
            if not mp4.is_file():
                raise CorpusError(f"{listing}:{lineno}: {mp4} does not exist")
            vid, utt = rel.split("/")
            utts.append(_lrs_utt(mp4, f"{vid}_{subset}_{utt}", vid))
    return utts


def _lrs3_test_texts(source: Path) -> list[str]:
    """Transcriptions from an LRS3 root (its ``test/``) or a prepared Kaldi ``text`` file."""
    if source.is_dir():
        return [u.text for u in scan_lrs3(source, ["test"])]
    if source.is_file():
        return list(read_table(source).values())
    raise CorpusError(f"{source}: give an LRS3 root or a data dir's 'text' file for --transcripts")


def scan_voxceleb2(
    root: str | os.PathLike,
    subsets: list[str],
    transcripts: str | os.PathLike | None,
    seed: int = 0,
    max_utts: int | None = None,
) -> list[Utterance]:
    """VoxCeleb2 clips, each paired with a seeded random LRS3 test transcription.

    ``max_utts`` keeps a seeded random subset of the clips (the test set has ~36k).
    """
    if transcripts is None:
        raise CorpusError("VoxCeleb2 has no transcripts: pass --transcripts <LRS3 root or text>")
    texts = _lrs3_test_texts(Path(transcripts))
    if not texts:
        raise CorpusError(f"{transcripts}: no LRS3 test transcriptions found")
    root = Path(root)
    clips = []
    for subset in subsets:
        d = _subset_dir(root, subset, "VoxCeleb2")
        if (d / "mp4").is_dir():
            d = d / "mp4"
        clips += sorted(d.glob("id*/*/*.mp4"))
    rng = random.Random(seed)
    if max_utts is not None and max_utts < len(clips):
        clips = sorted(rng.sample(clips, max_utts))
    utts = []
    for mp4 in clips:
        spk, yt = mp4.parent.parent.name, mp4.parent.name
        utts.append(Utterance(f"{spk}_{yt}_{mp4.stem}", spk, mp4, mp4, rng.choice(texts)))
    return utts


SCANNERS = {"lrs3": scan_lrs3, "lrs2": scan_lrs2, "voxceleb2": scan_voxceleb2}
