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


def _read_arpa(path):
    """{ngram tuple: (log10 p, log10 backoff)} of an ARPA file."""
    grams, order = {}, None
    for line in open(path):
        line = line.strip()
        if line.endswith("-grams:"):
            order = int(line[1])
        elif order and line and not line.startswith("\\"):
            parts = line.split()
            bo = float(parts[1 + order]) if len(parts) > 1 + order else 0.0
            grams[tuple(parts[1 : 1 + order])] = (float(parts[0]), bo)
    return grams


def _arpa_prob(g, context, word):
    """p(word | context) as an ARPA reader computes it (back-off recursion)."""
    if (*context, word) in g:
        return 10 ** g[(*context, word)][0]
    return 10 ** g.get(context, (0, 0.0))[1] * _arpa_prob(g, context[1:], word)


@pytest.mark.parametrize("order", [2, 3])
def test_ngram_lm_is_a_distribution_for_every_context(tmp_path, order):
    from ttsf.metrics.ngram_lm import write_arpa

    sents = ["the dog is red", "the cat is red", "a dog saw the cat", "the red dog"]
    assert write_arpa(sents, tmp_path / "lm.arpa", order=order) == 7
    g = _read_arpa(tmp_path / "lm.arpa")
    words = [w for (w, *rest) in g if not rest and w != "<s>"]
    contexts = {k[:-1] for k in g if len(k) > 1} | {()}
    for ctx in contexts:
        assert abs(sum(_arpa_prob(g, ctx, w) for w in words) - 1) < 1e-5, ctx
    assert 10 ** g["the", "cat"][0] == pytest.approx((2 - 0.5) / 4)  # 2 of the 4 after "the"
    if order == 3:
        assert 10 ** g["saw", "the", "cat"][0] == pytest.approx(0.5)  # (1 - 0.5) / 1
    with pytest.raises(ValueError, match="no words"):
        write_arpa(["", "  "], tmp_path / "empty.arpa")


def test_pocketsphinx_task_lm_loads_and_missing_lm_is_named(tmp_path):
    from ttsf.metrics.ngram_lm import write_arpa
    from ttsf.metrics.wer import PocketsphinxASR

    write_arpa(["please open the door", "close the door"], tmp_path / "lm.arpa")
    asr = PocketsphinxASR(str(tmp_path / "lm.arpa"))
    assert isinstance(asr(np.zeros(16000, np.float32)), str)
    with pytest.raises(FileNotFoundError, match="nope.arpa does not exist"):
        PocketsphinxASR(str(tmp_path / "nope.arpa"))
    with pytest.raises(ValueError, match="pocketsphinx back-end only"):
        WER(backend="whisper", lm=str(tmp_path / "lm.arpa"))
