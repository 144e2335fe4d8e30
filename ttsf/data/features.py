"""Stage 2: a data dir -> aligned face crops, log-mels, token ids (the training dump).

Dump layout (``<dump>`` is ``--dump_dir``, ``<set>`` the data dir's name)::

    <dump>/<set>/feats.scp             utt <dump>/<set>/data/mel/<utt>.ark:<offset>
                                        kaldiio matrix (T_mel, 80) float32, raw log-mel
                                        (ttsf.audio.mel.compute_logmel)
    <dump>/<set>/frames.scp            utt <dump>/<set>/data/frames/<utt>.mp4
                                        (T_v, 256, 256, 3) face crops, H.264 crf 18, 25 fps
    <dump>/<set>/utt2num_frames        utt T_mel
    <dump>/<set>/utt2num_video_frames  utt T_v      (always T_mel = 4 * T_v: both are trimmed
                                                      to the shorter stream)
    <dump>/<set>/token_int             utt id id ...
    <dump>/<set>/{text,utt2spk,spk2utt,wav.scp,video.scp,utt2dur}   copied for kept utterances
    <dump>/<set>/skipped               utt reason   (corrupt video, no face, duration, text)
    <dump>/token_list/<token_type>/tokens.txt   id -> token (line number = id)
    <dump>/token_list/bpe/bpe.model             sentencepiece model (token_type bpe)
    <dump>/feats_stats.npz                      MelStats of the training set (mean, std, count)

The token list, BPE model and statistics are corpus-level: they are computed from the set
given ``--is_train`` and reused for the others. Per-utterance outputs are written atomically
and reused when present, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ttsf.data.datadir import read_table, validate_data_dir, write_table
from ttsf.utils.fileio import atomic_open, atomic_path

__all__ = ["FaceCropConf", "extract_features"]

log = logging.getLogger(__name__)

VIDEO_FPS = 25.0
CONTAINER_SUFFIXES = (".mp4", ".m4a", ".mkv", ".webm", ".mov", ".avi")


@dataclass(frozen=True)
class FaceCropConf:
    """How stage 2 finds and crops faces (see :mod:`ttsf.data.face_crop`)."""

    detector: str = "mtcnn"
    detector_conf: tuple = ()  # (key, value) pairs, hashable for the worker initialiser
    detect_every: int = 5
    min_score: float = 0.9
    min_face_ratio: float = 0.5
    smooth_window: int = 9
    size: int = 256
    scale: float = 1.8
    crf: int = 18


_WORKER: dict = {}


def _init_worker(conf: FaceCropConf) -> None:
    import torch

    from ttsf.data.abs_face_detector import face_detector_registry
    from ttsf.registry import get_registry

    torch.set_num_threads(1)  # one core per job: --nj sets the parallelism
    get_registry("face_detector")
    _WORKER["conf"] = conf
    _WORKER["detector"] = face_detector_registry.build(conf.detector, dict(conf.detector_conf))


def _mel_frames_per_video_frame() -> int:
    from ttsf.audio.mel import HOP_LENGTH, SAMPLE_RATE

    ratio = SAMPLE_RATE / HOP_LENGTH / VIDEO_FPS
    if ratio != int(ratio):
        raise ValueError(f"mel rate {SAMPLE_RATE / HOP_LENGTH} is not a multiple of {VIDEO_FPS}")
    return int(ratio)


def _load_audio(path: str):
    from ttsf.audio.io import load_wav
    from ttsf.audio.mel import SAMPLE_RATE
    from ttsf.video.io import read_audio

    if Path(path).suffix.lower() in CONTAINER_SUFFIXES:
        return read_audio(path, SAMPLE_RATE)  # trims AAC's end padding to the declared length
    return load_wav(path, SAMPLE_RATE)


def _process(item: tuple[str, str, str, str, str]) -> tuple[str, int, int, str]:
    """One utterance -> (utt, T_mel, T_v, reason); ``reason`` is empty on success."""
    import kaldiio

    from ttsf.audio.io import AudioError
    from ttsf.audio.mel import SAMPLE_RATE, compute_logmel
    from ttsf.data.face_crop import NoFaceError, crop_faces, smooth_boxes, track_face
    from ttsf.video.fps import resample_fps
    from ttsf.video.io import VideoIOError, probe, read_video, write_video

    utt, video, audio, ark, mp4 = item
    conf: FaceCropConf = _WORKER["conf"]
    if os.path.isfile(ark) and os.path.isfile(mp4):  # resume: done in an earlier run
        try:
            return (
                utt,
                len(kaldiio.load_mat(f"{ark}:{len(utt.encode()) + 1}")),
                probe(mp4).num_frames,
                "",
            )
        except Exception:  # unreadable leftovers: redo the utterance
            pass
    try:
        frames, fps = read_video(video)
    except VideoIOError as e:
        return utt, 0, 0, f"corrupt video: {e}"
    frames = resample_fps(frames, fps, VIDEO_FPS)
    try:
        wav = _load_audio(audio)
    except (AudioError, VideoIOError) as e:
        return utt, 0, 0, f"corrupt audio: {e}"
    try:
        boxes = track_face(
            _WORKER["detector"], frames, conf.detect_every, conf.min_score, conf.min_face_ratio
        )
    except NoFaceError as e:
        return utt, 0, 0, f"no face: {e}"
    ratio = _mel_frames_per_video_frame()
    if len(wav) < SAMPLE_RATE // 10:
        return utt, 0, 0, f"audio too short: {len(wav)} samples"
    mel = compute_logmel(wav, SAMPLE_RATE)
    n_v = min(len(frames), len(mel) // ratio)
    if n_v < 1:
        return utt, 0, 0, "shorter than one video frame"
    crops = crop_faces(
        frames[:n_v], smooth_boxes(boxes[:n_v], conf.smooth_window), conf.size, conf.scale
    )
    with atomic_path(ark, suffix=".ark") as tmp:
        kaldiio.save_ark(str(tmp), {utt: np.ascontiguousarray(mel[: n_v * ratio], np.float32)})
    write_video(mp4, crops, fps=VIDEO_FPS, crf=conf.crf)
    return utt, n_v * ratio, n_v, ""


def _tokenize_all(frontend, texts: dict[str, str]) -> tuple[dict[str, list[int]], dict[str, str]]:
    """utt -> ids, and utt -> reason for texts the frontend rejects."""
    from ttsf.text.abs_frontend import TextFrontendError

    table = {t: i for i, t in enumerate(frontend.token_list)}
    ids, bad = {}, {}
    utts = list(texts)
    batched = getattr(frontend, "tokenize_batch", None)
    try:
        tokens = batched([texts[u] for u in utts]) if batched else None
    except TextFrontendError:
        tokens = None  # one bad sentence: fall back to one at a time to find it
    for k, utt in enumerate(utts):
        try:
            toks = tokens[k] if tokens is not None else frontend.tokenize(texts[utt])
            unk = table.get("<unk>")
            missing = [t for t in toks if t not in table]
            if missing and unk is None:
                raise TextFrontendError(f"tokens {missing[:5]} not in the token list")
            ids[utt] = [table.get(t, unk) for t in toks]
            if not ids[utt]:
                raise TextFrontendError("no tokens")
        except TextFrontendError as e:
            bad[utt] = f"text: {e}"
    return ids, bad


def _frontend(token_type: str, token_dir: Path, train_texts: list[str] | None, bpe_vocab: int):
    from ttsf.registry import get_registry
    from ttsf.text.token_list import write_token_list

    registry = get_registry("text_frontend")
    if token_type == "bpe":
        from ttsf.text.bpe import train_bpe

        model = token_dir / "bpe.model"
        if train_texts is not None:
            train_bpe(train_texts, model, vocab_size=bpe_vocab)
        frontend = registry.build("bpe", {"bpemodel": str(model)})
    else:
        tokens = token_dir / "tokens.txt"
        conf = {"token_list": str(tokens)} if train_texts is None and tokens.is_file() else {}
        frontend = registry.build(token_type, conf)
    if train_texts is not None:
        write_token_list(token_dir / "tokens.txt", frontend.token_list)
    elif not (token_dir / "tokens.txt").is_file():
        raise FileNotFoundError(
            f"{token_dir / 'tokens.txt'}: run stage 2 on the training set (--is_train) first"
        )
    return frontend


def extract_features(
    data_dir: str | os.PathLike,
    dump_dir: str | os.PathLike,
    set_name: str | None = None,
    is_train: bool = False,
    token_type: str = "espeak_phn",
    bpe_vocab_size: int = 500,
    crop: FaceCropConf = FaceCropConf(),
    min_dur: float = 0.0,
    max_dur: float = math.inf,
    nj: int = 1,
) -> dict[str, int]:
    """Run stage 2 on one data dir; return counts ``{"kept": n, "skipped": m, <reason>: k}``.

    Args:
        data_dir: a stage-1 data dir (``wav.scp``, ``video.scp``, ``text``, ``utt2spk``,
            ``utt2dur``).
        dump_dir: the dump root; this set goes to ``<dump_dir>/<set_name>``.
        is_train: compute ``feats_stats.npz``, the token list and (bpe) the BPE model from
            this set; other sets reuse them.
        min_dur, max_dur: keep utterances whose ``utt2dur`` lies in ``[min_dur, max_dur]`` s.
        nj: parallel worker processes (one core each).
    """
    from ttsf.audio.mel import MelStats

    data_dir, dump_root = Path(data_dir), Path(dump_dir)
    validate_data_dir(data_dir)
    out = dump_root / (set_name or data_dir.name)
    tables = {n: read_table(data_dir / n) for n in ("wav.scp", "video.scp", "text", "utt2spk")}
    utt2dur = read_table(data_dir / "utt2dur") if (data_dir / "utt2dur").is_file() else {}

    skipped: dict[str, str] = {}
    todo = []
    for utt in tables["utt2spk"]:
        dur = float(utt2dur.get(utt, "nan"))
        if utt2dur and not (min_dur <= dur <= max_dur):
            skipped[utt] = f"duration: {dur:.2f} s outside [{min_dur}, {max_dur}]"
            continue
        todo.append((utt, tables["video.scp"][utt], tables["wav.scp"][utt],
                     str(out / "data" / "mel" / f"{utt}.ark"),
                     str(out / "data" / "frames" / f"{utt}.mp4")))  # fmt: skip

    start = time.time()
    if nj <= 1:
        _init_worker(crop)
        results = [_process(item) for item in todo]
    else:
        # spawn: forking a parent that already runs torch/OpenMP threads can deadlock
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(nj, ctx, initializer=_init_worker, initargs=(crop,)) as pool:
            results = list(pool.map(_process, todo, chunksize=1))
    elapsed = time.time() - start

    kept: dict[str, tuple[int, int]] = {}
    for utt, n_mel, n_v, reason in results:
        if reason:
            skipped[utt] = reason
        else:
            kept[utt] = (n_mel, n_v)

    token_dir = dump_root / "token_list" / token_type
    train_texts = [tables["text"][u] for u in kept] if is_train else None
    frontend = _frontend(token_type, token_dir, train_texts, bpe_vocab_size)
    ids, bad = _tokenize_all(frontend, {u: tables["text"][u] for u in kept})
    for utt, reason in bad.items():
        skipped[utt] = reason
        del kept[utt]
    if not kept:
        raise RuntimeError(f"{data_dir}: every utterance was skipped; reasons in {out}/skipped")

    sub = {n: {u: t[u] for u in kept} for n, t in tables.items()}
    if utt2dur:
        sub["utt2dur"] = {u: utt2dur[u] for u in kept}
    sub["feats.scp"] = {u: f"{out / 'data' / 'mel' / u}.ark:{len(u.encode()) + 1}" for u in kept}
    sub["frames.scp"] = {u: out / "data" / "frames" / f"{u}.mp4" for u in kept}
    sub["utt2num_frames"] = {u: n for u, (n, _) in kept.items()}
    sub["utt2num_video_frames"] = {u: n for u, (_, n) in kept.items()}
    sub["token_int"] = {u: " ".join(map(str, ids[u])) for u in kept}
    for name, table in sub.items():
        write_table(out / name, table)
    spk2utt: dict[str, list[str]] = {}
    for utt in sorted(kept, key=str.encode):
        spk2utt.setdefault(tables["utt2spk"][utt], []).append(utt)
    write_table(out / "spk2utt", {s: " ".join(us) for s, us in spk2utt.items()})
    with atomic_open(out / "skipped", "w") as f:
        f.writelines(f"{u} {r}\n" for u, r in sorted(skipped.items()))
    validate_data_dir(out)

    if is_train:
        import kaldiio

        MelStats.from_frames(kaldiio.load_mat(str(v)) for v in sub["feats.scp"].values()).save(
            dump_root / "feats_stats.npz"
        )

    counts = Counter(r.split(":", 1)[0] for r in skipped.values())
    summary = {"kept": len(kept), "skipped": len(skipped), **counts}
    log.info(
        "%s: kept %d, skipped %d %s (listed in %s); %.2f utt/s with nj=%d",
        out, len(kept), len(skipped), dict(counts), out / "skipped",
        len(todo) / max(elapsed, 1e-9), nj,
    )  # fmt: skip
    summary["seconds"] = round(elapsed, 2)
    return summary
