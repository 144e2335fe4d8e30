"""The Inception v3 of FID (Heusel et al. 2017) as pytorch-fid ports it from TensorFlow's
2015-12-05 graph: torchvision's Inception v3 with 1008 classes whose Mixed_5*/6*/7b pooling
branches average without the zero padding and whose Mixed_7c pools with max instead of mean.
Pool3 features: (B, 2048).

Weights: pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth`` (a state dict of this network).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import inception as tv

from ttsf.pretrained.loading import freeze, load_checked, read_state_dict
from ttsf.pretrained.syncnet_lse import with_bn_counters

WHAT = "FID Inception v3 (pytorch-fid pt_inception-2015-12-05)"
HOW_TO_GET = (
    "On a machine with network, download pt_inception-2015-12-05-6726825d.pth from "
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
    "pt_inception-2015-12-05-6726825d.pth and set metric_conf.fid.weights to it."
)


class FIDInceptionA(tv.InceptionA):
    """InceptionA whose pool branch ignores padding (TF's AvgPool)."""

    def _forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        pool = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
        return [self.branch1x1(x), b5, b3, self.branch_pool(pool)]


class FIDInceptionC(tv.InceptionC):
    """InceptionC whose pool branch ignores padding."""

    def _forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = x
        for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3,
                      self.branch7x7dbl_4, self.branch7x7dbl_5):  # fmt: skip
            bd = layer(bd)
        pool = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
        return [self.branch1x1(x), b7, bd, self.branch_pool(pool)]


class FIDInceptionE(tv.InceptionE):
    """InceptionE; ``max_pool`` selects TF's max pooling of the last block (Mixed_7c)."""

    def __init__(self, in_channels: int, max_pool: bool = False) -> None:
        super().__init__(in_channels)
        self.max_pool = max_pool

    def _forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        if self.max_pool:
            pool = F.max_pool2d(x, 3, stride=1, padding=1)
        else:
            pool = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
        return [self.branch1x1(x), b3, bd, self.branch_pool(pool)]


def fid_inception_v3() -> tv.Inception3:
    """The 1008-class Inception v3 with FID blocks (random weights)."""
    net = tv.Inception3(num_classes=1008, aux_logits=False, init_weights=False)
    net.Mixed_5b = FIDInceptionA(192, pool_features=32)
    net.Mixed_5c = FIDInceptionA(256, pool_features=64)
    net.Mixed_5d = FIDInceptionA(288, pool_features=64)
    net.Mixed_6b = FIDInceptionC(768, channels_7x7=128)
    net.Mixed_6c = FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6d = FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6e = FIDInceptionC(768, channels_7x7=192)
    net.Mixed_7b = FIDInceptionE(1280)
    net.Mixed_7c = FIDInceptionE(2048, max_pool=True)
    return net


class InceptionPool3(nn.Module):
    """images (B, 3, H, W) in [0, 1] -> pool3 features (B, 2048).

    Images are resized to 299x299 (bilinear) and mapped to [-1, 1], as pytorch-fid does.
    """

    def __init__(self, net: tv.Inception3) -> None:
        super().__init__()
        self.net = net

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        n = self.net
        x = F.interpolate(images, size=(299, 299), mode="bilinear", align_corners=False)
        x = 2 * x - 1
        x = n.Conv2d_2b_3x3(n.Conv2d_2a_3x3(n.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)
        x = n.Conv2d_4a_3x3(n.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, 3, stride=2)
        for name in ("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c",
                     "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"):  # fmt: skip
            x = getattr(n, name)(x)
        return F.adaptive_avg_pool2d(x, 1).flatten(1)


def load_fid_inception(path: str | Path) -> InceptionPool3:
    """Frozen pool3 extractor from pytorch-fid's Inception state-dict file."""
    net = fid_inception_v3()
    state = with_bn_counters(net, read_state_dict(path, WHAT, HOW_TO_GET))
    load_checked(net, state, path, WHAT, HOW_TO_GET)
    return freeze(InceptionPool3(freeze(net)))
