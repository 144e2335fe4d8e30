"""``ttsf`` task: stage 4, joint training of the unified model (TTSF §3, Eq. 8).

Config keys (besides the trainer's)::

    tts: matcha                    # + tts_conf; tts_init: the stage-3 model.pth to start from
    face_generator: lia_flow       # + face_generator_conf (E and G)
    motion_extractor: lia_orthogonal
    audio_mapper: mrf
    motion_sampler: cfm
    discriminator: stylegan2       # null: no adversarial term (and no second optimiser)
    losses:                        # frame/adversarial terms -> registered loss + options
      adv: {name: adv_ns}
      rec: {name: l1}
      perceptual: {name: vgg19_perceptual, conf: {vgg_path: /path/vgg19.pth}}
      id: {name: identity, conf: {recognizer_path: /path/backbone.pth}}
      sync: {name: sync, conf: {syncnet_path: exp/syncnet/model.pth}}
      # optional, not in the paper (code_consistency): canonical keeps a clip's f_id steady,
      # voice_pose its TTS speaker embedding, duration_pose the durations that embedding
      # gives each sentence (only the TTS's conditioning learns from these two)
    loss_weights: {lambda_adv: 0.1, lambda_rec: 1, ...}   # Eq. 8, see egs/lrs3/conf
    model_conf: {motion_layers: [1..7], audio_layers: [6, 7], mel_per_frame: 4,
                 voice_from: f_id,   # f_v: Table 3's ablation, the voice from unfiltered f_v
                                     # (f_id_unmasked: f_s - M(f_s) under mask_lower_face)
                                     # (f_id_voice_extractor: f_s - M_v(f_s), M_v its own)
                 voice_extractor: false,  # true: build M_v whatever the voice reads
                 canonical_codes: null,   # [f_id, voice]: canonical's codes (null: all it has)
                 mask_lower_face: false,  # true: motion read from blanked lower halves
                 lip_grad_to_tts: true,   # false: the frame losses do not train the TTS
                 frame_grad_to_encoder: 1.0,  # < 1: they train E and M that much less
                 duration_pose_sentences: 2,  # sentences the duration_pose term times
                 portrait_views: 0,  # > 0: re-posed portraits join a clip's views for
                                     # the code terms (portrait_view_range: [3, 0.02, 0.02];
                                     # portrait_view_terms: [canonical]: those that read them)
                }
    window: 32        # consecutive video frames per example (the sampler's training window)
    n_recon: 5        # of which the generator reconstructs this many (>= SyncNet's 5 frames)
    image_size: 256   # frames are resized to it (the dump holds 256x256 crops)
    optim_conf: {lr: ...}; d_optim_conf: {lr: ...}
    lr_scale: {tts.conditioning: 20}   # optional: faster learning for some parameters
    audio_encoder: mel_conv   # optional (cascade comparisons), with loss_weights.lambda_audio_enc
    vocoder, vocoder_conf, text_frontend, text_frontend_conf: used at decoding only

Each example adds to the TTS example (text, normalised mel) a portrait frame and a window of
frames of the same clip, cut with :func:`ttsf.train.sampler.item_rng` so a resumed run sees the
same windows.
"""

from __future__ import annotations

import copy
import functools
import inspect
import logging
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ttsf.audio.mel import MelStats
from ttsf.config import ConfigError, build
from ttsf.data.datadir import read_table
from ttsf.models.ttsf import TTSF
from ttsf.registry import RegistryError, get_registry
from ttsf.tasks.abs_task import AbsTask, task_registry
from ttsf.tasks.tts import TTSDataset, TTSTask, _paths, collate_tts
from ttsf.video.io import read_video

log = logging.getLogger(__name__)

#: modules of the model that are not trained by the generator optimiser
_D_PREFIX = "discriminator."


#: (config section or None, key) of every file a trained model needs at synthesis time;
#: resolve_config makes them absolute, pack_model copies them, the synthesizer rebases them
MODEL_FILE_KEYS = (
    (None, "token_list"),
    (None, "feats_stats"),
    ("text_frontend_conf", "token_list"),
    ("text_frontend_conf", "bpemodel"),
    ("vocoder_conf", "checkpoint"),
)


def map_model_files(cfg: dict, fn) -> dict:
    """A copy of ``cfg`` with ``fn(path)`` applied to every set :data:`MODEL_FILE_KEYS` entry."""
    out = copy.deepcopy(cfg)
    for section, key in MODEL_FILE_KEYS:
        holder = out if section is None else (out.get(section) or {})
        if holder.get(key):
            holder[key] = fn(holder[key])
    return out


def _with_dims(conf: dict, where: str, cls: type, **dims: int) -> dict:
    """``conf`` with shared sizes filled in; a size the config also sets must agree. Sizes
    that ``cls`` does not take (a user's plugin may have no ``style_dim``) are skipped."""
    conf = dict(conf)
    accepted = inspect.signature(cls.__init__).parameters
    for key, value in dims.items():
        if key not in accepted:
            continue
        if key in conf and conf[key] != value:
            raise ConfigError(f"{where}.{key}={conf[key]} but the model needs {value}; drop it")
        conf[key] = value
    return conf


def build_part(cfg: dict, family: str, **dims: int):
    """The component ``cfg[family]``, with the sizes it shares with others (``dims``) filled
    into its ``_conf`` (see :func:`_with_dims`)."""
    registry = get_registry(family)
    cls = registry.get(cfg.get(family))
    conf = _with_dims(cfg.get(f"{family}_conf") or {}, f"{family}_conf", cls, **dims)
    return registry.build(cfg.get(family), conf)


def frames_to_tensor(frames, size: int) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (T, 3, size, size) float in [-1, 1]."""
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)
    if x.shape[-1] != size or x.shape[-2] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True)
    return x


class JointDataset(TTSDataset):
    """TTS examples plus a portrait and a window of face frames from ``frames.scp``."""

    def __init__(
        self, data_dir: str, stats: MelStats, window: int, n_recon: int, image_size: int, seed: int
    ) -> None:
        super().__init__(data_dir, stats)
        d = Path(data_dir)
        frames = read_table(d / "frames.scp")
        n_video = read_table(d / "utt2num_video_frames")
        missing = [u for u in self.utts if u not in frames or u not in n_video]
        if missing:
            raise ValueError(
                f"{d}: {len(missing)} utterances (e.g. {missing[0]}) have no frames.scp or "
                "utt2num_video_frames entry; re-run stage 2"
            )
        # every example must hold the n_recon frames the generator reconstructs
        keep = [k for k, u in enumerate(self.utts) if int(n_video[u]) >= n_recon]
        if not keep:
            raise ValueError(f"{d}: no utterance has the {n_recon} video frames n_recon needs")
        if len(keep) < len(self.utts):
            log.warning("%s: %d utterances shorter than %d frames are left out",
                        d, len(self.utts) - len(keep), n_recon)  # fmt: skip
            self.utts = [self.utts[k] for k in keep]
            self.lengths = [self.lengths[k] for k in keep]
        self.frames = frames
        self.n_video = {u: int(n_video[u]) for u in self.utts}
        self.window, self.n_recon, self.image_size, self.seed = window, n_recon, image_size, seed

    def __getitem__(self, i: int) -> dict:
        item = super().__getitem__(i)
        utt = self.utts[i]
        video, _ = read_video(self.frames[utt])
        t_v = min(len(video), self.n_video[utt], item["feats"].shape[0] // 4)
        rng = self.rng(i)
        start = int(rng.integers(0, max(1, t_v - self.window + 1)))
        length = min(self.window, t_v - start)
        recon = int(rng.integers(0, max(1, length - self.n_recon + 1)))
        source = int(rng.integers(0, t_v))
        item["window"] = frames_to_tensor(video[start : start + length], self.image_size)
        item["source"] = frames_to_tensor(video[source : source + 1], self.image_size)[0]
        item["window_start"], item["recon_start"] = start, recon
        return item


def collate_joint(batch: list[dict], n_recon: int) -> dict:
    """Items of :class:`JointDataset` -> the joint model's batch (windows zero-padded)."""
    out = collate_tts(batch)
    lengths = torch.tensor([b["window"].shape[0] for b in batch])
    window = torch.zeros(len(batch), int(lengths.max()), *batch[0]["window"].shape[1:])
    for i, b in enumerate(batch):
        window[i, : len(b["window"])] = b["window"]
    out.update(
        source=torch.stack([b["source"] for b in batch]),
        window=window,
        window_lengths=lengths,
        window_start=torch.tensor([b["window_start"] for b in batch]),
        recon_start=torch.tensor([b["recon_start"] for b in batch]),
        n_recon=n_recon,
    )
    return out


@task_registry.register("ttsf")
class TTSFTask(AbsTask):
    families = (
        "tts",
        "face_generator",
        "motion_extractor",
        "audio_mapper",
        "motion_sampler",
        "discriminator",
        "vocoder",
        "text_frontend",
        "audio_encoder",
    )
    other_keys = (
        "token_type", "token_list", "feats_stats", "losses", "loss_weights", "model_conf",
        "window", "n_recon", "image_size", "tts_init", "d_optim_conf", "face_detector",
        "face_scale", "lr_scale",
    )  # fmt: skip

    def resolve_config(self, cfg: dict, data_dir: str) -> dict:
        """Absolute token list, statistics and decoding frontend (see AbsTask)."""
        token_list, feats_stats = _paths(cfg, data_dir)
        for path in (token_list, feats_stats):
            if not path.is_file():
                raise FileNotFoundError(f"{path} does not exist; run stage 2 (features) first")
        cfg = copy.deepcopy(cfg)
        cfg["token_list"], cfg["feats_stats"] = (
            str(token_list.resolve()),
            str(feats_stats.resolve()),
        )
        token_type = cfg.get("token_type", "espeak_phn")
        cfg.setdefault("text_frontend", token_type)
        conf = cfg.setdefault("text_frontend_conf", {}) or {}
        if token_type == "bpe":
            conf.setdefault("bpemodel", str((token_list.parent / "bpe.model").resolve()))
        else:
            conf.setdefault("token_list", cfg["token_list"])
        cfg["text_frontend_conf"] = conf

        def absolute(path: str) -> str:  # e.g. the vocoder stage 3 trained, relative to egs/X
            if not Path(path).is_file():
                raise FileNotFoundError(f"{path} (named in the config) does not exist")
            return str(Path(path).resolve())

        return map_model_files(cfg, absolute)

    @staticmethod
    def build_losses(cfg: dict) -> dict[str, nn.Module]:
        """{term: module} for every term of ``losses`` with a non-zero ``lambda_<term>``."""
        registry = get_registry("loss")
        weights = cfg.get("loss_weights") or {}
        out = {}
        for term, spec in (cfg.get("losses") or {}).items():
            if not isinstance(spec, dict) or "name" not in spec:
                raise ConfigError(f"losses.{term} must be {{name: <loss>, conf: {{...}}}}")
            if not weights.get(f"lambda_{term}", 0):
                continue
            try:
                out[term] = registry.build(spec["name"], spec.get("conf"))
            except RegistryError as exc:
                raise ConfigError(f"losses.{term}: {exc}") from exc
        return out

    def build_model(self, cfg: dict, data_dir: str | None) -> nn.Module:
        """The components, with the sizes they share filled in from one another (style_dim
        from the face generator, the TTS's channels for the audio mapper), so a config sets
        each size once; a size set twice must agree."""
        generator = build(cfg, "face_generator")
        style_dim, image_size = generator.style_dim, generator.image_size

        tts_cfg = copy.deepcopy(cfg)
        tts_conf = tts_cfg.setdefault("tts_conf", {}) or {}
        tts_cfg["tts_conf"] = tts_conf
        if tts_conf.get("tts_conditioning", "face_id") == "face_id":
            cond_conf = tts_conf.setdefault("tts_conditioning_conf", {}) or {}
            tts_conf["tts_conditioning_conf"] = _with_dims(
                cond_conf,
                "tts_conf.tts_conditioning_conf",
                get_registry("tts_conditioning").get("face_id"),
                style_dim=style_dim,
            )
        tts = TTSTask().build_model(tts_cfg, data_dir)

        discriminator = None
        if cfg.get("discriminator", "stylegan2") not in (None, "null"):
            discriminator = build_part(cfg, "discriminator", image_size=image_size)
        audio_encoder = None  # optional: only for driving faces from recordings
        if cfg.get("audio_encoder") not in (None, "null"):
            audio_encoder = build_part(
                cfg, "audio_encoder", emb_dim=tts.text_emb_dim, n_mels=tts.n_feats
            )
        return TTSF(
            tts=tts,
            face_generator=generator,
            motion_extractor=build_part(cfg, "motion_extractor", style_dim=style_dim),
            audio_mapper=build_part(
                cfg, "audio_mapper", style_dim=style_dim, emb_dim=tts.text_emb_dim,
                n_mels=tts.n_feats,
            ),
            motion_sampler=build_part(cfg, "motion_sampler", style_dim=style_dim),
            discriminator=discriminator,
            audio_encoder=audio_encoder,
            losses=self.build_losses(cfg),
            loss_weights=dict(cfg.get("loss_weights") or {}),
            **(cfg.get("model_conf") or {}),
        )

    def warm_start(self, model: nn.Module, cfg: dict) -> None:
        """Start the TTS from the stage-3 model; only the conditioning may be new."""
        path = cfg.get("tts_init")
        if not path:
            log.warning("tts_init is not set: the TTS starts from random weights")
            return
        if not Path(path).is_file():
            raise FileNotFoundError(f"tts_init {path} does not exist; run stage 3 first")
        state = torch.load(path, map_location="cpu", weights_only=True)
        missing, unexpected = model.tts.load_state_dict(state, strict=False)
        stray = [k for k in (*missing, *unexpected) if not k.startswith("conditioning.")]
        if stray:
            raise RuntimeError(
                f"tts_init {path} does not fit the configured TTS (e.g. {stray[:3]}); "
                "use the same tts_conf as stage 3"
            )
        log.info(
            "TTS initialised from %s (new: %s; not used: %s)",
            path, missing or "nothing", unexpected or "nothing",
        )  # fmt: skip

    def build_dataset(self, cfg: dict, data_dir: str, train: bool):
        _, feats_stats = _paths(cfg, data_dir)
        n_recon, window = cfg.get("n_recon", 5), cfg.get("window", 32)
        if n_recon > window:
            raise ConfigError(f"n_recon={n_recon} frames must fit in the window={window}")
        return JointDataset(
            data_dir,
            MelStats.load(feats_stats),
            window=window,
            n_recon=n_recon,
            image_size=cfg.get("image_size", 256),
            seed=cfg.get("seed", 0),
        )

    def collate_fn(self, cfg: dict) -> Callable[[list[dict]], dict]:
        # a partial, not a closure: data-loader workers that are not forked unpickle it
        return functools.partial(collate_joint, n_recon=cfg.get("n_recon", 5))

    def build_optimizers(self, cfg: dict, model: nn.Module) -> list[torch.optim.Optimizer]:
        """Adam for everything but D (``lr_scale: {module prefix: factor}`` scales the learning
        rate of some parameters, e.g. a zero-initialised new layer), and Adam for D."""
        optim_conf = dict(cfg.get("optim_conf") or {})
        scale = dict(cfg.get("lr_scale") or {})
        groups: dict[float, list[nn.Parameter]] = {}
        used = set()
        for n, p in model.named_parameters():
            if not p.requires_grad or n.startswith(_D_PREFIX):
                continue
            prefix = next((k for k in scale if n == k or n.startswith(k + ".")), None)
            used.add(prefix)
            groups.setdefault(float(scale[prefix]) if prefix else 1.0, []).append(p)
        unknown = sorted(set(scale) - used)
        if unknown:
            raise ConfigError(f"lr_scale: no trainable parameters under {unknown}")
        lr = optim_conf.pop("lr", 1e-3)
        opts = [torch.optim.Adam(
            [{"params": ps, "lr": lr * f} for f, ps in sorted(groups.items())], lr=lr, **optim_conf
        )]  # fmt: skip
        if model.discriminator is not None:
            d_conf = cfg.get("d_optim_conf") or cfg.get("optim_conf") or {}
            opts.append(torch.optim.Adam(model.discriminator.parameters(), **d_conf))
        return opts
