"""Write the mini corpus in LRS3's exact layout, offline and deterministically.

    <out>/pretrain/<speaker>/<utt>.{mp4,txt}
    <out>/trainval/<speaker>/<utt>.{mp4,txt}
    <out>/test/<speaker>/<utt>.{mp4,txt}        (unseen speakers, held-out sentences)
    <out>/heldout_sentences.txt                  more held-out sentences, for evaluation

Each mp4 is 256x256 (see FRAME_SIZE) H.264 at 25 fps with a 16 kHz mono AAC track, like
LRS3's clips; each txt is ``Text:  ...``, ``Conf:``, and the word table. The audio is padded to
a whole number of video frames, so the two streams last the same. Every utterance draws from
its own seeded generator, so the output depends on (seed, n_utts) only, not on the number of
jobs; the same seed gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ttsf.data.mini.portraits import IDENTITY_SPECS, Identity, make_identity
from ttsf.data.mini.render import Animator, head_motion, mouth_openness
from ttsf.data.mini.sentences import generate_sentences
from ttsf.data.mini.speech import Voice, synthesize, word_timings
from ttsf.data.transcript import Transcript, Word, write_transcript
from ttsf.utils.fileio import atomic_dir, atomic_open

__all__ = ["make_mini_corpus", "speaker_id", "utterance_audio"]

log = logging.getLogger(__name__)

SR = 16000
FPS = 25.0
# LRS3's clips are 224x224, but this libx264 build gave different bytes run to run at 224 (an
# uninitialised read; 256 is byte-stable), and the promise here is byte-identical output
FRAME_SIZE = 256
PRETRAIN_SHARE = 0.1  # of the training speakers' utterances, in pretrain/ as LRS3 has one
TEST_SHARE = 0.15
SILENCE = 0.15  # seconds of silence padded before and after the speech


def speaker_id(seed: int, k: int) -> str:
    """An 11-character id in YouTube's alphabet, like LRS3's speaker directories."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    digest = hashlib.sha256(f"ttsf-mini-{seed}-{k}".encode()).digest()
    return "".join(alphabet[b % 64] for b in digest[:11])


def _plan(seed: int, n_utts: int) -> list[tuple[str, int, str, str]]:
    """(subset, identity index, utterance number, sentence) for every utterance."""
    train_ids = [i for i, s in enumerate(IDENTITY_SPECS) if s.split == "trainval"]
    test_ids = [i for i, s in enumerate(IDENTITY_SPECS) if s.split == "test"]
    n_test = max(len(test_ids), round(TEST_SHARE * n_utts)) if n_utts >= 4 else 1
    n_train = n_utts - n_test
    sentences = generate_sentences(n_train, seed)
    test_sentences = generate_sentences(n_test, seed, heldout=True)
    rng = np.random.default_rng(seed)
    plan, counters = [], {}
    for k, text in enumerate(sentences):
        ident = train_ids[k % len(train_ids)]
        subset = "pretrain" if rng.random() < PRETRAIN_SHARE else "trainval"
        counters[ident, subset] = counters.get((ident, subset), 0) + 1
        plan.append((subset, ident, f"{counters[ident, subset]:05d}", text))
    for k, text in enumerate(test_sentences):
        ident = test_ids[k % len(test_ids)]
        counters[ident, "test"] = counters.get((ident, "test"), 0) + 1
        plan.append(("test", ident, f"{counters[ident, 'test']:05d}", text))
    return plan


def utterance_audio(text: str, voice: Voice) -> np.ndarray:
    """An utterance's track as the corpus has it: espeak-ng speech with ``SILENCE`` before and
    after, padded to whole video frames. Returns (n_frames * SR / FPS,) float32."""
    speech = synthesize(text.lower(), voice, SR)
    pad = int(SILENCE * SR)
    hop = int(SR / FPS)
    n_frames = int(np.ceil((len(speech) + 2 * pad) / hop))
    wav = np.zeros(n_frames * hop, np.float32)
    wav[pad : pad + len(speech)] = speech
    return wav


_STATE: dict = {}


def _init(seed: int) -> None:
    from ttsf.video.io import write_video  # noqa: F401  (import PyAV once per worker)

    ids = [make_identity(s, speaker_id(seed, k), FRAME_SIZE) for k, s in enumerate(IDENTITY_SPECS)]
    _STATE["ids"] = ids
    _STATE["animators"] = [Animator(i.image, i.landmarks) for i in ids]
    _STATE["seed"] = seed


def _render(job: tuple[int, str, int, str, str, str]) -> float:
    """Write one utterance's mp4 and txt; return its duration in seconds."""
    from ttsf.video.io import write_video

    index, subset, ident_k, utt, text, root = job
    ident: Identity = _STATE["ids"][ident_k]
    rng = np.random.default_rng([_STATE["seed"], index])
    wav = utterance_audio(text, ident.voice)
    hop = int(SR / FPS)
    n_frames = len(wav) // hop
    opening = mouth_openness(wav, SR, n_frames, FPS)
    poses = head_motion(rng, n_frames, FPS)
    animator = _STATE["animators"][ident_k]
    frames = np.stack([animator.frame(o, p) for o, p in zip(opening, poses, strict=True)])
    folder = Path(root) / subset / ident.speaker
    write_video(folder / f"{utt}.mp4", frames, fps=FPS, audio=wav, sr=SR, preset="fast")
    words = text.split()
    spans = word_timings(words, wav, SR)
    scores = rng.uniform(2.0, 8.0, len(words))  # LRS3's ASD scores: plausible, seeded
    table = [
        Word(w, a, b, round(float(c), 1)) for w, (a, b), c in zip(words, spans, scores, strict=True)
    ]
    write_transcript(folder / f"{utt}.txt", Transcript(text, float(rng.integers(3, 8)), table))
    return n_frames / FPS


def make_mini_corpus(out: str | os.PathLike, seed: int = 0, n_utts: int = 200, nj: int = 1,
                     n_heldout: int = 50) -> dict[str, float]:  # fmt: skip
    """Generate the corpus at ``out`` (atomically: it appears only once complete).

    Returns:
        ``{"utterances", "hours", "seconds_to_generate"}``.
    """
    if n_utts < 1:
        raise ValueError(f"n_utts must be positive, got {n_utts}")
    start = time.time()
    out = Path(out)
    with atomic_dir(out) as tmp:
        plan = _plan(seed, n_utts)
        jobs = [(k, *p[:3], p[3], str(tmp)) for k, p in enumerate(plan)]
        if nj <= 1:
            _init(seed)
            durations = [_render(j) for j in jobs]
        else:
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(nj, ctx, initializer=_init, initargs=(seed,)) as pool:
                durations = list(pool.map(_render, jobs, chunksize=4))
        train = set(generate_sentences(sum(p[0] != "test" for p in plan), seed))
        used = {p[3] for p in plan}
        extra = [s for s in generate_sentences(n_heldout + len(used), seed, heldout=True)
                 if s not in used and s not in train][:n_heldout]  # fmt: skip
        with atomic_open(tmp / "heldout_sentences.txt", "w") as f:
            f.writelines(f"{s}\n" for s in extra)
    summary = {
        "utterances": len(plan),
        "hours": round(sum(durations) / 3600, 4),
        "seconds_to_generate": round(time.time() - start, 1),
    }
    log.info("mini corpus at %s: %s", out, summary)
    return summary
