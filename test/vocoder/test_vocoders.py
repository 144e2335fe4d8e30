"""Vocoders: shapes, the checkpoint loader (accepts its own state dict, rejects others),
Griffin-Lim reconstructs a mel, the GAN losses train both players."""

import numpy as np
import pytest
import torch

from ttsf.audio.mel import LogMelSpectrogram
from ttsf.registry import get_registry
from ttsf.vocoder.gan_losses import HiFiGANLosses
from ttsf.vocoder.hifigan import VocoderCheckpointError

R = get_registry("vocoder")
SMALL = {"channels": 16, "resblock_kernel_sizes": [3], "resblock_dilations": [[1]]}


@pytest.mark.parametrize("name", ["hifigan", "hifigan_v2"])
def test_hifigan_shapes_and_checkpoint_round_trip(name, tmp_path):
    torch.manual_seed(0)
    voc = R.build(name, SMALL).eval()
    assert voc.hop_length == 160 and voc.sample_rate == 16000
    mel = torch.randn(2, 80, 7) - 4
    wav = voc(mel)
    assert wav.shape == (2, 7 * 160)
    path = tmp_path / "gen.pth"
    torch.save(voc.generator.state_dict(), path)
    loaded = R.build(name, {**SMALL, "checkpoint": str(path)}).eval()
    torch.testing.assert_close(loaded(mel), wav)
    torch.save({"generator": voc.generator.state_dict()}, tmp_path / "wrapped.pth")
    R.build(name, {**SMALL, "checkpoint": str(tmp_path / "wrapped.pth")})


def test_hifigan_rejects_wrong_or_missing_checkpoint(tmp_path):
    other = R.build("hifigan", {**SMALL, "channels": 32})
    torch.save(other.generator.state_dict(), tmp_path / "other.pth")
    with pytest.raises(VocoderCheckpointError, match="wrong shape"):
        R.build("hifigan", {**SMALL, "checkpoint": str(tmp_path / "other.pth")})
    torch.save({"something": torch.zeros(3)}, tmp_path / "junk.pth")
    with pytest.raises(VocoderCheckpointError, match="missing"):
        R.build("hifigan", {**SMALL, "checkpoint": str(tmp_path / "junk.pth")})
    with pytest.raises(VocoderCheckpointError, match="griffin_lim"):
        R.build("hifigan", {**SMALL, "checkpoint": str(tmp_path / "absent.pth")})


def test_v2_is_much_smaller_than_v1():
    n1 = sum(p.numel() for p in R.build("hifigan", {}).parameters())
    n2 = sum(p.numel() for p in R.build("hifigan_v2", {}).parameters())
    assert n2 * 10 < n1


def test_griffin_lim_reconstructs_the_mel():
    t = np.arange(16000) / 16000
    wav = torch.from_numpy(0.5 * np.sin(2 * np.pi * (220 + 200 * t) * t)).float()[None]
    mel = LogMelSpectrogram()(wav)
    out = R.build("griffin_lim", {"n_iter": 16, "power": 1.0})(mel)
    assert out.shape == (1, 16000) and out.abs().max() <= 1.0
    mel_out = LogMelSpectrogram()(out)
    # the spectral envelope comes back: the mel of the output is close to the input's
    err = (mel_out - mel)[..., 2:-2].abs().mean()
    assert err < 1.0, err
    noise = LogMelSpectrogram()(torch.randn(1, 16000) * 0.1)
    assert (noise - mel)[..., 2:-2].abs().mean() > 3 * err


def test_gan_losses_give_gradients_to_both_players():
    torch.manual_seed(0)
    voc = R.build("hifigan", SMALL)
    losses = HiFiGANLosses()
    mel = torch.randn(1, 80, 20) - 4
    real = torch.randn(1, 20 * 160) * 0.1
    fake = voc(mel)
    g_loss, g_stats = losses.generator_loss(real, fake)
    g_loss.backward()
    assert set(g_stats) == {"g_loss", "mel_l1", "fm", "g_adv"}
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in voc.parameters())
    losses.zero_grad()
    d_loss, d_stats = losses.discriminator_loss(real, fake)
    d_loss.backward()
    assert torch.isfinite(d_loss) and d_stats["d_loss"] > 0
    assert any(
        p.grad is not None and p.grad.abs().sum() > 0 for p in losses.discriminator.parameters()
    )
