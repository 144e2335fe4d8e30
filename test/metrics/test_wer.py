import numpy as np
import pytest

from ttsf.metrics.abs_metric import MetricNotRun
from ttsf.metrics.wer import WER, word_edits


def test_word_edits_hand_counted():
    # two->too (S), "four" dropped (D), "seven" added (I): 3 errors / 6 words; the
    # substitution-only alignment costs 4, so this one is the unique minimum
    e = word_edits("one two three four five six", "one too three five six seven")
    assert (e["substitutions"], e["deletions"], e["insertions"], e["hits"]) == (1, 1, 1, 4)
    assert e["ref_words"] == 6
    assert word_edits("a b c", "")["deletions"] == 3
    with pytest.raises(ValueError, match="no words"):
        word_edits("  ", "a")


def test_wer_metric_normalises_and_accumulates_corpus_wer():
    m = WER(backend="pocketsphinx")
    from whisper.normalizers import EnglishTextNormalizer

    m.normalize = EnglishTextNormalizer()
    answers = iter(["Mister Smith's cat sat.", "hello there world"])
    m.asr = lambda wav: next(answers)
    wav = np.zeros(1600, dtype=np.float32)
    # Whisper's normaliser maps "Mr." and "Mister" alike and drops punctuation and case: 0 errors
    s1 = m.score({"hyp_wav": wav, "text": "Mr. Smith's cat sat"})
    assert s1["wer"] == 0.0
    s2 = m.score({"hyp_wav": wav, "text": "hello world"})  # one insertion over 2 words
    assert s2["wer"] == pytest.approx(50.0)
    n1 = len(m.normalize("Mr. Smith's cat sat").split())
    assert m.corpus_scores()["wer"] == pytest.approx(100.0 * 1 / (n1 + 2))


def test_wer_whisper_without_checkpoint_is_not_run():
    with pytest.raises(MetricNotRun, match="checkpoint not configured"):
        WER(backend="whisper").setup()
    with pytest.raises(ValueError, match="backend"):
        WER(backend="kaldi")
