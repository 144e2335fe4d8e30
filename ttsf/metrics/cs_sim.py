"""Speaker similarity C-SIM (voice similarity, TTSF Table 3) and the embeddings of Fig. 5."""

from __future__ import annotations

from typing import Any

import numpy as np

from ttsf.metrics.abs_metric import AbsMetric, MetricNotRun, metric_registry


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors."""
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))


@metric_registry.register("cs_sim")
class CSim(AbsMetric):
    """C-SIM: cosine similarity between speaker embeddings of the synthesised and the ground-truth
    (target) speech, both 16 kHz. Back-end `xvector` (paper's: SpeechBrain spkrec-xvect-voxceleb
    EncoderClassifier, 512-d x-vector of the whole utterance, from a local folder) or `resemblyzer`
    (offline: its bundled GE2E VoiceEncoder, 256-d, after its preprocess_wav VAD trimming).

    Args:
        backend: "xvector" or "resemblyzer".
        model_dir: the SpeechBrain folder (xvector back-end).
    """

    inputs = ("hyp_wav", "ref_wav")
    outputs = ("cs_sim",)

    def __init__(self, backend: str = "xvector", model_dir: str | None = None) -> None:
        if backend not in ("xvector", "resemblyzer"):
            raise ValueError(f"cs_sim backend must be 'xvector' or 'resemblyzer', got '{backend}'")
        self.backend, self.model_dir = backend, model_dir
        self.embed = None
        self._hyp_embeddings: dict[str, np.ndarray] = {}

    def setup(self) -> None:
        if self.backend == "resemblyzer":
            from resemblyzer import VoiceEncoder, preprocess_wav

            encoder = VoiceEncoder(device="cpu", verbose=False)
            self.embed = lambda wav: encoder.embed_utterance(preprocess_wav(wav, source_sr=16000))
            return
        from ttsf.pretrained.xvector import HOW_TO_GET, load_xvector, xvector_embed

        if not self.model_dir:
            raise MetricNotRun(f"x-vector model folder not configured. {HOW_TO_GET}")
        model = load_xvector(self.model_dir)
        self.embed = lambda wav: xvector_embed(model, wav)

    def score(self, item: dict[str, Any]) -> dict[str, float]:
        if self.embed is None:
            self.setup()
        hyp = self.embed(item["hyp_wav"])
        if "utt" in item:
            self._hyp_embeddings[item["utt"]] = np.asarray(hyp)
        return {"cs_sim": cosine(hyp, self.embed(item["ref_wav"]))}

    def embeddings(self) -> dict[str, np.ndarray]:
        return dict(self._hyp_embeddings)
