"""``tts`` task: stage 3, TTS pretraining on a stage-2 dump (TTSF §4: Matcha-TTS on LRS3).

Config keys (besides the trainer's)::

    tts: matcha
    tts_conf: {tts_conditioning: none, tts_conditioning_conf: {keep_channels: true}, ...}
    token_type: espeak_phn      # picks <dump>/token_list/<token_type>/tokens.txt
    token_list: null            # or an explicit tokens.txt path
    feats_stats: null           # default <dump>/feats_stats.npz
    spk_list: null              # tts_conditioning spk_id only: one speaker per line (id = line);
                                # default: the speakers of the training set's spk2utt

``<dump>`` is the parent of the data dir the trainer passes (``dump/<set>``), as written by
:mod:`ttsf.data.features`. Pretraining uses ``none`` with ``keep_channels`` so that the joint
stage can load the weights into a ``face_id`` model (``zero_init``) from identical outputs, or
``spk_id`` (a multi-speaker TTS: the joint stage drops the speaker table and its ``face_id``
projection learns to reach the same embedding space); ``face_id`` and ``xvector`` need
per-utterance vectors the joint task supplies.

Each example: ``text`` (T_text,) ids, ``feats`` (T_mel, 80) normalised log-mel (the stats are
also stored in the model for de-normalising at decoding), optionally ``cond`` (speaker id).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
from torch.utils.data import Dataset

from ttsf.audio.mel import MelStats
from ttsf.data.datadir import read_table
from ttsf.tasks.abs_task import AbsTask, UtteranceDataset, task_registry
from ttsf.text.token_list import read_token_list
from ttsf.tts.abs_tts import tts_registry

__all__ = ["TTSTask", "TTSDataset", "collate_tts"]


def _paths(cfg: dict, data_dir: str | None) -> tuple[Path, Path]:
    root = Path(data_dir).parent if data_dir else Path(".")
    token_list = cfg.get("token_list") or (
        root / "token_list" / cfg.get("token_type", "espeak_phn") / "tokens.txt"
    )
    feats_stats = cfg.get("feats_stats") or root / "feats_stats.npz"
    return Path(token_list), Path(feats_stats)


def _conditioning(cfg: dict) -> str:
    conf = cfg.get("tts_conf") or {}
    name = conf.get("tts_conditioning")
    if name is None:
        import inspect

        cls = tts_registry.get(cfg.get("tts"))
        name = inspect.signature(cls.__init__).parameters["tts_conditioning"].default
    return name


class TTSDataset(UtteranceDataset):
    """Utterances of a dump dir with both ``feats.scp`` and ``token_int``.

    Attributes:
        lengths: mel frames per example (the trainer sorts batches by it).
    """

    def __init__(
        self, data_dir: str, stats: MelStats, spk2id: dict[str, int] | None = None
    ) -> None:
        import kaldiio

        d = Path(data_dir)
        self.feats = kaldiio.load_scp(str(d / "feats.scp"))
        tokens = read_table(d / "token_int")
        frames = read_table(d / "utt2num_frames")
        self.utts = sorted(u for u in tokens if u in self.feats and u in frames)
        if not self.utts:
            raise ValueError(f"{d}: no utterance has both feats.scp and token_int entries")
        self.tokens = {u: [int(i) for i in tokens[u].split()] for u in self.utts}
        self.lengths = [int(frames[u]) for u in self.utts]
        self.stats = stats
        self.spk = None
        if spk2id is not None:
            utt2spk = read_table(d / "utt2spk")
            unknown = sorted({utt2spk[u] for u in self.utts} - set(spk2id))
            if unknown:
                raise ValueError(f"{d}/utt2spk: speakers {unknown[:5]} are not in spk_list")
            self.spk = {u: spk2id[utt2spk[u]] for u in self.utts}

    def __getitem__(self, i: int) -> dict:
        utt = self.utts[i]
        mel = self.stats.normalize(self.feats[utt])  # (T_mel, n_mels)
        item = {
            "utt": utt,
            "text": torch.tensor(self.tokens[utt], dtype=torch.long),
            "feats": torch.from_numpy(mel.astype("float32")),
        }
        if self.spk is not None:
            item["cond"] = torch.tensor(self.spk[utt], dtype=torch.long)
        return item


def collate_tts(batch: list[dict]) -> dict[str, torch.Tensor]:
    """Zero-pad into ``model(text, text_lengths, feats (B, n_mels, T), feats_lengths[, cond])``."""
    text_lengths = torch.tensor([len(b["text"]) for b in batch])
    feats_lengths = torch.tensor([b["feats"].shape[0] for b in batch])
    n_mels = batch[0]["feats"].shape[1]
    text = torch.zeros(len(batch), int(text_lengths.max()), dtype=torch.long)
    feats = torch.zeros(len(batch), n_mels, int(feats_lengths.max()))
    for i, b in enumerate(batch):
        text[i, : len(b["text"])] = b["text"]
        feats[i, :, : b["feats"].shape[0]] = b["feats"].T
    out = {
        "text": text,
        "text_lengths": text_lengths,
        "feats": feats,
        "feats_lengths": feats_lengths,
    }
    if "cond" in batch[0]:
        out["cond"] = torch.stack([b["cond"] for b in batch])
    return out


@task_registry.register("tts")
class TTSTask(AbsTask):
    families = ("tts",)
    other_keys = ("token_type", "token_list", "feats_stats", "spk_list")

    def build_model(self, cfg: dict, data_dir: str | None) -> torch.nn.Module:
        token_list, feats_stats = _paths(cfg, data_dir)
        conf = dict(cfg.get("tts_conf") or {})
        conf.setdefault("feats_stats", str(feats_stats))
        if _conditioning(cfg) == "spk_id":
            cconf = dict(conf.get("tts_conditioning_conf") or {})
            cconf.setdefault("n_spks", len(self._spk2id(cfg)))
            conf["tts_conditioning_conf"] = cconf
        return tts_registry.build(cfg.get("tts"), conf, vocab_size=len(read_token_list(token_list)))

    def resolve_config(self, cfg: dict, data_dir: str) -> dict:
        """With ``spk_id`` and no ``spk_list``: the training set's ``spk2utt`` (absolute)."""
        if _conditioning(cfg) != "spk_id" or cfg.get("spk_list"):
            return cfg
        spk2utt = Path(data_dir) / "spk2utt"
        if not spk2utt.is_file():
            raise FileNotFoundError(
                f"tts_conditioning spk_id: {spk2utt} does not exist; give 'spk_list' (one "
                "speaker per line) or run stage 1 (data prep writes spk2utt)"
            )
        return {**cfg, "spk_list": str(spk2utt.resolve())}

    @staticmethod
    def _spk2id(cfg: dict) -> dict[str, int]:
        """Speaker -> id from ``spk_list``: the first field of each line, so a plain list and
        a Kaldi ``spk2utt`` both work."""
        path = cfg.get("spk_list")
        if not path:
            raise ValueError("tts_conditioning spk_id needs 'spk_list' (one speaker per line)")
        if not Path(path).is_file():
            raise FileNotFoundError(f"spk_list {path} does not exist (one speaker per line)")
        with open(path, encoding="utf-8") as f:
            speakers = [line.split(maxsplit=1)[0] for line in f if line.strip()]
        if not speakers or len(set(speakers)) != len(speakers):
            raise ValueError(f"spk_list {path}: empty or with a repeated speaker")
        return {s: i for i, s in enumerate(speakers)}

    def build_dataset(self, cfg: dict, data_dir: str, train: bool) -> Dataset:
        name = _conditioning(cfg)
        if name in ("face_id", "xvector"):
            raise ValueError(
                f"the tts task cannot pretrain with tts_conditioning '{name}' (it needs "
                "per-utterance vectors); use 'none' with keep_channels: true, or 'spk_id'"
            )
        _, feats_stats = _paths(cfg, data_dir)
        stats = MelStats.load(feats_stats)
        return TTSDataset(data_dir, stats, self._spk2id(cfg) if name == "spk_id" else None)

    def collate_fn(self, cfg: dict) -> Callable[[list[dict]], dict[str, torch.Tensor]]:
        return collate_tts
