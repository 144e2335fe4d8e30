"""Registered frontends: tokens, ids, token-list files, BPE training, clear errors."""

import pytest

from ttsf.registry import get_registry
from ttsf.text.abs_frontend import TextFrontendError
from ttsf.text.bpe import train_bpe
from ttsf.text.token_list import BLANK, read_token_list, write_token_list

text_frontend_registry = get_registry("text_frontend")

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "She sells sea shells by the sea shore.",
    "Peter Piper picked a peck of pickled peppers.",
    "How much wood would a woodchuck chuck?",
    "I paid $12 for 3 books on the 21st.",
] * 4


def test_espeak_phonemes():
    fe = text_frontend_registry.build("espeak_phn", {})
    toks = fe.tokenize("Hello, world!")
    assert "".join(toks) == "həlˈoʊ, wˈɜːld!"
    ids = fe.text2ids("Hello, world!")
    assert fe.token_list[0] == BLANK and 0 not in ids
    assert [fe.token_list[i] for i in ids] == toks
    assert fe.token_list.index("<unk>") not in ids  # every espeak symbol is in the inventory


def test_espeak_batch_equals_single():
    fe = text_frontend_registry.build("espeak_phn", {})
    batch = fe.text2ids_batch(SENTENCES[:5])
    assert batch == [fe.text2ids(s) for s in SENTENCES[:5]]


@pytest.mark.parametrize("name", ["espeak_phn", "char"])
@pytest.mark.parametrize("bad", ["", "...", "日本語"])
def test_bad_text_raises_naming_it(name, bad):
    fe = text_frontend_registry.build(name, {})
    with pytest.raises(TextFrontendError) as err:
        fe.text2ids_batch(["fine text", bad])
    assert repr(bad) in str(err.value)


def test_char_frontend_and_token_list_file(tmp_path):
    fe = text_frontend_registry.build("char", {})
    assert fe.tokenize("Hi, 2 cats!") == list("hi, two cats!")
    path = tmp_path / "tokens.txt"
    write_token_list(path, fe.token_list)
    assert read_token_list(path) == fe.token_list  # " " survives as a token
    again = text_frontend_registry.build("char", {"token_list": str(path)})
    assert again.text2ids("abc") == fe.text2ids("abc")
    with pytest.raises(ValueError, match="duplicate"):
        write_token_list(tmp_path / "dup.txt", ["<blank>", "a", "a"])
    with pytest.raises(FileNotFoundError, match="stage 2"):
        read_token_list(tmp_path / "missing.txt")


def test_bpe_train_and_tokenize(tmp_path):
    model = train_bpe(SENTENCES, tmp_path / "bpe.model", vocab_size=60)
    assert model.is_file() and not (tmp_path / "bpe.vocab").exists()
    fe = text_frontend_registry.build("bpe", {"bpemodel": str(model)})
    assert fe.token_list[:2] == ["<blank>", "<unk>"]
    pieces = fe.tokenize("The quick fox.")
    assert "".join(pieces).replace("\u2581", " ").strip() == "the quick fox."
    ids = fe.text2ids("The quick fox.")
    assert all(0 < i < len(fe.token_list) for i in ids)
    with pytest.raises(FileNotFoundError, match="train_bpe"):
        text_frontend_registry.build("bpe", {"bpemodel": str(tmp_path / "none.model")})
