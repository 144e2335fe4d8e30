"""``bpe``: sentencepiece sub-words of the cleaned text, the model trained in stage 2.

The sentencepiece model is trained with ``<blank>`` as piece 0 and ``<unk>`` as piece 1, so
sentencepiece's ids are the toolkit's token ids and the token list is the model's pieces.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from ttsf.text.abs_frontend import AbsTextFrontend, TextFrontendError, text_frontend_registry
from ttsf.text.cleaners import english_cleaner
from ttsf.text.token_list import BLANK, UNK
from ttsf.utils.fileio import atomic_path

__all__ = ["BPEFrontend", "train_bpe"]


def train_bpe(
    texts: Iterable[str],
    model_path: str | os.PathLike,
    vocab_size: int = 500,
    character_coverage: float = 1.0,
) -> Path:
    """Train a BPE sentencepiece model on (cleaned) training sentences.

    Args:
        texts: raw training sentences; each is cleaned as the frontend will clean it.
        model_path: where to write the ``.model`` file (atomically).
        vocab_size: an upper bound: a small corpus yields fewer pieces, not an error.
    Returns:
        ``model_path``.
    """
    import sentencepiece as spm

    cleaned = []
    for t in texts:
        try:
            cleaned.append(english_cleaner(t))
        except TextFrontendError:
            continue  # a sentence the frontend cannot read will be reported in tokenisation
    if not cleaned:
        raise TextFrontendError("no usable training text to train the BPE model on")
    model_path = Path(model_path)
    with atomic_path(model_path, suffix=".model") as tmp:
        prefix = str(tmp)[: -len(".model")]
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(cleaned),
            model_prefix=prefix,
            model_type="bpe",
            vocab_size=vocab_size,
            hard_vocab_limit=False,
            character_coverage=character_coverage,
            pad_id=0,
            pad_piece=BLANK,
            unk_id=1,
            unk_piece=UNK,
            bos_id=-1,
            eos_id=-1,
            minloglevel=2,
        )
        Path(prefix + ".vocab").unlink(missing_ok=True)
    return model_path


@text_frontend_registry.register("bpe")
class BPEFrontend(AbsTextFrontend):
    """Sentencepiece pieces.

    Args:
        bpemodel: the ``.model`` file written by :func:`train_bpe`.
    """

    def __init__(self, bpemodel: str) -> None:
        import sentencepiece as spm

        if not os.path.isfile(bpemodel):
            raise FileNotFoundError(
                f"sentencepiece model {bpemodel} does not exist; stage 2 trains it with "
                "ttsf.text.bpe.train_bpe on the training text"
            )
        self._sp = spm.SentencePieceProcessor(model_file=str(bpemodel))
        self._tokens = [self._sp.id_to_piece(i) for i in range(self._sp.get_piece_size())]
        if self._tokens[0] != BLANK:
            raise ValueError(
                f"{bpemodel}: piece 0 is {self._tokens[0]!r}, not {BLANK!r}; train it with "
                "ttsf.text.bpe.train_bpe"
            )

    @property
    def token_list(self) -> list[str]:
        return self._tokens

    def tokenize(self, text: str) -> list[str]:
        return self._sp.encode(english_cleaner(text), out_type=str)
