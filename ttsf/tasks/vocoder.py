"""``vocoder`` task: train a registered neural vocoder on the corpus's audio (recipe stage 3).

HiFi-GAN's recipe (Kong et al. 2020): random segments of ``segment_frames`` mel frames and the
waveform under them; the generator minimises L1 mel + feature matching + least-squares
adversarial losses against ESPnet's multi-scale multi-period discriminators
(:class:`ttsf.vocoder.gan_losses.HiFiGANLosses`), which are trained as the second optimiser.
The vocoder learns from the raw log-mel of ``feats.scp`` (what the TTS's ``mel_denorm`` gives).

Config keys: ``vocoder`` (hifigan | hifigan_v2 | a plugin) + ``vocoder_conf`` (without a
checkpoint), ``segment_frames`` (32), ``gan_loss_conf`` (lambda_mel/fm/adv), ``d_optim_conf``.
Exported as ``<exp>/generator.pth``, the ``vocoder_conf.checkpoint`` decoding loads; the joint
config must name the same ``vocoder`` and sizes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
from torch import nn
from torch.utils.data import Dataset

from ttsf.audio.io import load_wav
from ttsf.config import build
from ttsf.data.datadir import read_table
from ttsf.tasks.abs_task import AbsTask, UtteranceDataset, task_registry
from ttsf.vocoder.gan_losses import HiFiGANLosses


class VocoderGAN(nn.Module):
    """The vocoder and its discriminators; ``optim_idx`` 0 trains the vocoder, 1 the critics."""

    def __init__(self, vocoder: nn.Module, losses: HiFiGANLosses) -> None:
        super().__init__()
        self.vocoder, self.losses = vocoder, losses
        self._fake: torch.Tensor | None = None

    def forward(self, wav: torch.Tensor, mel: torch.Tensor, optim_idx: int = 0) -> dict:
        """wav (B, segment_frames * hop), mel (B, n_mels, segment_frames) raw log-mel."""
        if optim_idx == 1:
            if self._fake is None:
                raise RuntimeError("the discriminator step needs a generator step on its batch")
            loss, stats = self.losses.discriminator_loss(wav, self._fake)
            self._fake = None
        else:
            fake = self.vocoder(mel)
            loss, stats = self.losses.generator_loss(wav, fake)
            self._fake = fake.detach()
        return {"loss": loss, "stats": stats, "weight": wav.shape[0]}


class SegmentDataset(UtteranceDataset):
    """A random aligned (waveform, mel) segment per utterance and epoch."""

    def __init__(self, data_dir: str, segment_frames: int, hop: int, seed: int) -> None:
        import kaldiio

        d = Path(data_dir)
        self.feats = kaldiio.load_scp(str(d / "feats.scp"))
        self.wavs = read_table(d / "wav.scp")
        n_mel = read_table(d / "utt2num_frames")
        self.utts = sorted(u for u in self.wavs if u in n_mel and int(n_mel[u]) >= segment_frames)
        if not self.utts:
            raise ValueError(f"{d}: no utterance is {segment_frames} mel frames long")
        self.lengths = [int(n_mel[u]) for u in self.utts]
        self.segment, self.hop, self.seed = segment_frames, hop, seed

    def __getitem__(self, i: int) -> dict:
        utt = self.utts[i]
        mel = self.feats[utt]  # (T_mel, n_mels); frame k covers samples [k * hop, (k+1) * hop)
        wav = load_wav(self.wavs[utt])
        n = min(len(mel), len(wav) // self.hop)
        start = int(self.rng(i).integers(0, n - self.segment + 1))
        seg = wav[start * self.hop : (start + self.segment) * self.hop]
        return {
            "wav": torch.from_numpy(seg.astype("float32")),
            "mel": torch.from_numpy(mel[start : start + self.segment].T.astype("float32")),
        }


def collate_segments(batch: list[dict]) -> dict[str, torch.Tensor]:
    """Equal-length items of :class:`SegmentDataset` -> {"wav": (B, T), "mel": (B, n_mels, F)}."""
    return {k: torch.stack([b[k] for b in batch]) for k in ("wav", "mel")}


@task_registry.register("vocoder")
class VocoderTask(AbsTask):
    families = ("vocoder",)
    other_keys = ("segment_frames", "gan_loss_conf", "d_optim_conf")

    def build_model(self, cfg: dict, data_dir: str | None) -> nn.Module:
        if (cfg.get("vocoder_conf") or {}).get("checkpoint"):
            raise ValueError("the vocoder task trains from scratch: drop vocoder_conf.checkpoint")
        vocoder = build(cfg, "vocoder")
        if not any(p.requires_grad for p in vocoder.parameters()):
            raise ValueError(f"vocoder '{cfg.get('vocoder')}' has nothing to train")
        return VocoderGAN(vocoder, HiFiGANLosses(**(cfg.get("gan_loss_conf") or {})))

    def build_dataset(self, cfg: dict, data_dir: str, train: bool) -> Dataset:
        from ttsf.audio.mel import HOP_LENGTH

        return SegmentDataset(
            data_dir, cfg.get("segment_frames", 32), HOP_LENGTH, cfg.get("seed", 0)
        )

    def collate_fn(self, cfg: dict) -> Callable[[list[dict]], dict]:
        return collate_segments

    def build_optimizers(self, cfg: dict, model: nn.Module) -> list[torch.optim.Optimizer]:
        conf = cfg.get("optim_conf") or {"lr": 2e-4, "betas": [0.8, 0.99]}  # HiFi-GAN's
        return [
            torch.optim.AdamW(model.vocoder.parameters(), **conf),
            torch.optim.AdamW(
                model.losses.discriminator.parameters(), **(cfg.get("d_optim_conf") or conf)
            ),
        ]

    def export(self, model: nn.Module, exp_dir: Path) -> None:
        """``generator.pth``: the state dict the vocoder's ``checkpoint`` option loads."""
        from ttsf.utils.fileio import atomic_torch_save

        atomic_torch_save(model.vocoder.generator.state_dict(), exp_dir / "generator.pth")
