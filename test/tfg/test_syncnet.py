"""Lip-sync expert: shapes, save/load, and that contrastive training separates sync from not."""

from __future__ import annotations

import pytest
import torch

from ttsf.pretrained.loading import PretrainedWeightsError
from ttsf.pretrained.syncnet import load_syncnet, save_syncnet
from ttsf.tfg.syncnet import SyncNet, crop_mouth, syncnet_contrastive_loss


def tiny_syncnet() -> SyncNet:
    torch.manual_seed(0)
    return SyncNet(n_mels=16, n_frames=5, mels_per_frame=4, face_size=32, emb_dim=16,
                   widths=(8, 16))  # fmt: skip


def test_shapes_and_range():
    net = tiny_syncnet()
    mel, frames = torch.randn(3, 16, 20), torch.rand(3, 5, 3, 48, 48) * 2 - 1
    assert crop_mouth(frames, 32).shape == (3, 15, 16, 32)
    p = net(mel, frames)
    assert p.shape == (3,) and (p >= 0).all() and (p <= 1 + 1e-6).all()
    with pytest.raises(ValueError, match=r"\(B, 16, 20\)"):
        net.embed_audio(torch.randn(3, 16, 19))
    with pytest.raises(ValueError, match=r"\(B, 5, 3, H, W\)"):
        net.embed_video(torch.randn(3, 4, 3, 32, 32))


def _toy_batch(b: int, generator: torch.Generator):
    """Mouth brightness follows the mel energy frame by frame; faces' upper halves are noise."""
    energy = torch.rand(b, 5, generator=generator)
    mel = energy.repeat_interleave(4, dim=1)[:, None, :].expand(b, 16, 20)
    mel = mel + 0.05 * torch.randn(b, 16, 20, generator=generator)
    frames = torch.rand(b, 5, 3, 32, 32, generator=generator) * 2 - 1
    frames[..., 16:, :] = energy[:, :, None, None, None] * 2 - 1
    return mel, frames


def test_contrastive_training_learns_sync():
    net = tiny_syncnet()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(60):
        mel, frames = _toy_batch(16, gen)
        shifted = torch.roll(mel, shifts=8, dims=-1)
        loss, stats = syncnet_contrastive_loss(net, mel, frames, mel_shifted=shifted)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert set(stats) == {"sync_pos", "sync_neg", "sync_acc"}
    assert sum(losses[-10:]) / 10 < 0.75 * sum(losses[:5]) / 5, losses
    net.eval()
    mel, frames = _toy_batch(32, gen)
    with torch.no_grad():
        aligned = net(mel, frames).mean()
        mismatched = net(mel.roll(1, dims=0), frames).mean()
    assert aligned > mismatched + 0.2, (aligned, mismatched)


def test_save_load_round_trip(tmp_path):
    net = tiny_syncnet()
    save_syncnet(net, tmp_path / "expert.pth")
    loaded = load_syncnet(tmp_path / "expert.pth")
    assert not any(p.requires_grad for p in loaded.parameters()) and not loaded.training
    net.eval()
    mel, frames = torch.randn(2, 16, 20), torch.rand(2, 5, 3, 32, 32)
    torch.testing.assert_close(loaded(mel, frames), net(mel, frames))
    # a bare state dict needs the architecture from the caller
    torch.save(net.state_dict(), tmp_path / "bare.pth")
    with pytest.raises(PretrainedWeightsError, match="shape mismatch|missing"):
        load_syncnet(tmp_path / "bare.pth")
    bare = load_syncnet(tmp_path / "bare.pth", conf=net.conf)
    torch.testing.assert_close(bare(mel, frames), net(mel, frames))
