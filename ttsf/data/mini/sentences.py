"""A deterministic generator of varied short English sentences for the mini corpus.

Templates filled from small word lists give a few hundred thousand distinct sentences of 4-9
words, all words espeak-ng and pocketsphinx know. A fixed ~10% of all possible sentences (chosen
by a hash of the text, so independent of the seed and of how many are drawn) is held out: never
used for training, kept for evaluation on unseen text.
"""

from __future__ import annotations

import random
import zlib

__all__ = ["is_heldout", "generate_sentences"]

_NAMES = ["anna", "peter", "maria", "john", "sarah", "david", "emma", "tom", "lucy", "paul"]
_ADJS = ["small", "green", "quiet", "happy", "old", "bright", "cold", "heavy", "soft", "little",
         "red", "warm", "new", "dark", "clean"]  # fmt: skip
_NOUNS = ["dog", "house", "river", "garden", "window", "letter", "teacher", "boat", "table",
          "book", "city", "doctor", "car", "tree", "door", "bird", "road", "friend"]  # fmt: skip
_VERBS_PAST = ["found", "painted", "opened", "watched", "cleaned", "followed", "visited",
               "bought", "moved", "carried", "liked", "saw"]  # fmt: skip
_VERBS = ["find", "paint", "open", "watch", "clean", "follow", "visit", "buy", "move", "carry"]
_PLACES = ["near the park", "by the sea", "in the morning", "after lunch", "at the station",
           "on monday", "in the kitchen", "under the bridge", "at school"]  # fmt: skip
_TIMES = ["today", "tomorrow", "tonight", "next week", "this evening", "right now"]

_TEMPLATES = [
    "the {adj} {noun} is {place}",
    "{name} {vpast} the {adj} {noun}",
    "{name} {vpast} a {noun} {place}",
    "please {verb} the {noun} {time}",
    "we will {verb} the {adj} {noun} {time}",
    "my {noun} {vpast} the {noun2} {place}",
    "did {name} {verb} the {noun} {time}",
    "the {noun} was very {adj} {place}",
    "i think {name} {vpast} the {noun2}",
    "can you {verb} my {adj} {noun}",
]


def is_heldout(sentence: str, percent: int = 10) -> bool:
    """Whether ``sentence`` belongs to the fixed held-out set (about ``percent``% of them)."""
    return zlib.crc32(sentence.encode()) % 100 < percent


def _fill(rng: random.Random) -> str:
    noun, noun2 = rng.sample(_NOUNS, 2)
    return rng.choice(_TEMPLATES).format(
        name=rng.choice(_NAMES), adj=rng.choice(_ADJS), noun=noun, noun2=noun2,
        vpast=rng.choice(_VERBS_PAST), verb=rng.choice(_VERBS), place=rng.choice(_PLACES),
        time=rng.choice(_TIMES),
    )  # fmt: skip


def generate_sentences(n: int, seed: int = 0, heldout: bool = False) -> list[str]:
    """``n`` distinct upper-case sentences (LRS3 writes transcripts in upper case).

    Args:
        heldout: draw from the held-out set instead of the training set.
    """
    rng = random.Random(f"ttsf-mini-sentences-{seed}")
    out: list[str] = []
    seen: set[str] = set()
    for _ in range(200 * n + 1000):
        s = _fill(rng)
        if s not in seen and is_heldout(s) == heldout:
            seen.add(s)
            out.append(s.upper())
            if len(out) == n:
                return out
    raise ValueError(f"could not draw {n} distinct {'held-out ' if heldout else ''}sentences")
