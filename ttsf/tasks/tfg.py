"""``tfg`` task: pretrain the joint model's face half by self-reenactment (optional stage).

It reads the **joint** config (``conf/train_ttsf.yaml``), so what it pretrains fits the joint
model by construction: ``face_generator``, ``motion_extractor`` and ``discriminator`` with their
``_conf``, the frame terms of ``losses``/``loss_weights`` that need no speech (``rec``,
``perceptual``, ``id``, ``adv``, ``canonical``), ``model_conf``'s layers, ``mask_lower_face``
and ``portrait_view*``, ``n_recon`` (driving frames per example), ``image_size``,
``optim_conf``/``d_optim_conf``. The speech parts (tts, audio mapper, motion sampler, sync) are
accepted and not built. The joint run then starts from its ``model.pth``::

    python -m ttsf.bin.train --task tfg --config conf/train_ttsf.yaml --output_dir exp/tfg ...
    python -m ttsf.bin.train --task ttsf --config conf/train_ttsf.yaml ... \\
        --init_param "[exp/tfg/model.pth:face_generator, exp/tfg/model.pth:motion_extractor]"

Each example is one clip: a random portrait frame and ``n_recon`` other random frames of it,
drawn with :func:`ttsf.train.sampler.item_rng` (a resumed run sees the same ones).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from ttsf.config import ConfigError, build
from ttsf.data.datadir import read_table
from ttsf.models.face_gan import FaceGAN
from ttsf.models.reenactment import Reenactment
from ttsf.models.ttsf import TTSF
from ttsf.tasks.abs_task import UtteranceDataset, task_registry
from ttsf.tasks.ttsf import TTSFTask, build_part, frames_to_tensor
from ttsf.video.io import read_video

#: the frame terms that need no speech
REENACTMENT_TERMS = ("rec", "perceptual", "id", "adv", "canonical")


class ReenactDataset(UtteranceDataset):
    """A portrait frame and ``n_driving`` other frames of each clip of ``frames.scp``."""

    def __init__(self, data_dir: str, n_driving: int, image_size: int, seed: int) -> None:
        d = Path(data_dir)
        for name in ("frames.scp", "utt2num_video_frames"):
            if not (d / name).is_file():
                raise FileNotFoundError(f"{d / name} does not exist; run stage 2 (features)")
        self.frames = read_table(d / "frames.scp")
        n_video = read_table(d / "utt2num_video_frames")
        self.utts = sorted(u for u in self.frames if int(n_video.get(u, 0)) > n_driving)
        if not self.utts:
            raise ValueError(f"{d}: no clip has more than the {n_driving} frames n_recon needs")
        self.lengths = [int(n_video[u]) for u in self.utts]
        self.n_driving, self.image_size, self.seed = n_driving, image_size, seed

    def __getitem__(self, i: int) -> dict:
        video, _ = read_video(self.frames[self.utts[i]])
        picks = self.rng(i).choice(len(video), size=self.n_driving + 1, replace=False)
        x = frames_to_tensor(video[picks], self.image_size)  # (K + 1, 3, S, S)
        return {"source": x[0], "driving": x[1:]}


def collate_reenact(batch: list[dict]) -> dict:
    return {k: torch.stack([b[k] for b in batch]) for k in ("source", "driving")}


@task_registry.register("tfg")
class TFGTask(TTSFTask):
    """The joint task's face half (its config keys, its optimisers), without speech."""

    def resolve_config(self, cfg: dict, data_dir: str) -> dict:
        return cfg  # nothing of the speech side (token list, statistics) is needed

    def warm_start(self, model: nn.Module, cfg: dict) -> None:
        return None  # the TTS's tts_init does not apply

    def build_model(self, cfg: dict, data_dir: str | None) -> nn.Module:
        generator = build(cfg, "face_generator")
        extractor = build_part(cfg, "motion_extractor", style_dim=generator.style_dim)
        discriminator = None
        if cfg.get("discriminator", "stylegan2") not in (None, "null"):
            discriminator = build_part(cfg, "discriminator", image_size=generator.image_size)
        face_keys = set(inspect.signature(FaceGAN.__init__).parameters)
        model_conf = {k: v for k, v in (cfg.get("model_conf") or {}).items() if k in face_keys}
        if model_conf.get("portrait_view_terms") is not None:  # the joint config's may name
            # terms of the joint model only (voice_pose, duration_pose); a typo still fails
            joint_only = set(TTSF.code_terms) - set(Reenactment.code_terms)
            model_conf["portrait_view_terms"] = [
                t for t in model_conf["portrait_view_terms"] if t not in joint_only
            ]
        weights = {
            k: v
            for k, v in (cfg.get("loss_weights") or {}).items()
            if k.removeprefix("lambda_") in REENACTMENT_TERMS
        }
        if not any(weights.values()):
            raise ConfigError(
                f"loss_weights sets none of lambda_{{{', '.join(REENACTMENT_TERMS)}}}: "
                "the pretraining would have nothing to learn from"
            )
        losses = self.build_losses({**cfg, "loss_weights": weights})
        return Reenactment(generator, extractor, discriminator, losses, weights, **model_conf)

    def build_dataset(self, cfg: dict, data_dir: str, train: bool):
        return ReenactDataset(
            data_dir,
            n_driving=cfg.get("n_recon", 5),
            image_size=cfg.get("image_size", 256),
            seed=cfg.get("seed", 0),
        )

    def collate_fn(self, cfg: dict) -> Callable[[list[dict]], dict]:
        return collate_reenact

    def build_optimizers(self, cfg: dict, model: nn.Module) -> list[torch.optim.Optimizer]:
        """The joint task's, with the ``lr_scale`` entries of modules this model has not (the
        speech side's) left out; an entry under one it has must still name parameters."""
        children = dict(model.named_children())
        scale = {
            prefix: factor
            for prefix, factor in (cfg.get("lr_scale") or {}).items()
            if prefix.split(".")[0] in children
        }
        return super().build_optimizers({**cfg, "lr_scale": scale}, model)
