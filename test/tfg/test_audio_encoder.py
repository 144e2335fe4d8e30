"""The ``mel_conv`` audio encoder: shapes, padding independence, registry errors."""

import pytest
import torch

from ttsf.registry import get_registry


def tiny():
    torch.manual_seed(0)
    return get_registry("audio_encoder").build(
        "mel_conv", {"n_mels": 6, "emb_dim": 5, "hidden": 8, "n_layers": 2, "kernel": 3}
    ).eval()


def test_shapes_and_padding_never_leaks():
    enc = tiny()
    mel = torch.randn(2, 6, 30)
    lengths = torch.tensor([30, 17])
    out = enc(mel, lengths)
    assert out["text_emb_up"].shape == (2, 5, 30) and out["mu"].shape == (2, 6, 30)
    assert out["energy"].shape == (2, 1, 30)
    assert out["mu"][1, :, 17:].abs().sum() == 0
    garbage = mel.clone()
    garbage[1, :, 17:] = 1e3
    again = enc(garbage, lengths)
    torch.testing.assert_close(again["mu"][1, :, :17], out["mu"][1, :, :17])
    alone = enc(mel[1:, :, :17], lengths[1:])
    torch.testing.assert_close(alone["text_emb_up"][0], out["text_emb_up"][1, :, :17])


def test_even_kernel_is_rejected():
    with pytest.raises(ValueError, match="kernel must be odd"):
        get_registry("audio_encoder").build("mel_conv", {"kernel": 4})
