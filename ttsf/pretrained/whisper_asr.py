"""Whisper ASR (Radford et al. 2023, TTSF §4.1 ref. [48]) from a local openai-whisper checkpoint.

The checkpoint format is openai-whisper's own (``whisper.load_model`` reads the same files):
``torch.save({"dims": {n_mels, n_audio_ctx, ...}, "model_state_dict": {...}}, "large-v2.pt")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from ttsf.pretrained.loading import PretrainedWeightsError, freeze, load_checked

WHAT = "Whisper ASR (openai-whisper checkpoint)"
HOW_TO_GET = (
    "On a machine with network, `pip install openai-whisper` and fetch the checkpoint from the "
    "URL listed for it in whisper/__init__.py (_MODELS, e.g. 'large-v2'), or run "
    "`python -c \"import whisper; whisper.load_model('large-v2', download_root='.')\"`; copy "
    "the .pt file here and set metric_conf.wer.checkpoint to it."
)


def load_whisper(path: str | Path):
    """A frozen ``whisper.model.Whisper`` built from the checkpoint's own ``dims``."""
    from whisper.model import ModelDimensions, Whisper

    path = Path(path)
    if not path.is_file():
        raise PretrainedWeightsError(f"{WHAT} checkpoint {path} does not exist. {HOW_TO_GET}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001  (any unpickling failure: not a checkpoint)
        raise PretrainedWeightsError(
            f"{path} is not a readable {WHAT} ({exc}). {HOW_TO_GET}"
        ) from exc
    if not (
        isinstance(ckpt, Mapping)
        and isinstance(ckpt.get("dims"), Mapping)
        and isinstance(ckpt.get("model_state_dict"), Mapping)
    ):
        keys = list(ckpt)[:5] if isinstance(ckpt, Mapping) else type(ckpt).__name__
        raise PretrainedWeightsError(
            f"{path} is not a {WHAT}: expected a dict with 'dims' and 'model_state_dict', "
            f"found {keys}. {HOW_TO_GET}"
        )
    try:
        dims = ModelDimensions(**ckpt["dims"])
    except TypeError as exc:
        raise PretrainedWeightsError(
            f"{path}: 'dims' does not fit Whisper ({exc}). {HOW_TO_GET}"
        ) from exc
    model = Whisper(dims)
    load_checked(model, ckpt["model_state_dict"], path, WHAT, HOW_TO_GET)
    return freeze(model)


def whisper_transcribe(model, wav: np.ndarray, language: str = "en", beam_size: int | None = None):
    """Greedy (temperature 0, no fallback) transcription of a 16 kHz waveform.

    Args:
        wav (ndarray): (N,) float32 at 16 kHz.
    """
    import whisper

    out = whisper.transcribe(
        model,
        np.asarray(wav, dtype=np.float32),
        language=language,
        task="transcribe",
        temperature=(0.0,),
        beam_size=beam_size,
        fp16=False,
        condition_on_previous_text=False,
        verbose=None,
    )
    return out["text"].strip()
