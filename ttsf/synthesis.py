"""Text + one portrait -> speech and a talking-face video, with a trained TTSF model.

Used by ``ttsf-synthesize``, recipe stage 5 (decoding) and the benchmarks::

    synth = Synthesizer.load("exp/ttsf/model.pth")          # or a packed exp/ttsf/packed/model.tar
    synth.synthesize_to_file("Hello there. How are you?", "face.jpg", "hello.mp4")

Long text is split into sentences; each is synthesised and its frames are rendered chunk by
chunk straight into the mp4 (and its wav), so memory stays flat with the length of the text.
Per sentence the speech is trimmed to the rendered frames (at most 3 mel frames, 30 ms), so the
audio and video streams have equal durations.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import tarfile
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch

from ttsf.audio.io import save_wav
from ttsf.config import load_config
from ttsf.models.ttsf import TTSF, SynthesisControls
from ttsf.registry import get_registry
from ttsf.text.abs_frontend import AbsTextFrontend, TextFrontendError
from ttsf.utils.fileio import atomic_dir, atomic_path
from ttsf.utils.precision import autocast, with_bf16_weights
from ttsf.video.writer import VideoWriter

log = logging.getLogger(__name__)

__all__ = [
    "Synthesizer", "SynthesisError", "SynthesisControls", "split_sentences", "load_decode_config"
]


class SynthesisError(ValueError):
    """Input that cannot be synthesised (no face, several faces, empty text, unreadable file)."""


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)")


def split_sentences(text: str, max_chars: int = 300) -> list[str]:
    """Sentences of ``text``; a sentence longer than ``max_chars`` is split at commas/spaces
    (the TTS is trained on utterances of a few seconds)."""
    out = []
    for sent in _SENTENCE_END.split(" ".join(text.split())):
        while len(sent) > max_chars:
            cut = max(sent.rfind(",", 0, max_chars), sent.rfind(" ", 0, max_chars))
            cut = cut if cut > 0 else max_chars
            out.append(sent[: cut + 1].strip())
            sent = sent[cut + 1 :].strip()
        if sent.strip():
            out.append(sent.strip())
    return out


def _unpack(archive: Path) -> Path:
    """Extract a packed model once into a cache dir keyed by the archive's content."""
    digest = hashlib.sha1()
    with open(archive, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    cache = Path(os.environ.get("TTSF_CACHE", Path.home() / ".cache" / "ttsf"))
    target = cache / f"{archive.stem}-{digest.hexdigest()[:12]}"
    if not (target / "config.yaml").is_file():
        try:
            with tarfile.open(archive) as tar, atomic_dir(target) as tmp:
                tar.extractall(tmp, filter="data")
        except tarfile.TarError as exc:
            raise SynthesisError(f"{archive} is not a packed TTSF model ({exc})") from exc
    return target


class Synthesizer:
    """A trained model with everything decoding needs: frontend, vocoder, face detector."""

    def __init__(
        self,
        model: TTSF,
        frontend: AbsTextFrontend,
        vocoder: torch.nn.Module,
        cfg: dict,
        device: torch.device,
        face_detector: str = "mtcnn",
        face_scale: float = 1.8,
    ) -> None:
        self.model = model.eval().to(device)
        self.frontend = frontend
        self.vocoder = vocoder.eval().to(device)
        self.cfg = cfg
        self.device = device
        self.image_size = model.face_generator.image_size
        self.face_detector_name = face_detector
        self.face_scale = face_scale
        self._detector = None
        self._bf16_model: TTSF | None = None

    # -- loading ------------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        model_path: str | os.PathLike,
        device: str | torch.device = "cpu",
        overrides: Iterable[str] = (),
    ) -> Synthesizer:
        """Load ``<exp>/model.pth`` (with ``<exp>/config.yaml``) or a packed ``model.tar``.

        ``overrides`` are config overrides (``vocoder=griffin_lim``, ``face_detector=dlib``).
        """
        from ttsf.tasks.ttsf import TTSFTask

        path = Path(model_path)
        if not path.exists():
            raise SynthesisError(f"model {path} does not exist")
        if path.suffix == ".tar":
            root = _unpack(path)
            weights, cfg_path = root / "model.pth", root / "config.yaml"
        else:
            root, weights, cfg_path = path.parent, path, path.parent / "config.yaml"
        if not cfg_path.is_file():
            raise SynthesisError(
                f"{cfg_path} is missing: a model needs the config it was trained with"
            )
        cfg = load_config(cfg_path, overrides)
        cfg = _rebase_paths(cfg, root)
        # training-only networks (discriminator, VGG, face recogniser, SyncNet) are not built
        cfg["losses"], cfg["discriminator"] = {}, None
        model = TTSFTask().build_model(cfg, None)
        state = torch.load(weights, map_location="cpu", weights_only=True)
        state = {k: v for k, v in state.items() if not k.startswith(("losses.", "discriminator."))}
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise SynthesisError(
                f"{weights} does not match {cfg_path}: missing {missing[:3]}, unexpected "
                f"{unexpected[:3]}"
            )
        frontend = get_registry("text_frontend").build(
            cfg.get("text_frontend"), cfg.get("text_frontend_conf")
        )
        return cls(
            model, frontend, build_vocoder(cfg), cfg, torch.device(device),
            face_detector=cfg.get("face_detector", "mtcnn"),
            face_scale=cfg.get("face_scale", 1.8),
        )  # fmt: skip

    @property
    def samples_per_frame(self) -> int:
        """Audio samples per video frame (16 kHz, 25 fps: 640)."""
        return self.vocoder.hop_length * self.model.mel_per_frame

    def model_at(self, precision: str) -> TTSF:
        """The model to run at ``precision``: for bf16 a twin with bf16 Linear/Conv weights
        (made once, sharing every other parameter; identical results, no per-call casts)."""
        if precision == "fp32":
            return self.model
        if self._bf16_model is None:
            self._bf16_model = with_bf16_weights(self.model)
        return self._bf16_model

    # -- inputs -------------------------------------------------------------------------
    def text_to_ids(self, text: str) -> torch.Tensor:
        """(1, T_text) token ids; a clear error for text the frontend cannot use."""
        if not text or not text.strip():
            raise SynthesisError("the text is empty")
        try:
            ids = self.frontend.text2ids(text)
        except TextFrontendError as exc:
            raise SynthesisError(str(exc)) from exc
        return torch.tensor([ids], dtype=torch.long, device=self.device)

    def portrait(
        self, image: str | os.PathLike | np.ndarray, aligned: bool = False
    ) -> torch.Tensor:
        """A photo -> the aligned face crop (1, 3, S, S) in [-1, 1].

        The face is found by the configured detector and cropped as in stage 2 (square around
        the face, ``face_scale`` times its side). ``aligned=True`` takes an already cropped
        face (e.g. a stage-2 frame) as it is.
        """
        from ttsf.data.face_crop import crop_faces
        from ttsf.tasks.ttsf import frames_to_tensor

        rgb = _read_image(image) if not isinstance(image, np.ndarray) else image
        if not aligned:
            x0, y0, x1, y1 = self._one_face(rgb, image)
            box = np.array([[(x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0)]])
            rgb = crop_faces(rgb[None], box, size=max(self.image_size, 256), scale=self.face_scale)[
                0
            ]
        return frames_to_tensor(rgb[None], self.image_size).to(self.device)

    def _one_face(self, rgb: np.ndarray, name) -> np.ndarray:
        if self._detector is None:
            self._detector = get_registry("face_detector").build(self.face_detector_name)
        boxes = self._detector.detect(rgb)
        if len(boxes) == 0:
            raise SynthesisError(
                f"no face found in {name}; use a photo with one clearly visible face"
            )
        areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        big = np.flatnonzero(areas >= 0.5 * areas.max())  # small background faces are ignored
        if len(big) > 1:
            raise SynthesisError(
                f"{len(big)} faces of similar size found in {name}; crop the photo to one person"
            )
        return boxes[int(np.argmax(areas)), :4]

    # -- synthesis ----------------------------------------------------------------------
    def synthesize_to_file(
        self,
        text: str,
        image: str | os.PathLike | np.ndarray,
        out_mp4: str | os.PathLike,
        controls: SynthesisControls | None = None,
        aligned: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict:
        """Write ``out_mp4`` (H.264 25 fps + AAC 16 kHz) and the ``.wav`` beside it.

        Returns a summary: sentences, frames, seconds of speech. Nothing is left behind on
        failure (both files are written to temporary names and renamed at the end).
        """
        controls = controls or SynthesisControls()
        sentences = split_sentences(text)
        if not sentences:
            raise SynthesisError("the text is empty")
        ids = [self.text_to_ids(s) for s in sentences]  # fail before any work on bad text
        portrait = self.model.encode_portrait(self.portrait(image, aligned=aligned))
        out_mp4 = Path(out_mp4)
        size = self.image_size
        hop = self.samples_per_frame
        sr = self.vocoder.sample_rate
        wavs = []
        model = self.model_at(controls.precision)
        with VideoWriter(out_mp4, size, size, sr=sr) as writer:
            for k, sent_ids in enumerate(ids):
                sent_controls = controls
                if controls.seed is not None:  # each sentence its own, reproducible, noise
                    sent_controls = replace(controls, seed=controls.seed + k)
                speech, frames = model.synthesize(sent_ids, portrait, sent_controls)
                n_frames = 0
                for chunk in frames:
                    writer.write_frames(_to_uint8(chunk))
                    n_frames += chunk.shape[0]
                wav = self.vocode(speech, controls.precision)[: n_frames * hop]
                writer.write_audio(wav)
                wavs.append(wav)
                if progress is not None:
                    progress(k + 1, len(ids))
        wav = np.concatenate(wavs)
        with atomic_path(out_mp4.with_suffix(".wav")) as tmp:
            save_wav(tmp, wav, sr)
        return {"sentences": len(ids), "frames": writer.n_frames, "seconds": len(wav) / sr}

    def synthesize_arrays(
        self, text: str, portrait: tuple[torch.Tensor, ...], controls: SynthesisControls
    ) -> tuple[np.ndarray, np.ndarray]:
        """One sentence in memory, for evaluation scripts (no sentence splitting, no files).

        Args:
            portrait: ``self.model.encode_portrait(self.portrait(image))``.
        Returns:
            wav (ndarray): (T * samples per frame,) float32 at the vocoder's rate.
            frames (ndarray): (T, S, S, 3) uint8 RGB.
        """
        model = self.model_at(controls.precision)
        speech, chunks = model.synthesize(self.text_to_ids(text), portrait, controls)
        frames = np.concatenate([_to_uint8(c) for c in chunks])
        hop = self.samples_per_frame
        return self.vocode(speech, controls.precision)[: len(frames) * hop], frames

    def animate_audio_to_file(
        self,
        audio: str | os.PathLike,
        image: str | os.PathLike | np.ndarray,
        out_mp4: str | os.PathLike,
        controls: SynthesisControls | None = None,
        aligned: bool = False,
    ) -> dict:
        """The audio-driven mode: a recording drives the portrait (its speech is the track)."""
        from ttsf.audio.io import AudioError, load_wav
        from ttsf.audio.mel import compute_logmel

        controls = controls or SynthesisControls()
        sr = self.vocoder.sample_rate
        try:
            wav = load_wav(audio, sr)
        except (AudioError, OSError, ValueError) as exc:
            raise SynthesisError(f"audio {audio} cannot be read: {exc}") from exc
        portrait = self.portrait(image, aligned=aligned)
        mel = torch.from_numpy(compute_logmel(wav, sr).T)[None].to(self.device)
        mel = self.model.tts.normalize(mel)
        try:
            model = self.model_at(controls.precision)
            frames = model.animate_from_audio(mel, portrait, controls)
        except ValueError as exc:
            raise SynthesisError(str(exc)) from exc
        size = self.image_size
        hop = self.samples_per_frame
        with VideoWriter(out_mp4, size, size, sr=sr) as writer:
            for chunk in frames:
                writer.write_frames(_to_uint8(chunk))
            writer.write_audio(wav[: writer.n_frames * hop])
        return {"sentences": 1, "frames": writer.n_frames, "seconds": writer.n_frames * hop / sr}

    @torch.inference_mode()
    def vocode(self, speech: dict, precision: str = "fp32") -> np.ndarray:
        """The TTS output -> (N,) float32 waveform of the first item."""
        mel = speech.get("mel_denorm")
        if mel is None:
            mel = self.model.tts.denormalize(speech["mel"])
        length = int(speech["mel_lengths"][0])
        with autocast(self.device, precision):
            wav = self.vocoder(mel[:1, :, :length])[0]
        return wav.float().cpu().numpy()


def load_decode_config(path: str | os.PathLike | None) -> tuple[SynthesisControls, list[str]]:
    """A decode.yaml -> its ``SynthesisControls`` and ``model_overrides`` (None: defaults)."""
    from ttsf.config import ConfigError

    cfg = load_config(path) if path else {}
    fields = {f.name for f in dataclasses.fields(SynthesisControls)}
    unknown = sorted(set(cfg) - fields - {"model_overrides"})
    if unknown:
        raise ConfigError(
            f"unknown key(s) {unknown} in {path}; valid: {sorted(fields)} and model_overrides"
        )
    controls = SynthesisControls(**{k: v for k, v in cfg.items() if k in fields})
    return controls, list(cfg.get("model_overrides") or [])


def build_vocoder(cfg: dict) -> torch.nn.Module:
    """The configured vocoder; without a checkpoint a neural vocoder cannot speak, so the
    Griffin-Lim fallback is used, with a warning."""
    name = cfg.get("vocoder") or "griffin_lim"
    conf = dict(cfg.get("vocoder_conf") or {})
    registry = get_registry("vocoder")
    if name != "griffin_lim" and not conf.get("checkpoint"):
        log.warning(
            "vocoder '%s' has no vocoder_conf.checkpoint: using griffin_lim instead (train one "
            "with the recipe's vocoder stage, or set vocoder_conf.checkpoint)", name,
        )  # fmt: skip
        return registry.build("griffin_lim")
    return registry.build(name, conf)


def _rebase_paths(cfg: dict, root: Path) -> dict:
    """Relative file paths in a packed model's config are relative to the archive root."""
    from ttsf.tasks.ttsf import map_model_files

    return map_model_files(cfg, lambda p: p if os.path.isabs(p) else str(root / p))


def _read_image(path: str | os.PathLike) -> np.ndarray:
    import cv2

    if not os.path.isfile(path):
        raise SynthesisError(f"image {path} does not exist")
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SynthesisError(f"image {path} cannot be read (not an image file, or corrupt)")
    return bgr[:, :, ::-1].copy()


def _to_uint8(frames: torch.Tensor) -> np.ndarray:
    """(n, 3, H, W) in [-1, 1] -> (n, H, W, 3) uint8."""
    x = ((frames.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).cpu().numpy()
