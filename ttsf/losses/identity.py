"""Identity loss (TTSF §3.1; Richardson et al. pSp 2021): ``1 - cos(R(x_hat), R(x))`` with a
frozen face recogniser R (ArcFace-style IResNet, :mod:`ttsf.pretrained.iresnet`).

Frames are cropped to the face box (fractions of the frame; the default is pSp's crop of a
256x256 aligned face, rows 35:223, columns 32:220) and resized to 112x112, the recogniser's
input. Without ``recognizer_path`` the loss is switched off with a warning.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from ttsf.losses.abs_loss import AbsLoss, loss_registry
from ttsf.pretrained.iresnet import HOW_TO_GET, IResNet, load_iresnet
from ttsf.pretrained.loading import keep_out_of_checkpoints, warn_disabled


@loss_registry.register("identity")
class IdentityLoss(AbsLoss):
    """Args:
    recognizer_path: arcface_torch IResNet ``backbone.pth`` (None: loss off, with a warning).
    depth: IResNet depth of that file (50).
    crop: (top, bottom, left, right) face box as fractions of the frame.
    """

    def __init__(
        self,
        recognizer_path: str | None = None,
        depth: int = 50,
        crop: Sequence[float] = (35 / 256, 223 / 256, 32 / 256, 220 / 256),
    ) -> None:
        super().__init__()
        if len(crop) != 4 or not (0 <= crop[0] < crop[1] <= 1 and 0 <= crop[2] < crop[3] <= 1):
            raise ValueError(f"crop must be (top, bottom, left, right) fractions, got {crop}")
        self.crop = tuple(float(c) for c in crop)
        self.enabled = recognizer_path is not None
        self.recognizer = None
        if self.enabled:
            self.recognizer = load_iresnet(recognizer_path, depth)
        else:
            warn_disabled("identity", "identity_conf.recognizer_path", HOW_TO_GET)
        keep_out_of_checkpoints(self, "recognizer")  # loaded from its own file

    def train(self, mode: bool = True) -> IdentityLoss:
        """The recogniser stays in eval mode (fixed BatchNorm statistics)."""
        super().train(mode)
        if self.recognizer is not None:
            self.recognizer.eval()
        return self

    def embed(self, image: torch.Tensor) -> torch.Tensor:
        """image (Tensor): (B, 3, H, W) in [-1, 1] -> (B, D) unit embeddings."""
        h, w = image.shape[-2:]
        top, bottom, left, right = self.crop
        face = image[..., round(top * h) : round(bottom * h), round(left * w) : round(right * w)]
        size = IResNet.input_size
        face = F.interpolate(face, size=(size, size), mode="bilinear", align_corners=False)
        return F.normalize(self.recognizer(face), dim=-1)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """pred, target (Tensor): (B, 3, H, W) in [-1, 1] -> scalar mean ``1 - cos``."""
        if not self.enabled:
            return pred.new_zeros(())
        with torch.no_grad():
            t = self.embed(target)
        return (1.0 - (self.embed(pred) * t).sum(-1)).mean()
