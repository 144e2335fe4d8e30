"""The unified TTSF model (paper Fig. 2): text + one portrait -> speech and a talking face.

The only module that knows both halves. The TTS takes the identity vector ``f_id`` and never
imports the face generator; the face generator takes lip features and never imports the TTS.

Training (one batch; shapes for B utterances, a window of W video frames, K reconstructed ones)::

    x_s (B,3,H,W) --E--> f_s, maps ; f_m_s = M(f_s) ; f_id = f_s - f_m_s
    TTS(text, mel, cond=f_id) -> L_tts and, on its training alignment, e_up, mu, energy
    A(e_up, mu, energy) -> f_a (B,T_v,D)  ; its window f_a_w (B,W,D)
    frames of the window --E,M (no grad)--> f_m_w  -> motion sampler losses (norm, prior, cfm)
    K driving frames x_d --E,M--> f_m_d ; styles = fuse(f_id, f_m_d, f_s, f_a) -> G -> x_hat
    L = sum_k lambda_k L_k   (Eq. 8; weights in the recipe config, every term logged)

The motion targets ``f_m_w`` are detached: the sampler learns to follow the motion space, it does
not get to reshape it. ``f_a`` receives gradients from the generator losses and the sampler's,
and passes them on to the TTS (the paper's joint training) unless ``lip_grad_to_tts`` is false.

Inference: portrait -> f_s, f_id ; TTS -> mel, e_up, mu ; A -> f_a ; sampler(f_m_s, f_a) -> f_m
per frame ; G decodes frames in chunks from the portrait's maps, encoded once.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Iterator

import torch
from torch import nn

from ttsf.models.face_gan import FaceGAN
from ttsf.tfg.abs_audio_encoder import AbsAudioEncoder
from ttsf.tfg.abs_audio_mapper import AbsAudioMapper
from ttsf.tfg.abs_discriminator import AbsDiscriminator
from ttsf.tfg.abs_face_generator import AbsFaceGenerator
from ttsf.tfg.abs_motion_extractor import AbsMotionExtractor
from ttsf.tfg.abs_motion_sampler import AbsMotionSampler
from ttsf.tfg.motion_fusion import DEFAULT_AUDIO_LAYERS, DEFAULT_MOTION_LAYERS
from ttsf.tfg.pose_jitter import DEFAULT_POSE_RANGE
from ttsf.tts.abs_tts import AbsTTS
from ttsf.utils.precision import PRECISIONS, autocast

log = logging.getLogger(__name__)

#: loss term -> the key of the motion sampler's loss dict it weights
SAMPLER_TERMS = {"norm": "norm_mse", "prior": "prior_nll", "cfm": "cfm"}


@dataclass
class SynthesisControls:
    """Knobs of :meth:`TTSF.synthesize` (the CLI flags of ``ttsf-synthesize``)."""

    n_timesteps: int = 10  # TTS decoder ODE steps
    temperature: float = 0.667  # TTS noise scale
    length_scale: float = 1.0  # > 1 speaks slower
    motion_steps: int = 10  # motion sampler ODE steps
    motion_temperature: float = 1.0
    motion_scale: float = 1.0
    # frames rendered at once (bounds memory). 8: at 256x256 the generator's peak activations
    # are ~0.75 GB instead of ~2.4 GB at 25, at the same speed per frame on CPU (batches 8-24
    # run at 0.11-0.12 s/frame, best of 5, bench/lia_vs_ours.py); a GPU may want more.
    chunk_frames: int = 8
    seed: int | None = 0
    # "fp32", or "bf16": matmuls and convolutions in bfloat16, faster on CPUs with
    # AVX512-BF16/AMX and on recent GPUs (the TTS 1.3-1.7x here), mel within ~0.5-0.8%
    # (ttsf/utils/precision.py, docs/benchmarks.md)
    precision: str = "fp32"

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")


#: what conditions the TTS (``TTSF`` doc: voice_from)
VOICE_FROM = ("f_id", "f_v", "f_id_unmasked", "f_id_voice_extractor")
#: the codes the ``canonical`` term may steady (``TTSF`` doc: canonical_codes)
CANONICAL_CODES = ("f_id", "voice")


class TTSF(FaceGAN):
    """The shared face half (E, M, G, D, the frame losses) is :class:`FaceGAN`'s.

    Args:
    tts, face_generator, motion_extractor, audio_mapper, motion_sampler, discriminator:
        the registered components, already built.
    losses: {term: loss module} for "adv" and the frame terms (rec, perceptual, id, sync).
    loss_weights: {"lambda_<term>": weight}; a term with weight 0 or no module is skipped.
    mel_per_frame: mel frames per video frame (100 / 25 = 4).
    motion_layers, audio_layers: generator layers of Eq. 1 (1-7 and 6-7).
    audio_encoder: optional, for the audio-driven mode (cascade comparisons): distilled from
        the TTS's aligned features with weight ``lambda_audio_enc``.
    voice_from: what conditions the TTS: "f_id" (the paper: the portrait's features with the
        motion removed) or "f_v" (its features as they are: Table 3's ablation without motion
        removal, where the voice may drift with the head pose), or "f_id_unmasked": f_s - M(f_s),
        the motion read from the whole portrait even when ``mask_lower_face`` reads the
        rendering's motion from blanked lower halves (without the mask it is f_id), or
        "f_id_voice_extractor": f_s - M_v(f_s), with M_v (``voice_motion_extractor``) a second
        motion extractor of M's architecture that only the voice reads: it sees whole faces
        while ``mask_lower_face`` trains M on blanked ones, and learns from the TTS loss and
        the ``canonical`` term on the voice's codes of a clip. It starts where M does
        (``init_param_copies``).
    voice_extractor: build M_v even when ``voice_from`` does not read it, so that the f_v
        ablation of an ``f_id_voice_extractor`` config keeps M_v and its ``canonical`` term
        and differs only in what the TTS reads (``f_id_voice_extractor`` implies it).
    canonical_codes: which codes of a clip the ``canonical`` term steadies: "f_id" (f_s - M(x),
        the renderer's; under ``mask_lower_face`` M reads blanked frames) and "voice"
        (f_s - M_v(f_s), logged as ``canonical_voice``; needs M_v). None: "f_id", and "voice"
        too when M_v exists.
    voice_canonical_grad_to_encoder: the scale of the gradient the ``canonical`` term on the
        voice's codes sends into E through f_s (1: as every other term). 0 leaves the steadying
        to M_v alone: E, which the renderer and the f_v ablation read too, is not asked to
        drop the pose (or the mouth) from f_s for the voice's sake, so the two runs' E learn
        the same and differ only in what the TTS reads. Not in the paper.
    mask_lower_face: read every motion code from frames with the lower half blanked, so the
        mouth can only come from the lip features (:mod:`ttsf.tfg.lower_face_mask`; the paper
        keeps it off).
    lip_grad_to_tts: whether the frame losses reach the TTS through the audio mapper's inputs
        (``e_up``, ``mu``, ``energy``): the paper trains the two halves jointly (true). False
        detaches them, so the TTS and its face-to-voice projection learn from the TTS's own
        losses (and ``voice_pose``) only, and the mouth cannot pull the voice along.
    frame_grad_to_encoder: the scale of the gradient the frame losses send into the shared
        encoder E and motion extractor M through the codes and maps the generator renders
        from (1: the paper's joint training; 0: they train G, the mapper and the sampler
        only). The TTS's condition and the code terms (``canonical``, ``voice_pose``) read
        the codes unscaled, so E keeps learning from them in full (with ``lip_grad_to_tts``
        true the frame losses also reach E through the TTS's condition, unscaled). Not in the
        paper: the mouth box multiplies the reconstruction loss about tenfold and with it the
        frame losses' pull on E (docs/mini_results.md, sessions 22-23).
    duration_pose_sentences: how many of the batch's sentences the ``duration_pose`` term
        times in every voice of the batch (B x N encoder runs each, N = 1 + K views of a clip,
        + V with ``portrait_views``: with the mini recipe's B = 8, K = 5 on one CPU thread, all
        eight sentences add 1.8 s to a 7-9 s training step, two add 0.7 s).
    portrait_views, portrait_view_range, portrait_view_terms: re-posed copies of the
        portrait as more views of a clip for the code terms (:class:`FaceGAN`). With
        ``portrait_view_terms: [canonical]`` they teach the motion removal (E, M, M_v) what a
        pose is, while ``voice_pose``, which the f_v ablation trains too, keeps comparing the
        driving frames only.
    """

    code_terms = (*FaceGAN.code_terms, "voice_pose", "duration_pose")

    def __init__(
        self,
        tts: AbsTTS,
        face_generator: AbsFaceGenerator,
        motion_extractor: AbsMotionExtractor,
        audio_mapper: AbsAudioMapper,
        motion_sampler: AbsMotionSampler,
        discriminator: AbsDiscriminator | None,
        losses: dict[str, nn.Module],
        loss_weights: dict[str, float],
        mel_per_frame: int = 4,
        motion_layers: tuple[int, ...] = DEFAULT_MOTION_LAYERS,
        audio_layers: tuple[int, ...] = DEFAULT_AUDIO_LAYERS,
        audio_encoder: AbsAudioEncoder | None = None,
        voice_from: str = "f_id",
        voice_extractor: bool = False,
        canonical_codes: tuple[str, ...] | None = None,
        voice_canonical_grad_to_encoder: float = 1.0,
        mask_lower_face: bool = False,
        lip_grad_to_tts: bool = True,
        frame_grad_to_encoder: float = 1.0,
        duration_pose_sentences: int = 2,
        portrait_views: int = 0,
        portrait_view_range: tuple[float, float, float] = DEFAULT_POSE_RANGE,
        portrait_view_terms: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__(
            face_generator, motion_extractor, discriminator, losses, loss_weights,
            motion_layers, audio_layers, mask_lower_face, portrait_views, portrait_view_range,
            portrait_view_terms,
        )  # fmt: skip
        if voice_from not in VOICE_FROM:
            raise ValueError(
                f"model_conf.voice_from must be one of {VOICE_FROM}, got '{voice_from}'"
            )
        self.voice_from = voice_from
        #: submodules that start as copies of another when ``init_param`` loads it
        self.init_param_copies: dict[str, tuple[str, ...]] = {}
        has_voice_extractor = voice_extractor or voice_from == "f_id_voice_extractor"
        if has_voice_extractor:
            self.voice_motion_extractor = copy.deepcopy(motion_extractor)
            self.init_param_copies["motion_extractor"] = ("voice_motion_extractor",)
        if canonical_codes is None:
            canonical_codes = ("f_id", "voice") if has_voice_extractor else ("f_id",)
        unknown = set(canonical_codes) - set(CANONICAL_CODES)
        if unknown or ("voice" in canonical_codes and not has_voice_extractor):
            raise ValueError(
                f"model_conf.canonical_codes must name codes of {CANONICAL_CODES}, with 'voice' "
                f"only when the model has M_v (voice_extractor: true), got {list(canonical_codes)}"
            )
        self.canonical_codes = tuple(canonical_codes)
        self.voice_canonical_grad_to_encoder = _unit_scale(
            "voice_canonical_grad_to_encoder", voice_canonical_grad_to_encoder
        )
        self.lip_grad_to_tts = lip_grad_to_tts
        self.frame_grad_to_encoder = _unit_scale("frame_grad_to_encoder", frame_grad_to_encoder)
        if duration_pose_sentences < 1:
            raise ValueError(
                f"model_conf.duration_pose_sentences must be >= 1, got {duration_pose_sentences}"
            )
        self.duration_pose_sentences = duration_pose_sentences
        self.audio_encoder = audio_encoder
        self.tts = tts
        self.audio_mapper = audio_mapper
        self.motion_sampler = motion_sampler
        self.mel_per_frame = mel_per_frame

    # -- the speech-to-face pieces --------------------------------------------------------
    def voice(self, f_s: torch.Tensor, f_id: torch.Tensor) -> torch.Tensor:
        """The TTS condition (..., D) of a portrait's codes f_s, f_id (..., D): ``voice_from``."""
        if self.voice_from == "f_v":
            return f_s
        if self.voice_from == "f_id_voice_extractor":
            return self.voice_extractor_codes(f_s)
        if self.voice_from == "f_id_unmasked" and self.mask_lower_face:
            return f_s - self.motion_extractor(f_s)
        return f_id  # without the mask f_id already is f_s - M(f_s)

    def voice_extractor_codes(self, f_s: torch.Tensor) -> torch.Tensor:
        """f_s - M_v(f_s) (..., D): the portrait's code with the voice's own motion removed."""
        return f_s - self.voice_motion_extractor(f_s)

    def lip_features(self, tts_out: dict, mel_lengths: torch.Tensor) -> torch.Tensor:
        """The audio mapper on the TTS's aligned features -> f_a (B, T_v, D)."""
        n_frames = torch.div(mel_lengths, self.mel_per_frame, rounding_mode="floor").clamp(min=1)
        inputs = [tts_out[k] for k in ("text_emb_up", "mu", "energy")]
        if not self.lip_grad_to_tts:
            inputs = [x.detach() for x in inputs]
        return self.audio_mapper(*inputs, mel_lengths, n_frames)

    # -- training ---------------------------------------------------------------------------
    def forward(
        self,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        feats: torch.Tensor,
        feats_lengths: torch.Tensor,
        source: torch.Tensor,
        window: torch.Tensor,
        window_start: torch.Tensor,
        window_lengths: torch.Tensor,
        recon_start: torch.Tensor,
        n_recon: int,
        optim_idx: int = 0,
    ) -> dict:
        """
        Args:
            text (LongTensor): (B, T_text); text_lengths (B,)
            feats (Tensor): (B, n_mels, T_mel) normalised log-mel; feats_lengths (B,)
            source (Tensor): (B, 3, H, W) portrait frame in [-1, 1].
            window (Tensor): (B, W, 3, H, W) consecutive frames in [-1, 1], zero-padded.
            window_start (LongTensor): (B,) index of the window's first frame in the clip.
            window_lengths (LongTensor): (B,) valid frames of each window.
            recon_start (LongTensor): (B,) first of the ``n_recon`` frames (inside the window)
                that are reconstructed by the generator.
            optim_idx: 0 generator (everything but D), 1 discriminator.
        """
        if optim_idx == 1:
            return self._discriminator_step()
        stats: dict[str, torch.Tensor] = {}
        total = feats.new_zeros(())

        f_s, f_m_s, f_id, maps = self.identity(source)
        tts_out = self.tts(text, text_lengths, feats, feats_lengths, cond=self.voice(f_s, f_id))
        for key in ("text_emb_up", "mu", "energy"):
            if key not in tts_out:
                raise KeyError(
                    f"the TTS '{type(self.tts).__name__}' must return '{key}' from forward() "
                    "(its aligned features) for the audio mapper"
                )
        stats["tts"] = tts_out["loss"].detach()
        for k, v in tts_out.get("stats", {}).items():
            stats[f"tts_{k}"] = torch.as_tensor(v).detach()
        total = total + self._w("tts") * tts_out["loss"]

        if self.audio_encoder is not None and self._w("audio_enc") > 0:
            value = self._audio_encoder_loss(tts_out, feats, feats_lengths)
            stats["audio_enc"] = value.detach()
            total = total + self._w("audio_enc") * value

        f_a = self.lip_features(tts_out, feats_lengths)  # (B, T_v, D)
        f_a_w = _gather_windows(f_a, window_start, window.shape[1])

        # variational motion sampler on the whole window (targets detached, see module doc)
        with torch.no_grad():
            f_m_w = self.motion(window)
        sampler_losses = self.motion_sampler(f_m_w, f_a_w, window_lengths)
        for term, key in SAMPLER_TERMS.items():
            if key in sampler_losses:
                stats[term] = sampler_losses[key].detach()
                total = total + self._w(term) * sampler_losses[key]

        # reconstruct K driving frames of the window from the portrait
        x_d = _gather_windows(window, recon_start, n_recon)  # (B, K, 3, H, W)
        f_a_d = _gather_windows(f_a_w, recon_start, n_recon)
        f_m_d, clip_codes = self.driving_motion(x_d, f_s, f_id, source)
        if self._on("voice_pose"):
            value = self._voice_pose_loss(self.term_views(clip_codes, "voice_pose", n_recon))
            stats["voice_pose"] = value.detach()
            total = total + self._w("voice_pose") * value
        if self._on("duration_pose"):
            value = self._duration_pose_loss(
                self.term_views(clip_codes, "duration_pose", n_recon), text, text_lengths
            )
            stats["duration_pose"] = value.detach()
            total = total + self._w("duration_pose") * value
        if "voice" in self.canonical_codes and self._on("canonical"):
            # M_v's own steadying: its codes of one clip should agree, as M's do (frame_losses)
            f_s_views = self.term_views(clip_codes, "canonical", n_recon)["f_s"]
            clip_f_s = _scale_grad(f_s_views, self.voice_canonical_grad_to_encoder)
            value = self.losses["canonical"](self.voice_extractor_codes(clip_f_s))
            stats["canonical_voice"] = value.detach()
            total = total + self._w("canonical") * value
        if "f_id" not in self.canonical_codes:
            clip_codes = None  # frame_losses' canonical reads f_id; voice_pose is done with them
        f_s_r, f_id_r, f_m_d, *maps_r = (
            _scale_grad(x, self.frame_grad_to_encoder) for x in (f_s, f_id, f_m_d, *maps)
        )
        x_hat = self.render(f_s_r, f_id_r, f_m_d, f_a_d, maps_r)
        mel_d = _gather_windows(
            feats.transpose(1, 2), (window_start + recon_start) * self.mel_per_frame,
            n_recon * self.mel_per_frame,
        ).transpose(1, 2)  # fmt: skip
        total = total + self.frame_losses(x_hat, x_d, source, stats, mel_d, clip_codes)
        stats["loss"] = total.detach()
        return {"loss": total, "stats": stats, "weight": text.shape[0], "frames": x_hat}

    def _clip_speaker_embeddings(self, clip_codes: dict[str, torch.Tensor]) -> torch.Tensor:
        """The TTS's speaker embeddings (B, N, spk_emb_dim) of a clip's N views (one person
        in several poses: the portrait, K driving frames, and V re-posed portraits when the
        term reads them). The face codes are detached, so only the TTS's conditioning learns
        from the terms that read them: it is asked to read the identity and ignore the pose,
        from ``f_id`` or ``f_v`` alike (the Table 3 ablation stays a comparison of what the
        projection reads)."""
        cond = self.voice(clip_codes["f_s"], clip_codes["f_id"]).detach()  # (B, N, D)
        b, n_views = cond.shape[:2]
        spk = self.tts.speaker_embedding(cond.flatten(0, 1), b * n_views)
        if spk is None:
            raise ValueError(
                "voice_pose and duration_pose need a TTS conditioned on the face "
                "(tts_conditioning)"
            )
        return spk.view(b, n_views, -1)

    def _voice_pose_loss(self, clip_codes: dict[str, torch.Tensor]) -> torch.Tensor:
        """The ``voice_pose`` term: the TTS's speaker embeddings of a clip's frames should
        agree, scored by the term's module on (B, N, spk_emb_dim). Not a term of the paper:
        on short runs the projection passes f_id's pose movement whole (docs/mini_results.md).
        """
        return self.losses["voice_pose"](self._clip_speaker_embeddings(clip_codes))

    def _duration_pose_loss(
        self, clip_codes: dict[str, torch.Tensor], text: torch.Tensor, text_lengths: torch.Tensor
    ) -> torch.Tensor:
        """The ``duration_pose`` term: a sentence of the batch, timed in the voice of every
        frame of every clip, should change its durations with the person, not the pose. For
        sentence i the term's module scores the log-durations (B, N, T_i) of its T_i
        tokens under the B clips' N views; the mean over the first
        ``duration_pose_sentences`` sentences (the batches are shuffled).

        Only the conditioning learns (:meth:`_clip_speaker_embeddings`,
        :meth:`AbsTTS.log_durations`). Not a term of the paper: ``voice_pose`` steadies the
        speaker embedding as a whole, but the duration predictor rounds its output to whole
        frames, so what is left of the pose still retimes tokens (docs/mini_results.md,
        session 26).
        """
        spk = self._clip_speaker_embeddings(clip_codes)  # (B, N, S)
        b, n_views = spk.shape[:2]
        n = min(self.duration_pose_sentences, text.shape[0])
        text, text_lengths = text[:n], text_lengths[:n]
        voices = b * n_views
        # every sentence in every voice: row (i, j) is sentence i in voice j
        logw = self.tts.log_durations(
            text.repeat_interleave(voices, dim=0), text_lengths.repeat_interleave(voices),
            spk.flatten(0, 1).repeat(n, 1),
        ).view(n, b, n_views, -1)  # fmt: skip
        return torch.stack(
            [self.losses["duration_pose"](logw[i, ..., : int(text_lengths[i])]) for i in range(n)]
        ).mean()

    def _audio_encoder_loss(
        self, tts_out: dict, feats: torch.Tensor, feats_lengths: torch.Tensor
    ) -> torch.Tensor:
        """L1 between the audio encoder's features of the real mel and the TTS's aligned ones
        (detached: the TTS teaches, it does not learn from this)."""
        pred = self.audio_encoder(feats, feats_lengths)
        mask = torch.arange(feats.shape[-1], device=feats.device)[None] < feats_lengths[:, None]
        mask = mask[:, None].to(feats.dtype)
        loss = feats.new_zeros(())
        for key in ("text_emb_up", "mu"):
            err = (pred[key] - tts_out[key].detach()).abs() * mask
            loss = loss + err.sum() / (mask.sum() * pred[key].shape[1]).clamp(min=1)
        return loss

    # -- inference --------------------------------------------------------------------------
    @torch.inference_mode()
    def encode_portrait(self, portrait: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """portrait (1, 3, H, W) in [-1, 1] -> its (f_s, f_m_s, f_id, maps), computed once per
        video and passed to :meth:`synthesize` for every sentence (31 GFLOP at 256²)."""
        return self.identity(portrait)

    @torch.inference_mode()
    def synthesize(
        self,
        text: torch.Tensor,
        portrait: tuple[torch.Tensor, ...],
        controls: SynthesisControls,
        durations: torch.Tensor | None = None,
    ) -> tuple[dict, Iterator[torch.Tensor]]:
        """Speech and a lazily rendered video for one sentence.

        Args:
            text (LongTensor): (1, T_text) token ids.
            portrait: :meth:`encode_portrait` of the aligned face.
            durations (LongTensor): (1, T_text) frames per token instead of the predicted ones
                (e.g. another synthesis's ``speech["durations"]``: the same timing).
        Returns:
            speech: {"mel": (1, n_mels, T_mel) normalised, "mel_lengths", "durations"}.
            frames: an iterator of (n, 3, H, W) chunks in [-1, 1], T_mel / mel_per_frame frames
                in all; rendering happens as it is consumed (bounded memory).
        """
        f_s, f_m_s, f_id, maps = portrait
        gen = _noise(controls.seed, f_s.device)
        lengths = torch.tensor([text.shape[1]], device=text.device)
        with autocast(f_s.device, controls.precision):
            speech = self.tts.inference(
                text, lengths, cond=self.voice(f_s, f_id), n_timesteps=controls.n_timesteps,
                temperature=controls.temperature, length_scale=controls.length_scale,
                generator=gen, durations=durations,
            )  # fmt: skip
            f_a = self.lip_features(speech, speech["mel_lengths"])
        speech = {k: _full_precision(v) for k, v in speech.items()}
        return speech, self._animate(f_s, f_m_s, f_id, maps, f_a, controls, gen)

    @torch.inference_mode()
    def animate_from_audio(
        self, mel: torch.Tensor, portrait: torch.Tensor, controls: SynthesisControls
    ) -> Iterator[torch.Tensor]:
        """The audio-driven mode: a recording's normalised mel (1, n_mels, T_mel) drives the
        portrait through the audio encoder -> frames as in :meth:`synthesize`."""
        if self.audio_encoder is None:
            raise ValueError(
                "this model has no audio encoder: train with audio_encoder: mel_conv and "
                "lambda_audio_enc > 0 to drive faces from recordings"
            )
        gen = _noise(controls.seed, portrait.device)
        f_s, f_m_s, f_id, maps = self.identity(portrait)
        lengths = torch.tensor([mel.shape[-1]], device=mel.device)
        with autocast(mel.device, controls.precision):
            f_a = self.lip_features(self.audio_encoder(mel, lengths), lengths)
        return self._animate(f_s, f_m_s, f_id, maps, f_a, controls, gen)

    def _animate(self, f_s, f_m_s, f_id, maps, f_a, controls, gen) -> Iterator[torch.Tensor]:
        """Sample the motion for ``f_a``'s frames, then render them lazily in chunks."""
        n_frames = torch.tensor([f_a.shape[1]], device=f_a.device)
        with autocast(f_a.device, controls.precision):
            f_m = self.motion_sampler.sample(
                f_m_s, f_a, n_frames, n_timesteps=controls.motion_steps,
                temperature=controls.motion_temperature, motion_scale=controls.motion_scale,
                generator=gen,
            )  # fmt: skip

        def frames() -> Iterator[torch.Tensor]:
            # autocast per chunk, never across a yield: the caller's code runs in between
            for start in range(0, f_m.shape[1], controls.chunk_frames):
                end = start + controls.chunk_frames
                with torch.inference_mode(), autocast(f_a.device, controls.precision):
                    chunk = self.render(f_s, f_id, f_m[:, start:end], f_a[:, start:end], maps)[0]
                yield chunk.float()

        return frames()


def _full_precision(x):
    """bfloat16 results of an autocast region -> float32 for the caller; anything else as is."""
    return x.float() if isinstance(x, torch.Tensor) and x.dtype == torch.bfloat16 else x


def _unit_scale(name: str, value: float) -> float:
    """A gradient scale of model_conf, checked to lie in [0, 1]."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"model_conf.{name} must be in [0, 1], got {value}")
    return float(value)


def _scale_grad(x: torch.Tensor, scale: float) -> torch.Tensor:
    """x unchanged forward; backward passes ``scale`` times its gradient."""
    if scale == 1.0:
        return x
    return x.detach() + scale * (x - x.detach())


def _noise(seed: int | None, device: torch.device) -> torch.Generator | None:
    """The random generator of one synthesis (None: the global one, not reproducible)."""
    return None if seed is None else torch.Generator(device=device).manual_seed(seed)


def _gather_windows(x: torch.Tensor, start: torch.Tensor, length: int) -> torch.Tensor:
    """x (B, T, ...) -> (B, length, ...): rows start[b] .. start[b] + length - 1, zero past T."""
    b, t = x.shape[:2]
    idx = start.to(x.device)[:, None] + torch.arange(length, device=x.device)[None]  # (B, L)
    valid = idx < t
    idx = idx.clamp(max=t - 1)
    out = x[torch.arange(b, device=x.device)[:, None], idx]
    return out * valid.view(b, length, *([1] * (x.dim() - 2))).to(x.dtype)
