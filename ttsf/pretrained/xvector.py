"""SpeechBrain x-vector speaker encoder (Snyder et al. 2018; TTSF §4.1 C-SIM and Fig. 5) from a
local copy of the ``speechbrain/spkrec-xvect-voxceleb`` folder.

The folder is SpeechBrain's own format: ``hyperparams.yaml`` (the network and its Pretrainer)
and ``embedding_model.ckpt`` (the TDNN's state dict). SpeechBrain's Pretrainer loads checkpoints
with ``strict=False``, so the embedding network is re-checked here key by key and shape by shape.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import torch

from ttsf.pretrained.loading import PretrainedWeightsError, load_checked, read_state_dict

WHAT = "SpeechBrain x-vector (spkrec-xvect-voxceleb folder)"
HOW_TO_GET = (
    "On a machine with network, copy the files of https://huggingface.co/speechbrain/"
    "spkrec-xvect-voxceleb (hyperparams.yaml, embedding_model.ckpt, mean_var_norm_emb.ckpt, "
    "classifier.ckpt, label_encoder.txt) into one folder and set metric_conf.cs_sim.model_dir."
)


def load_xvector(folder: str | Path):
    """A ``speechbrain.inference.speaker.EncoderClassifier`` on the CPU, from ``folder``."""
    from speechbrain.inference.speaker import EncoderClassifier

    folder = Path(folder)
    for name in ("hyperparams.yaml", "embedding_model.ckpt"):
        if not (folder / name).is_file():
            raise PretrainedWeightsError(f"{WHAT}: {folder / name} does not exist. {HOW_TO_GET}")
    hparams = (folder / "hyperparams.yaml").read_text()
    # the published yaml points its Pretrainer at the hub name; point it at this folder instead
    overrides = {"pretrained_path": str(folder.resolve())} if "pretrained_path" in hparams else {}
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    savedir = tempfile.mkdtemp(prefix="ttsf-xvector-")
    try:
        model = EncoderClassifier.from_hparams(
            source=str(folder.resolve()),
            savedir=savedir,
            overrides=overrides,
            run_opts={"device": "cpu"},
        )
    except Exception as exc:  # noqa: BLE001  (yaml or checkpoint that SpeechBrain cannot use)
        raise PretrainedWeightsError(
            f"{folder} is not a usable {WHAT} ({type(exc).__name__}: {exc}). {HOW_TO_GET}"
        ) from exc
    if model is None or "embedding_model" not in model.mods:
        raise PretrainedWeightsError(
            f"{folder}/hyperparams.yaml defines no 'embedding_model' module. {HOW_TO_GET}"
        )
    ckpt = folder / "embedding_model.ckpt"
    state = read_state_dict(ckpt, WHAT, HOW_TO_GET)
    load_checked(model.mods.embedding_model, state, ckpt, WHAT, HOW_TO_GET)
    model.eval()
    return model


@torch.no_grad()
def xvector_embed(model, wav: np.ndarray) -> np.ndarray:
    """x-vector of a 16 kHz waveform.

    Args:
        wav (ndarray): (N,) float32 at 16 kHz.
    Returns:
        (D,) float embedding (512 for the published model).
    """
    x = torch.as_tensor(np.asarray(wav, dtype=np.float32))[None]
    return model.encode_batch(x).reshape(-1).cpu().numpy()
