"""Stage 1: a corpus in its released layout -> a validated Kaldi-style data dir.

Writes ``<out>/{wav.scp,video.scp,text,utt2spk,spk2utt,utt2dur}`` atomically (the directory
appears only once complete and valid). Durations come from the mp4 headers (no decoding). A
video whose header cannot be read is left out and listed in ``<out>/skipped`` (``utt reason``);
videos that open but fail to decode are caught in stage 2.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ttsf.data.corpora import SCANNERS, CorpusError, Utterance
from ttsf.data.datadir import write_data_dir
from ttsf.utils.fileio import atomic_open

__all__ = ["prepare_data", "DEFAULT_SUBSETS"]

log = logging.getLogger(__name__)

DEFAULT_SUBSETS = {"lrs3": ["trainval"], "lrs2": ["train"], "voxceleb2": ["test"]}


def _duration(path: Path) -> tuple[float | None, str]:
    from ttsf.video.io import VideoIOError, probe

    try:
        info = probe(path)
    except VideoIOError as e:
        return None, str(e)
    if info.duration <= 0:
        return None, f"{path}: zero-length video"
    return info.duration, ""


def prepare_data(
    corpus: str,
    root: str | os.PathLike,
    out: str | os.PathLike,
    subsets: list[str] | None = None,
    transcripts: str | os.PathLike | None = None,
    seed: int = 0,
    max_utts: int | None = None,
    nj: int = 1,
    dev_out: str | os.PathLike | None = None,
    n_dev: int = 0,
) -> int:
    """Scan ``root`` and write the data dir ``out``; return the number of utterances kept.

    Args:
        corpus: ``lrs3`` | ``lrs2`` | ``voxceleb2``.
        subsets: e.g. ``["pretrain", "trainval"]`` (LRS3), ``["train"]`` (LRS2 list names),
            ``["test"]`` (VoxCeleb2); default :data:`DEFAULT_SUBSETS`.
        transcripts: VoxCeleb2 only: an LRS3 root or a prepared LRS3 test ``text`` file.
        seed, max_utts: VoxCeleb2 only: the seeded pairing and subset size.
        dev_out, n_dev: move ``n_dev`` seeded random utterances to a second data dir
            (LRS3 has no official dev set; the recipes take one out of trainval).
    """
    if corpus not in SCANNERS:
        raise CorpusError(f"unknown corpus {corpus!r}; choose from {sorted(SCANNERS)}")
    subsets = subsets or DEFAULT_SUBSETS[corpus]
    if corpus == "voxceleb2":
        utts = SCANNERS[corpus](root, subsets, transcripts, seed=seed, max_utts=max_utts)
    else:
        utts = SCANNERS[corpus](root, subsets)
    if not utts:
        raise CorpusError(f"{root}: no utterances found in subsets {subsets}")
    seen: dict[str, Utterance] = {}
    for u in utts:
        if u.utt_id in seen:
            other = seen[u.utt_id].video
            raise CorpusError(f"utterance id {u.utt_id!r} of both {u.video} and {other}")
        seen[u.utt_id] = u

    videos = [u.video for u in utts]
    if nj <= 1:
        durations = [_duration(v) for v in videos]
    else:  # spawn: forking a parent that already runs torch/OpenMP threads can deadlock
        with ProcessPoolExecutor(nj, mp_context=multiprocessing.get_context("spawn")) as pool:
            durations = list(pool.map(_duration, videos, chunksize=64))

    tables: dict[str, dict[str, object]] = {
        k: {} for k in ("wav.scp", "video.scp", "text", "utt2spk", "utt2dur")
    }
    skipped = []
    for u, (dur, why) in zip(utts, durations, strict=True):
        if dur is None:
            skipped.append(f"{u.utt_id} {why}")
            continue
        tables["wav.scp"][u.utt_id] = u.audio.resolve()
        tables["video.scp"][u.utt_id] = u.video.resolve()
        tables["text"][u.utt_id] = u.text
        tables["utt2spk"][u.utt_id] = u.speaker
        tables["utt2dur"][u.utt_id] = f"{dur:.3f}"
    if not tables["utt2spk"]:
        raise CorpusError(f"{root}: every video was unreadable; see the reasons: {skipped[:3]}")
    if dev_out is not None and n_dev > 0:
        utt_ids = sorted(tables["utt2spk"])
        if n_dev >= len(utt_ids):
            raise CorpusError(f"--n_dev {n_dev} leaves no training utterance of {len(utt_ids)}")
        dev = set(random.Random(seed).sample(utt_ids, n_dev))
        write_data_dir(
            dev_out, {k: {u: v for u, v in t.items() if u in dev} for k, t in tables.items()}
        )
        tables = {k: {u: v for u, v in t.items() if u not in dev} for k, t in tables.items()}
    write_data_dir(out, tables)
    if skipped:
        with atomic_open(Path(out) / "skipped", "w") as f:
            f.write("\n".join(skipped) + "\n")
        log.warning("%d unreadable videos left out, listed in %s/skipped", len(skipped), out)
    n = len(tables["utt2spk"])
    n_spk = len(set(tables["utt2spk"].values()))
    log.info("%s: %d utterances, %d speakers -> %s", corpus, n, n_spk, out)
    return n
