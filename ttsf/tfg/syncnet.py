"""Lip-sync expert (SyncNet, Chung & Zisserman ACCV 2016; trained as Wav2Lip's expert, Prajwal
et al. ACM MM 2020) for the sync loss of TTSF §3.1.

No pretrained "modified SyncNet" (FC-TFG) is public, so the toolkit trains its own expert:
a face encoder on the lower half of ``n_frames`` consecutive face crops and an audio encoder on
the matching mel window (4 mel frames per video frame at 100 / 25 fps) each give an embedding;
their cosine similarity is the probability that the two are in sync. Embeddings pass a ReLU
before normalisation (as Wav2Lip's), so the cosine lies in [0, 1] and is read as a probability.
:func:`syncnet_contrastive_loss` is its training objective: every aligned (audio, video) pair of
a batch is a positive, every mismatched pair (and optional time-shifted audio of the same clip)
a negative.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _conv_block(in_ch: int, out_ch: int, stride: int | tuple[int, int]) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU()
    )


class _Residual(nn.Module):
    """x + conv-BN-ReLU-conv-BN(x), then ReLU (shape preserving)."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv_block(ch, ch, 1), nn.Conv2d(ch, ch, 3, 1, 1, bias=False), nn.BatchNorm2d(ch)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.body(x))


def _encoder(in_ch: int, widths: tuple[int, ...], emb_dim: int) -> nn.Sequential:
    """Strided conv blocks with a residual block each, global average pool, 1x1 to emb_dim."""
    layers: list[nn.Module] = []
    for w in widths:
        layers += [_conv_block(in_ch, w, 2), _Residual(w)]
        in_ch = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_ch, emb_dim, 1), nn.ReLU(), nn.Flatten()]
    return nn.Sequential(*layers)


def crop_mouth(frames: torch.Tensor, face_size: int) -> torch.Tensor:
    """Lower halves of face frames, the expert's video input.

    Args:
        frames (Tensor): (B, T, 3, H, W) face crops in [-1, 1].
        face_size: side the faces are resized to before taking the lower half.
    Returns:
        Tensor: (B, 3 T, face_size // 2, face_size)
    """
    b, t, c, h, w = frames.shape
    x = frames.reshape(b * t, c, h, w)
    if (h, w) != (face_size, face_size):
        x = F.interpolate(x, size=(face_size, face_size), mode="bilinear", align_corners=False)
    x = x[:, :, face_size // 2 :]
    return x.reshape(b, t * c, face_size - face_size // 2, face_size)


class SyncNet(nn.Module):
    """Audio-visual sync expert.

    Args:
        n_mels: mel bins (80).
        n_frames: video frames per window (5 = 0.2 s at 25 fps).
        mels_per_frame: mel frames per video frame (4 = 100 / 25 fps).
        face_size: faces are resized to this before the lower half is taken (96 as Wav2Lip).
        emb_dim: embedding size.
        widths: channels of the encoders' stages.
    """

    def __init__(
        self,
        n_mels: int = 80,
        n_frames: int = 5,
        mels_per_frame: int = 4,
        face_size: int = 96,
        emb_dim: int = 512,
        widths: tuple[int, ...] = (32, 64, 128, 256, 512),
    ) -> None:
        super().__init__()
        #: constructor arguments, saved beside the weights by :func:`save_syncnet`.
        self.conf = dict(
            n_mels=n_mels, n_frames=n_frames, mels_per_frame=mels_per_frame,
            face_size=face_size, emb_dim=emb_dim, widths=list(widths),
        )  # fmt: skip
        self.n_mels = n_mels
        self.n_frames = n_frames
        self.mels_per_frame = mels_per_frame
        self.face_size = face_size
        widths = tuple(widths)
        self.face_encoder = _encoder(3 * n_frames, widths, emb_dim)
        self.audio_encoder = _encoder(1, widths, emb_dim)

    @property
    def mel_window(self) -> int:
        """Mel frames per window (``n_frames * mels_per_frame``)."""
        return self.n_frames * self.mels_per_frame

    def embed_video(self, frames: torch.Tensor) -> torch.Tensor:
        """frames (Tensor): (B, n_frames, 3, H, W) in [-1, 1] -> (B, emb_dim) unit vectors."""
        if frames.dim() != 5 or frames.shape[1] != self.n_frames:
            raise ValueError(
                f"SyncNet video input must be (B, {self.n_frames}, 3, H, W), "
                f"got {tuple(frames.shape)}"
            )
        return F.normalize(self.face_encoder(crop_mouth(frames, self.face_size)), dim=-1)

    def embed_audio(self, mel: torch.Tensor) -> torch.Tensor:
        """mel (Tensor): (B, n_mels, mel_window) -> (B, emb_dim) unit vectors."""
        if mel.dim() != 3 or mel.shape[1:] != (self.n_mels, self.mel_window):
            raise ValueError(
                f"SyncNet audio input must be (B, {self.n_mels}, {self.mel_window}), "
                f"got {tuple(mel.shape)}"
            )
        return F.normalize(self.audio_encoder(mel.unsqueeze(1)), dim=-1)

    def forward(self, mel: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
        """Sync probability of aligned pairs: (B, n_mels, mel_window), (B, n_frames, 3, H, W)
        -> (B,) cosine similarity in [0, 1]."""
        return (self.embed_audio(mel) * self.embed_video(frames)).sum(-1)


def sync_bce(prob: torch.Tensor, target: float | torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy on cosine "probabilities" (Wav2Lip's ``cosine_loss``)."""
    prob = prob.clamp(1e-7, 1.0 - 1e-7)
    target = torch.as_tensor(target, dtype=prob.dtype, device=prob.device).expand_as(prob)
    return F.binary_cross_entropy(prob, target)


def syncnet_contrastive_loss(
    syncnet: SyncNet,
    mel: torch.Tensor,
    frames: torch.Tensor,
    mel_shifted: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Training objective of the expert on a batch of aligned windows.

    Positives: the B aligned pairs. Negatives: the B (B - 1) mismatched pairs of the batch and,
    if given, ``mel_shifted`` (audio of the same clip moved out of sync, Wav2Lip's hard
    negatives). Positive and negative BCE terms are averaged separately and then equally
    weighted, so the batch size does not tilt the balance.

    Args:
        mel (Tensor): (B, n_mels, mel_window) audio windows.
        frames (Tensor): (B, n_frames, 3, H, W) the face windows aligned with ``mel``.
        mel_shifted (Tensor | None): (B, n_mels, mel_window) off-sync audio for each item.
    Returns:
        loss (scalar) and stats {"sync_pos", "sync_neg", "sync_acc"} (mean probabilities and
        the accuracy of thresholding at 0.5).
    """
    a = syncnet.embed_audio(mel)
    v = syncnet.embed_video(frames)
    sim = v @ a.t()  # (B, B): row = video, column = audio
    eye = torch.eye(sim.shape[0], dtype=torch.bool, device=sim.device)
    pos = sim[eye]
    neg = sim[~eye]
    if mel_shifted is not None:
        neg = torch.cat([neg, (syncnet.embed_audio(mel_shifted) * v).sum(-1)])
    loss = sync_bce(pos, 1.0)
    if neg.numel():
        loss = 0.5 * (loss + sync_bce(neg, 0.0))
    with torch.no_grad():
        correct = torch.cat([pos > 0.5, neg <= 0.5]).float().mean()
    stats = {
        "sync_pos": float(pos.detach().mean()),
        "sync_neg": float(neg.detach().mean()) if neg.numel() else float("nan"),
        "sync_acc": float(correct),
    }
    return loss, stats
