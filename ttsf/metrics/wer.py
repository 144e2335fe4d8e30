"""Word error rate (intelligibility, TTSF Table 3) with an ASR back-end."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ttsf.metrics.abs_metric import AbsMetric, MetricNotRun, metric_registry


def word_edits(ref: str, hyp: str) -> dict[str, int]:
    """Levenshtein word alignment counts (jiwer): substitutions, deletions, insertions, hits.

    Both strings are compared as given (normalise them first); ``ref_words`` is the count of
    reference words, so WER = (S + D + I) / ref_words.
    """
    import jiwer

    if not ref.split():
        raise ValueError("word_edits: the reference has no words")
    if not hyp.split():  # jiwer rejects an empty hypothesis: every reference word is deleted
        n = len(ref.split())
        return {"substitutions": 0, "deletions": n, "insertions": 0, "hits": 0, "ref_words": n}
    out = jiwer.process_words(ref, hyp)
    s, d, i, h = out.substitutions, out.deletions, out.insertions, out.hits
    return {"substitutions": s, "deletions": d, "insertions": i, "hits": h, "ref_words": s + d + h}


class PocketsphinxASR:
    """CMU PocketSphinx 5 with the English acoustic model and dictionary its wheel ships, and
    its general English LM or a task LM (an ARPA file, e.g. from :mod:`ttsf.metrics.ngram_lm`).
    """

    def __init__(self, lm: str | None = None) -> None:
        from pocketsphinx import Decoder

        if lm is None:
            self.decoder = Decoder(samprate=16000, loglevel="FATAL")
            return
        if not os.path.isfile(lm):
            raise FileNotFoundError(
                f"wer: the language model {lm} does not exist (an ARPA file; "
                "ttsf.metrics.ngram_lm.write_arpa makes one from training transcripts)"
            )
        try:
            self.decoder = Decoder(samprate=16000, lm=lm, loglevel="FATAL")
        except (RuntimeError, ValueError) as exc:
            raise ValueError(f"wer: pocketsphinx cannot read the LM {lm}: {exc}") from exc

    def __call__(self, wav: np.ndarray) -> str:
        pcm = (np.clip(wav, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, full_utt=True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        return hyp.hypstr if hyp is not None else ""


@metric_registry.register("wer")
class WER(AbsMetric):
    """WER (%): ASR transcript of the 16 kHz hypothesis vs the input text, both passed through
    Whisper's EnglishTextNormalizer, word-level Levenshtein by jiwer; per utterance 100*(S+D+I)/N,
    corpus `wer` = 100*sum(S+D+I)/sum(N). Back-end `whisper` (paper's; greedy, temperature 0,
    language en, local checkpoint) or `pocketsphinx` (offline; its bundled en-us model).

    Args:
        backend: "whisper" or "pocketsphinx".
        checkpoint: openai-whisper .pt file (whisper back-end).
        beam_size: Whisper beam size (None: greedy).
        lm: ARPA task language model (pocketsphinx back-end; None: its general English LM).
    """

    inputs = ("hyp_wav", "text")
    outputs = ("wer",)
    lower_is_better = True

    def __init__(
        self,
        backend: str = "whisper",
        checkpoint: str | None = None,
        beam_size: int | None = None,
        lm: str | None = None,
    ) -> None:
        if lm is not None and backend != "pocketsphinx":
            raise ValueError("wer: `lm` is an option of the pocketsphinx back-end only")
        if backend not in ("whisper", "pocketsphinx"):
            raise ValueError(f"wer backend must be 'whisper' or 'pocketsphinx', got '{backend}'")
        self.backend, self.checkpoint, self.beam_size, self.lm = backend, checkpoint, beam_size, lm
        self.asr = None
        self.totals = {"errors": 0, "ref_words": 0}

    def setup(self) -> None:
        from whisper.normalizers import EnglishTextNormalizer

        self.normalize = EnglishTextNormalizer()
        if self.backend == "pocketsphinx":
            self.asr = PocketsphinxASR(self.lm)
            return
        from ttsf.pretrained.whisper_asr import HOW_TO_GET, load_whisper, whisper_transcribe

        if not self.checkpoint:
            raise MetricNotRun(f"Whisper checkpoint not configured. {HOW_TO_GET}")
        model = load_whisper(self.checkpoint)
        self.asr = lambda wav: whisper_transcribe(model, wav, beam_size=self.beam_size)

    def transcribe(self, wav: np.ndarray) -> str:
        if self.asr is None:
            self.setup()
        return self.asr(wav)

    def score(self, item: dict[str, Any]) -> dict[str, float]:
        hyp_text = self.transcribe(item["hyp_wav"])
        ref, hyp = self.normalize(item["text"]), self.normalize(hyp_text)
        if not ref.split():
            return {"wer": float("nan")}
        e = word_edits(ref, hyp)
        errors = e["substitutions"] + e["deletions"] + e["insertions"]
        self.totals["errors"] += errors
        self.totals["ref_words"] += e["ref_words"]
        return {"wer": 100.0 * errors / e["ref_words"], "asr_text": hyp_text}

    def corpus_scores(self) -> dict[str, float]:
        if not self.totals["ref_words"]:
            return {}
        return {"wer": 100.0 * self.totals["errors"] / self.totals["ref_words"]}
