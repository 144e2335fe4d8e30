"""``syncnet`` task: the lip-sync expert the sync loss needs (TTSF §3.1; trained as Wav2Lip's).

No pretrained "modified SyncNet" of FC-TFG is public, so recipe stage 3 trains one on the
corpus: windows of ``n_frames`` face crops and their mel frames (normalised as the joint model
sees them) are positives; the other windows of the batch and the same clip's audio moved out
of sync are negatives (:func:`ttsf.tfg.syncnet.syncnet_contrastive_loss`).

Config keys (besides the trainer's): ``syncnet_conf`` (:class:`~ttsf.tfg.syncnet.SyncNet`
options), ``token_type``/``feats_stats`` (as the other tasks, for the statistics).
The trained expert is exported as ``<exp>/syncnet.pth`` (conf + weights), the file
``losses.sync.conf.syncnet_path`` of the joint config points to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
from torch import nn
from torch.utils.data import Dataset

from ttsf.audio.mel import MelStats
from ttsf.data.datadir import read_table
from ttsf.pretrained.syncnet import save_syncnet
from ttsf.tasks.abs_task import AbsTask, UtteranceDataset, task_registry
from ttsf.tasks.tts import _paths
from ttsf.tasks.ttsf import frames_to_tensor
from ttsf.tfg.syncnet import SyncNet, syncnet_contrastive_loss
from ttsf.video.io import read_video


class SyncNetExpert(SyncNet):
    """SyncNet whose ``forward`` is its training step (state dict keys are SyncNet's own)."""

    def forward(self, mel, frames, mel_shifted=None) -> dict:  # noqa: D401
        """mel (B, n_mels, mel_window), frames (B, n_frames, 3, H, W) -> loss dict."""
        loss, stats = syncnet_contrastive_loss(self, mel, frames, mel_shifted)
        return {"loss": loss, "stats": {"loss": loss.detach(), **stats}, "weight": mel.shape[0]}


class SyncWindowDataset(UtteranceDataset):
    """One random aligned window per utterance and epoch, plus an off-sync audio window."""

    def __init__(self, data_dir: str, stats: MelStats, net_conf: dict, seed: int) -> None:
        import kaldiio

        d = Path(data_dir)
        self.feats = kaldiio.load_scp(str(d / "feats.scp"))
        self.frames = read_table(d / "frames.scp")
        n_video = read_table(d / "utt2num_video_frames")
        ref = SyncNet(**net_conf)
        self.n_frames, self.mpf, self.face_size = ref.n_frames, ref.mels_per_frame, ref.face_size
        self.utts = sorted(u for u in self.frames if int(n_video.get(u, 0)) >= self.n_frames)
        if not self.utts:
            raise ValueError(f"{d}: no utterance has {self.n_frames} video frames for SyncNet")
        self.lengths = [int(n_video[u]) for u in self.utts]
        self.stats, self.seed = stats, seed

    def __getitem__(self, i: int) -> dict:
        utt = self.utts[i]
        video, _ = read_video(self.frames[utt])
        mel = self.stats.normalize(self.feats[utt])  # (T_mel, n_mels)
        t_v = min(len(video), len(mel) // self.mpf)
        rng = self.rng(i)
        k = self.n_frames
        start = int(rng.integers(0, t_v - k + 1))
        # off-sync negative: a window at least k frames away (Wav2Lip), if the clip allows it
        far = [s for s in range(0, t_v - k + 1) if abs(s - start) >= k]
        shifted = int(rng.choice(far)) if far else None

        def mel_window(s: int) -> torch.Tensor:
            return torch.from_numpy(mel[s * self.mpf : (s + k) * self.mpf].T.astype("float32"))

        item = {
            "frames": frames_to_tensor(video[start : start + k], self.face_size),
            "mel": mel_window(start),
        }
        if shifted is not None:
            item["mel_shifted"] = mel_window(shifted)
        return item


def collate_sync(batch: list[dict]) -> dict:
    out = {k: torch.stack([b[k] for b in batch]) for k in ("frames", "mel")}
    if all("mel_shifted" in b for b in batch):  # hard negatives only when every item has one
        out["mel_shifted"] = torch.stack([b["mel_shifted"] for b in batch])
    return out


@task_registry.register("syncnet")
class SyncNetTask(AbsTask):
    other_keys = ("syncnet_conf", "token_type", "token_list", "feats_stats")

    def build_model(self, cfg: dict, data_dir: str | None) -> nn.Module:
        return SyncNetExpert(**(cfg.get("syncnet_conf") or {}))

    def build_dataset(self, cfg: dict, data_dir: str, train: bool) -> Dataset:
        _, feats_stats = _paths(cfg, data_dir)
        return SyncWindowDataset(
            data_dir, MelStats.load(feats_stats), cfg.get("syncnet_conf") or {}, cfg.get("seed", 0)
        )

    def collate_fn(self, cfg: dict) -> Callable[[list[dict]], dict]:
        return collate_sync

    def export(self, model: nn.Module, exp_dir: Path) -> None:
        """Write ``syncnet.pth`` (conf + the averaged weights) for the sync loss."""
        save_syncnet(model, exp_dir / "syncnet.pth")
