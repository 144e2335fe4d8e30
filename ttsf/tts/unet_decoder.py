"""Matcha-TTS decoder: the 1-D U-Net that estimates the flow-matching vector field.

Input ``[x_t, mu, spk]`` stacked on channels; each level is a ResNet block (time-conditioned)
followed by transformer blocks with snake-beta feed-forward (Matcha-TTS §2.3, Fig. 1), then
down-/up-sampling by 2 with skip connections. Defaults are Matcha-TTS's: channels (256, 256),
one transformer block per level, two mid blocks, 2 heads of 64, dropout 0.05.

One deliberate difference: the group norms and attention only look at valid frames, so a
padded batch gives each item the same output as running it alone (Matcha-TTS's group norm
also averages over padding, and its attention mask is added as a bias of 0/1). A batch without
padding (one sentence at inference) takes ``mask=None`` through every block: PyTorch's fused
group norm and unmasked attention, and no mask multiplications, the same numbers faster.
"""

from __future__ import annotations

import torch
from torch import nn

from ttsf.nets.flow_matching import timestep_embedding

__all__ = ["UNetDecoder"]


def _masked(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    return x if mask is None else x * mask


class MaskedGroupNorm(nn.GroupNorm):
    """GroupNorm whose statistics are taken over valid frames only (``mask=None``: all)."""

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        if mask is None:
            return nn.functional.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)
        b, c, t = x.shape
        g = x.view(b, self.num_groups, c // self.num_groups, t)
        m = mask.view(b, 1, 1, t)
        n = (m.sum(-1, keepdim=True) * g.shape[2]).clamp(min=1)
        mean = (g * m).sum((2, 3), keepdim=True) / n
        var = (((g - mean) * m) ** 2).sum((2, 3), keepdim=True) / n
        g = (g - mean) / torch.sqrt(var + self.eps)
        return g.view(b, c, t) * self.weight[:, None] + self.bias[:, None]


class Block1D(nn.Module):
    """conv3 -> masked group norm -> Mish."""

    def __init__(self, dim: int, dim_out: int, groups: int = 8) -> None:
        super().__init__()
        self.conv = nn.Conv1d(dim, dim_out, 3, padding=1)
        self.norm = MaskedGroupNorm(groups, dim_out)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        return _masked(nn.functional.mish(self.norm(self.conv(_masked(x, mask)), mask)), mask)


class ResnetBlock1D(nn.Module):
    """Two conv blocks with the time embedding added in between, 1x1 residual."""

    def __init__(self, dim: int, dim_out: int, time_emb_dim: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Mish(), nn.Linear(time_emb_dim, dim_out))
        self.block1 = Block1D(dim, dim_out)
        self.block2 = Block1D(dim_out, dim_out)
        self.res_conv = nn.Conv1d(dim, dim_out, 1)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None, t_emb: torch.Tensor
    ) -> torch.Tensor:
        h = self.block1(x, mask) + self.mlp(t_emb).unsqueeze(-1)
        return self.block2(h, mask) + self.res_conv(_masked(x, mask))


class SnakeBeta(nn.Module):
    """Linear projection then ``x + 1/beta * sin^2(alpha x)`` with per-channel log-scale alpha
    and beta (BigVGAN's snake-beta, used in Matcha-TTS's feed-forward)."""

    def __init__(self, dim: int, dim_out: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, dim_out)
        self.log_alpha = nn.Parameter(torch.zeros(dim_out))
        self.log_beta = nn.Parameter(torch.zeros(dim_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj(x)
        alpha, beta = self.log_alpha.exp(), self.log_beta.exp()
        return x + torch.sin(x * alpha) ** 2 / (beta + 1e-9)


class TransformerBlock(nn.Module):
    """Pre-norm self-attention + snake-beta feed-forward on (B, T, C)."""

    def __init__(self, dim: int, n_heads: int, head_dim: int, dropout: float, ff_mult: int = 4):
        super().__init__()
        inner = n_heads * head_dim
        self.n_heads, self.head_dim = n_heads, head_dim
        self.norm1 = nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_k = nn.Linear(dim, inner, bias=False)
        self.to_v = nn.Linear(dim, inner, bias=False)
        self.to_out = nn.Linear(inner, dim)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(
            SnakeBeta(dim, dim * ff_mult), nn.Dropout(dropout), nn.Linear(dim * ff_mult, dim)
        )
        self.drop = nn.Dropout(dropout)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """x (B, T, C), mask (B, T) or None -> (B, T, C)."""
        b, t, _ = x.shape
        h = self.norm1(x)

        def heads(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, self.n_heads, self.head_dim).transpose(1, 2)

        out = nn.functional.scaled_dot_product_attention(
            heads(self.to_q(h)), heads(self.to_k(h)), heads(self.to_v(h)),
            attn_mask=None if mask is None else mask.bool()[:, None, None, :],
            dropout_p=self.dropout if self.training else 0.0,
        )  # fmt: skip
        x = x + self.drop(self.to_out(out.transpose(1, 2).reshape(b, t, -1)))
        return x + self.ff(self.norm3(x))


class UNetDecoder(nn.Module):
    """Vector-field estimator ``v(x_t, t | mu, spk)`` for :class:`ConditionalFlowMatching`.

    Args:
        n_feats: mel bins (x_t and mu both have them).
        spk_emb_dim: speaker embedding channels stacked on the input (0 = none).
        channels: widths of the U-Net levels; each but the last halves the time axis.
    """

    def __init__(
        self,
        n_feats: int = 80,
        spk_emb_dim: int = 0,
        channels: tuple[int, ...] = (256, 256),
        dropout: float = 0.05,
        attention_head_dim: int = 64,
        n_blocks: int = 1,
        num_mid_blocks: int = 2,
        num_heads: int = 2,
    ) -> None:
        super().__init__()
        channels = tuple(channels)
        in_channels = 2 * n_feats + spk_emb_dim
        self.in_channels = in_channels
        self.n_down = len(channels) - 1
        t_dim = channels[0] * 4
        self.time_mlp = nn.Sequential(
            nn.Linear(in_channels, t_dim), nn.SiLU(), nn.Linear(t_dim, t_dim)
        )

        def transformers(dim: int) -> nn.ModuleList:
            return nn.ModuleList(
                TransformerBlock(dim, num_heads, attention_head_dim, dropout)
                for _ in range(n_blocks)
            )

        self.down = nn.ModuleList()
        prev = in_channels
        for i, ch in enumerate(channels):
            last = i == len(channels) - 1
            resample = nn.Conv1d(ch, ch, 3, padding=1) if last else nn.Conv1d(ch, ch, 3, 2, 1)
            self.down.append(
                nn.ModuleList([ResnetBlock1D(prev, ch, t_dim), transformers(ch), resample])
            )
            prev = ch
        self.mid = nn.ModuleList(
            nn.ModuleList(
                [ResnetBlock1D(channels[-1], channels[-1], t_dim), transformers(channels[-1])]
            )
            for _ in range(num_mid_blocks)
        )
        up_channels = channels[::-1] + (channels[0],)
        self.up = nn.ModuleList()
        for i in range(len(channels)):
            c_in, c_out = up_channels[i], up_channels[i + 1]
            last = i == len(channels) - 1
            resample = (
                nn.Conv1d(c_out, c_out, 3, padding=1)
                if last
                else nn.ConvTranspose1d(c_out, c_out, 4, 2, 1)
            )
            self.up.append(
                nn.ModuleList(
                    [ResnetBlock1D(2 * c_in, c_out, t_dim), transformers(c_out), resample]
                )
            )
        self.final_block = Block1D(channels[0], channels[0])
        self.final_proj = nn.Conv1d(channels[0], n_feats, 1)
        self._init_weights()

    def _init_weights(self) -> None:
        # Kaiming-normal convs and linears, zero biases (Matcha-TTS's decoder initialisation).
        for m in self.modules():
            if isinstance(m, (nn.Conv1d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    @property
    def length_multiple(self) -> int:
        """The time axis must be a multiple of this (one factor 2 per downsampling)."""
        return 2**self.n_down

    @staticmethod
    def _run(blocks: nn.ModuleList, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        x = x.transpose(1, 2)
        for block in blocks:
            x = block(x, None if mask is None else mask[:, 0])
        return x.transpose(1, 2)

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor,
        mu: torch.Tensor,
        t: torch.Tensor,
        spk: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """
        Args:
            x (Tensor): (B, n_feats, T) the flow's state x_t; T a multiple of length_multiple.
            mask (Tensor): (B, 1, T)
            mu (Tensor): (B, n_feats, T) the encoder's prior, the condition.
            t (Tensor): (B,) flow time in [0, 1].
            spk (Tensor): (B, spk_emb_dim) or None.
        Returns:
            (B, n_feats, T) the estimated vector field, zero on masked frames.
        """
        if x.shape[-1] % self.length_multiple:
            raise ValueError(
                f"decoder input length {x.shape[-1]} is not a multiple of {self.length_multiple}"
            )
        t_emb = self.time_mlp(timestep_embedding(t, self.in_channels))
        h = [x, mu]
        if spk is not None:
            h.append(spk.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        x = torch.cat(h, dim=1)
        top = None if bool(mask.all()) else mask  # no padding: the unmasked fast path
        skips, masks = [], [top]
        for resnet, blocks, resample in self.down:
            m = masks[-1]
            x = self._run(blocks, resnet(x, m, t_emb), m)
            skips.append(x)
            x = resample(_masked(x, m))
            masks.append(None if m is None else m[:, :, ::2])
        masks.pop()
        m = masks[-1]
        for resnet, blocks in self.mid:
            x = self._run(blocks, resnet(x, m, t_emb), m)
        for resnet, blocks, resample in self.up:
            m = masks.pop()
            x = self._run(blocks, resnet(torch.cat([x, skips.pop()], dim=1), m, t_emb), m)
            x = resample(_masked(x, m))
        x = self.final_block(x, top)
        return _masked(self.final_proj(_masked(x, top)), top)
