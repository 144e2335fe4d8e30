"""VGG19 perceptual loss (TTSF Eq. 3; Johnson et al. 2016; the multi-layer L1 form of pix2pixHD
and FOMM, which LIA trains with).

``sum_s sum_l w_l * mean |phi_l(x_s) - phi_l(y_s)|`` over VGG19 ReLU outputs ``l`` and an image
pyramid ``s`` (scales < 1 average-pool the frames first). Inputs in [-1, 1] are mapped to
ImageNet normalisation. Without ``vgg_path`` the loss is switched off with a warning.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from ttsf.losses.abs_loss import AbsLoss, loss_registry
from ttsf.pretrained.loading import keep_out_of_checkpoints, warn_disabled
from ttsf.pretrained.vgg19 import HOW_TO_GET, VGG19_LAYERS, load_vgg19_features

_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


@loss_registry.register("vgg19_perceptual")
class VGG19PerceptualLoss(AbsLoss):
    """Args:
    vgg_path: torchvision VGG19 state dict file (None: loss off, with a warning).
    layers: VGG19 ReLU outputs compared (names as in ``VGG19_LAYERS``).
    layer_weights: one weight per layer (pix2pixHD's 1/32 .. 1 by default).
    scales: image pyramid (1.0 = full size).
    """

    def __init__(
        self,
        vgg_path: str | None = None,
        layers: Sequence[str] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
        layer_weights: Sequence[float] = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0),
        scales: Sequence[float] = (1.0,),
    ) -> None:
        super().__init__()
        unknown = [name for name in layers if name not in VGG19_LAYERS]
        if unknown:
            raise ValueError(f"unknown VGG19 layer(s) {unknown}; valid: {', '.join(VGG19_LAYERS)}")
        if len(layer_weights) != len(layers):
            raise ValueError(f"{len(layers)} layers but {len(layer_weights)} layer_weights")
        self.indices = [VGG19_LAYERS[name] for name in layers]
        self.layer_weights = [float(w) for w in layer_weights]
        self.scales = [float(s) for s in scales]
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)
        self.enabled = vgg_path is not None
        self.vgg = None
        if self.enabled:
            # keep only the layers up to the deepest one compared
            self.vgg = load_vgg19_features(vgg_path)[: max(self.indices) + 1]
        else:
            warn_disabled("vgg19_perceptual", "vgg19_perceptual_conf.vgg_path", HOW_TO_GET)
        keep_out_of_checkpoints(self, "vgg")  # loaded from its own file

    def train(self, mode: bool = True) -> VGG19PerceptualLoss:
        """The VGG stays in eval mode (it is a fixed measuring network)."""
        super().train(mode)
        if self.vgg is not None:
            self.vgg.eval()
        return self

    def features(self, image: torch.Tensor) -> list[torch.Tensor]:
        """image (Tensor): (B, 3, H, W) in [-1, 1] -> the selected ReLU outputs."""
        x = ((image + 1.0) / 2.0 - self.mean) / self.std
        out, wanted = [], set(self.indices)
        for i, layer in enumerate(self.vgg):
            x = layer(x)
            if i in wanted:
                out.append(x)
        return out

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """pred, target (Tensor): (B, 3, H, W) in [-1, 1] -> scalar (0 when switched off)."""
        if not self.enabled:
            return pred.new_zeros(())
        loss = pred.new_zeros(())
        for scale in self.scales:
            p, t = pred, target
            if scale != 1.0:
                p = F.interpolate(p, scale_factor=scale, mode="bilinear", antialias=True)
                t = F.interpolate(t, scale_factor=scale, mode="bilinear", antialias=True)
            with torch.no_grad():
                t_feats = self.features(t)
            for w, fp, ft in zip(self.layer_weights, self.features(p), t_feats, strict=True):
                loss = loss + w * (fp - ft).abs().mean()
        return loss
