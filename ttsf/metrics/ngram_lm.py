"""An n-gram language model in ARPA format from a list of sentences: the task LM for the offline
WER back-end (pocketsphinx), as ASR evaluations on LRS3 or LibriSpeech use an LM of the domain.

Katz-style back-off with absolute discounting (D = 0.5): a seen n-gram gets
``(count - D) / count(context)``; the freed mass goes to the (n-1)-gram distribution of the
words not seen after that context. Unigrams are relative frequencies. ``<s>`` and ``</s>``
delimit every sentence. Built from *training* transcripts only, so held-out sentences are new
word sequences to it.
"""

from __future__ import annotations

import math
import os
from collections import Counter, defaultdict
from typing import Iterable

from ttsf.utils.fileio import atomic_open

__all__ = ["write_arpa"]

DISCOUNT = 0.5


def write_arpa(sentences: Iterable[str], path: str | os.PathLike, order: int = 3) -> int:
    """Write the ``order``-gram LM of ``sentences`` (whitespace tokenised, lower-cased).

    Returns:
        the vocabulary size (without ``<s>``/``</s>``).
    """
    if order < 1:
        raise ValueError(f"write_arpa: order must be >= 1, got {order}")
    # counts[n][context][word] for n = 2..order; unigrams separately (<s> is never predicted)
    uni: Counter[str] = Counter()
    counts: dict[int, dict[tuple[str, ...], Counter[str]]] = {
        n: defaultdict(Counter) for n in range(2, order + 1)
    }
    for sent in sentences:
        words = ["<s>", *sent.lower().split(), "</s>"]
        if len(words) == 2:
            continue
        uni.update(words[1:])
        for n in counts:
            for i in range(1, len(words)):
                if i - n + 1 >= 0:
                    counts[n][tuple(words[i - n + 1 : i])][words[i]] += 1
    if not uni:
        raise ValueError("write_arpa: no words in the sentences")
    total = sum(uni.values())
    vocab = sorted(uni)

    # prob[n][(context..., word)] = log10 p for the listed n-grams; backoff[context] = log10 alpha
    prob: dict[int, dict[tuple[str, ...], float]] = {1: {(w,): uni[w] / total for w in vocab}}
    backoff: dict[tuple[str, ...], float] = {}

    def p_full(context: tuple[str, ...], word: str) -> float:
        """The model's probability of ``word`` after ``context`` (back-off included)."""
        if not context:
            return prob[1][(word,)]
        if (*context, word) in prob[len(context) + 1]:
            return prob[len(context) + 1][(*context, word)]
        return 10 ** backoff.get(context, 0.0) * p_full(context[1:], word)

    for n in range(2, order + 1):
        prob[n] = {}
        for context, following in counts[n].items():
            c = sum(following.values())
            for word, k in following.items():
                prob[n][(*context, word)] = (k - DISCOUNT) / c
            freed = DISCOUNT * len(following) / c
            unseen = 1.0 - sum(p_full(context[1:], w) for w in following)
            backoff[context] = math.log10(freed / unseen) if unseen > 1e-12 else 0.0

    with atomic_open(path, "w") as f:
        f.write("\\data\\\n")
        f.write(f"ngram 1={len(vocab) + 1}\n")  # + <s>
        for n in range(2, order + 1):
            f.write(f"ngram {n}={len(prob[n])}\n")
        for n in range(1, order + 1):
            f.write(f"\n\\{n}-grams:\n")
            rows = sorted(prob[n].items())
            if n == 1:
                rows = [(("<s>",), None), *rows]
            for gram, p in rows:
                logp = -99.0 if p is None else math.log10(p)
                bo = backoff.get(gram)
                tail = f" {bo:.6f}" if bo is not None and n < order else ""
                f.write(f"{logp:.6f} {' '.join(gram)}{tail}\n")
        f.write("\n\\end\\\n")
    return len(vocab) - 1  # </s> is in vocab
