"""Prior network of the motion sampler (TTSF §3.2) and the conformer stack it is built from.

The prior gives the frame-wise mean ``mu_m`` of the compressed motion, the initial condition
of the OT-CFM ODE. Its input is "the summation" of the first frame's motion ``f_m[:, 0]``
(in inference: the source portrait's motion) and the audio mapper's ``f_a``, both style_dim
channels; a 4-layer conformer (Gulati et al. 2020) runs over time, and a linear layer maps to
the latent size of the motion normaliser.

The conformer is ESPnet's (``espnet.nets.pytorch_backend.conformer.encoder.Encoder``: macaron
feed-forward, relative-position self-attention, convolution module). Its convolution module
(depthwise convolution with zero padding and BatchNorm) does not take a mask, so in a padded
batch the padding of one sequence would change the frames near its end; ``ConformerStack``
therefore runs the sequences of each distinct length together, unpadded.
"""

from __future__ import annotations

import contextlib
import io

import torch
from torch import nn


def _espnet_conformer(**kwargs) -> nn.Module:
    # Imported here: ttsf.plugins imports every module at start-up, and ESPnet's attention
    # module prints a notice about the optional flash_attn package when first imported.
    with contextlib.redirect_stdout(io.StringIO()):
        from espnet.nets.pytorch_backend.conformer.encoder import Encoder
    return Encoder(**kwargs)


class ConformerStack(nn.Module):
    """Linear in -> ESPnet conformer blocks -> linear out, over (B, T, C) sequences.

    Args:
        in_dim / out_dim: input and output channels.
        attention_dim: model width; heads: attention heads; linear_units: feed-forward width.
        n_layers: conformer blocks; kernel: depthwise convolution kernel (odd).
        dropout: dropout in every sub-module (and after the positional encoding).
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        attention_dim: int = 256,
        heads: int = 4,
        linear_units: int = 1024,
        n_layers: int = 4,
        kernel: int = 31,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        if kernel % 2 == 0:
            raise ValueError(f"conformer kernel must be odd, got {kernel}")
        if attention_dim % heads:
            raise ValueError(f"attention_dim {attention_dim} is not divisible by heads {heads}")
        self.in_proj = nn.Linear(in_dim, attention_dim)
        self.encoder = _espnet_conformer(
            idim=attention_dim,
            attention_dim=attention_dim,
            attention_heads=heads,
            linear_units=linear_units,
            num_blocks=n_layers,
            dropout_rate=dropout,
            positional_dropout_rate=dropout,
            attention_dropout_rate=dropout,
            input_layer=None,  # our own projection (and the estimator's time embedding) first
            macaron_style=True,
            pos_enc_layer_type="rel_pos",
            selfattention_layer_type="rel_selfattn",
            activation_type="swish",
            use_cnn_module=True,
            cnn_module_kernel=kernel,
        )
        self.out_proj = nn.Linear(attention_dim, out_dim)
        self.attention_dim = attention_dim

    def forward(
        self, x: torch.Tensor, lengths: torch.Tensor, offset: torch.Tensor | None = None
    ) -> torch.Tensor:
        """
        Args:
            x (Tensor): (B, T, in_dim)
            lengths (LongTensor): (B,) valid frames; what lies past them is never read.
            offset (Tensor): (B, attention_dim) added to every frame after the input
                projection (e.g. a flow-time embedding), or None.
        Returns:
            y (Tensor): (B, T, out_dim), zero past each length.
        """
        h = self.in_proj(x)
        if offset is not None:
            h = h + offset[:, None, :]
        out = h.new_zeros(h.shape[0], h.shape[1], self.out_proj.out_features)
        lengths = lengths.to(h.device)
        for length in lengths.unique().tolist():
            if length < 1:
                continue
            idx = (lengths == length).nonzero().squeeze(1)
            seq = h[idx, :length]
            if self.training and seq.shape[0] * length == 1:
                # BatchNorm cannot take batch statistics of one value: show it twice.
                y, _ = self.encoder(seq.expand(-1, 2, -1), None)
                y = y[:, :1]
            else:
                y, _ = self.encoder(seq, None)
            out[idx, :length] = self.out_proj(y)
        return out


class PriorNetwork(nn.Module):
    """``mu_m = Conformer(f_m_first + f_a)``, the frame-wise mean of the compressed motion.

    Args:
        style_dim: channels of ``f_m`` and ``f_a``.
        latent_dim: channels of ``mu_m`` (the motion normaliser's latent size).
        attention_dim, heads, linear_units, n_layers (4 in the paper), kernel, dropout:
            the conformer (see ``ConformerStack``).
    """

    def __init__(
        self,
        style_dim: int = 512,
        latent_dim: int = 16,
        attention_dim: int = 256,
        heads: int = 4,
        linear_units: int = 1024,
        n_layers: int = 4,
        kernel: int = 31,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.conformer = ConformerStack(
            style_dim, latent_dim, attention_dim, heads, linear_units, n_layers, kernel, dropout
        )

    def forward(
        self, f_m_first: torch.Tensor, f_a: torch.Tensor, lengths: torch.Tensor
    ) -> torch.Tensor:
        """
        Args:
            f_m_first (Tensor): (B, style_dim) motion of the first frame (or of the portrait).
            f_a (Tensor): (B, T, style_dim) the audio mapper's lip features.
            lengths (LongTensor): (B,) valid frames.
        Returns:
            mu_m (Tensor): (B, T, latent_dim), zero past each length.
        """
        if f_m_first.shape[-1] != f_a.shape[-1]:
            raise ValueError(
                f"prior network: first motion has {f_m_first.shape[-1]} channels but f_a has "
                f"{f_a.shape[-1]}; both must be style_dim"
            )
        return self.conformer(f_a + f_m_first[:, None, :], lengths)
