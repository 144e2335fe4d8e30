"""Matcha-TTS text encoder: embedding -> conv prenet -> RoPE transformer -> mel-space prior
``mu_x`` and log-durations (Matcha-TTS §2.3; the Glow-TTS/Grad-TTS encoder with rotary
position embeddings instead of relative attention).
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["TextEncoder", "ChannelLayerNorm", "sequence_mask"]


def sequence_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """lengths (B,) -> (B, max_len) bool, True on valid positions."""
    max_len = int(lengths.max()) if max_len is None else max_len
    return torch.arange(max_len, device=lengths.device)[None] < lengths[:, None]


class ChannelLayerNorm(nn.LayerNorm):
    """LayerNorm over the channel axis of a (B, C, T) tensor (eps 1e-4 as in Glow-TTS)."""

    def __init__(self, channels: int, eps: float = 1e-4) -> None:
        super().__init__(channels, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


class ConvReluNorm(nn.Module):
    """Prenet: residual stack of conv -> layer norm -> ReLU -> dropout, zero-initialised output
    projection so it starts as the identity."""

    def __init__(
        self, channels: int, kernel_size: int = 5, n_layers: int = 3, p_dropout: float = 0.5
    ):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, padding=kernel_size // 2)
            for _ in range(n_layers)
        )
        self.norms = nn.ModuleList(ChannelLayerNorm(channels) for _ in range(n_layers))
        self.drop = nn.Dropout(p_dropout)
        self.proj = nn.Conv1d(channels, channels, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = x
        for conv, norm in zip(self.convs, self.norms, strict=True):
            h = self.drop(torch.relu(norm(conv(h * mask))))
        return (x + self.proj(h)) * mask


def rotate_half_dims(x: torch.Tensor, n_rot: int, base: float = 10000.0) -> torch.Tensor:
    """Rotary position embedding on the first ``n_rot`` features of each head (GPT-NeoX
    layout: feature ``k`` pairs with ``k + n_rot / 2``).

    Args:
        x (Tensor): (B, H, T, D)
    """
    t = x.shape[2]
    half = n_rot // 2
    inv_freq = base ** (-torch.arange(0, half, device=x.device, dtype=torch.float32) / half)
    angle = torch.arange(t, device=x.device, dtype=torch.float32)[:, None] * inv_freq[None]
    cos, sin = angle.cos().to(x.dtype), angle.sin().to(x.dtype)  # (T, half)
    x1, x2, rest = x[..., :half], x[..., half:n_rot], x[..., n_rot:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin, rest], dim=-1)


class RoPEMultiHeadAttention(nn.Module):
    """Self-attention with 1x1-conv projections and rotary embeddings on half of each head's
    features (Matcha-TTS's choice)."""

    def __init__(self, channels: int, n_heads: int, p_dropout: float = 0.0) -> None:
        super().__init__()
        if channels % n_heads:
            raise ValueError(f"channels {channels} not divisible by n_heads {n_heads}")
        self.n_heads = n_heads
        self.head_dim = channels // n_heads
        self.n_rot = self.head_dim // 2 - (self.head_dim // 2) % 2
        self.q, self.k, self.v, self.o = (nn.Conv1d(channels, channels, 1) for _ in range(4))
        for conv in (self.q, self.k, self.v):
            nn.init.xavier_uniform_(conv.weight)
        self.p_dropout = p_dropout

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, C, T), mask (B, 1, T) -> (B, C, T)."""
        b, c, t = x.shape

        def heads(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, self.n_heads, self.head_dim, t).transpose(2, 3)  # (B, H, T, D)

        q = rotate_half_dims(heads(self.q(x)), self.n_rot)
        k = rotate_half_dims(heads(self.k(x)), self.n_rot)
        v = heads(self.v(x))
        key_ok = mask.bool().unsqueeze(1)  # (B, 1, 1, T): padded keys get no attention
        out = nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=key_ok, dropout_p=self.p_dropout if self.training else 0.0
        )
        return self.o(out.transpose(2, 3).reshape(b, c, t))


class FFN(nn.Module):
    def __init__(self, channels: int, filter_channels: int, kernel_size: int, p_dropout: float):
        super().__init__()
        self.conv_1 = nn.Conv1d(channels, filter_channels, kernel_size, padding=kernel_size // 2)
        self.conv_2 = nn.Conv1d(filter_channels, channels, kernel_size, padding=kernel_size // 2)
        self.drop = nn.Dropout(p_dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.drop(torch.relu(self.conv_1(x * mask)))
        return self.conv_2(x * mask) * mask


class TransformerEncoder(nn.Module):
    """Post-norm transformer stack (Glow-TTS encoder layout)."""

    def __init__(
        self, channels: int, filter_channels: int, n_heads: int, n_layers: int,
        kernel_size: int, p_dropout: float,
    ) -> None:  # fmt: skip
        super().__init__()
        self.attn = nn.ModuleList(
            RoPEMultiHeadAttention(channels, n_heads, p_dropout) for _ in range(n_layers)
        )
        self.norm_1 = nn.ModuleList(ChannelLayerNorm(channels) for _ in range(n_layers))
        self.ffn = nn.ModuleList(
            FFN(channels, filter_channels, kernel_size, p_dropout) for _ in range(n_layers)
        )
        self.norm_2 = nn.ModuleList(ChannelLayerNorm(channels) for _ in range(n_layers))
        self.drop = nn.Dropout(p_dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        for attn, n1, ffn, n2 in zip(self.attn, self.norm_1, self.ffn, self.norm_2, strict=True):
            x = x * mask
            x = n1(x + self.drop(attn(x, mask)))
            x = n2(x + self.drop(ffn(x, mask)))
        return x * mask


class DurationPredictor(nn.Module):
    """Two conv -> ReLU -> layer norm -> dropout layers and a 1x1 projection to log-duration."""

    def __init__(self, in_channels: int, filter_channels: int, kernel_size: int, p_dropout: float):
        super().__init__()
        self.conv_1 = nn.Conv1d(in_channels, filter_channels, kernel_size, padding=kernel_size // 2)
        self.norm_1 = ChannelLayerNorm(filter_channels)
        self.conv_2 = nn.Conv1d(
            filter_channels, filter_channels, kernel_size, padding=kernel_size // 2
        )
        self.norm_2 = ChannelLayerNorm(filter_channels)
        self.proj = nn.Conv1d(filter_channels, 1, 1)
        self.drop = nn.Dropout(p_dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.norm_1(torch.relu(self.conv_1(x * mask))))
        x = self.drop(self.norm_2(torch.relu(self.conv_2(x * mask))))
        return self.proj(x * mask) * mask


class TextEncoder(nn.Module):
    """Tokens (+ speaker embedding) -> prior mean ``mu_x`` and log-durations.

    Args:
        n_vocab: token inventory size.
        n_feats: mel bins (the prior lives in mel space).
        n_channels, filter_channels, n_heads, n_layers, kernel_size, p_dropout: transformer
            sizes (Matcha-TTS: 192, 768, 2, 6, 3, 0.1).
        filter_channels_dp: duration predictor width (256).
        spk_emb_dim: size of the speaker embedding concatenated after the prenet (0 = none).
    """

    def __init__(
        self,
        n_vocab: int,
        n_feats: int = 80,
        n_channels: int = 192,
        filter_channels: int = 768,
        filter_channels_dp: int = 256,
        n_heads: int = 2,
        n_layers: int = 6,
        kernel_size: int = 3,
        p_dropout: float = 0.1,
        prenet: bool = True,
        spk_emb_dim: int = 0,
    ) -> None:
        super().__init__()
        self.n_channels = n_channels
        self.emb = nn.Embedding(n_vocab, n_channels)
        nn.init.normal_(self.emb.weight, 0.0, n_channels**-0.5)
        self.prenet = ConvReluNorm(n_channels) if prenet else None
        width = n_channels + spk_emb_dim
        self.encoder = TransformerEncoder(
            width, filter_channels, n_heads, n_layers, kernel_size, p_dropout
        )
        self.proj_m = nn.Conv1d(width, n_feats, 1)
        self.proj_w = DurationPredictor(width, filter_channels_dp, kernel_size, p_dropout)

    def embed(self, text: torch.Tensor) -> torch.Tensor:
        """Token embeddings ``e`` (TTSF Fig. 2): text (B, T_text) -> (B, n_channels, T_text)."""
        return (self.emb(text) * math.sqrt(self.n_channels)).transpose(1, 2)

    def forward(
        self,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        spk: torch.Tensor | None = None,
        detach_durations: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """
        Args:
            text (LongTensor): (B, T_text)
            text_lengths (LongTensor): (B,)
            spk (Tensor): (B, spk_emb_dim) or None.
            detach_durations: keep the duration predictor from training the encoder (and the
                speaker embedding), as Glow-TTS and Matcha-TTS do. False lets a term on the
                durations reach ``spk`` (the joint model's ``duration_pose`` term).
        Returns:
            mu_x (B, n_feats, T_text), logw (B, 1, T_text), x_mask (B, 1, T_text),
            emb (B, n_channels, T_text) the token embeddings.
        """
        emb = self.embed(text)
        x_mask = sequence_mask(text_lengths, text.shape[1]).unsqueeze(1).to(emb.dtype)
        x = self.prenet(emb, x_mask) if self.prenet is not None else emb * x_mask
        if spk is not None:
            x = torch.cat([x, spk.unsqueeze(-1).expand(-1, -1, x.shape[-1])], dim=1)
        x = self.encoder(x, x_mask)
        mu_x = self.proj_m(x) * x_mask
        logw = self.proj_w(x.detach() if detach_durations else x, x_mask)
        return mu_x, logw, x_mask, emb * x_mask
