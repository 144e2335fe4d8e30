"""IResNet face recogniser (ArcFace, Deng et al. CVPR 2019; "improved ResNet", Duta et al.
2020) for the identity loss, in the state-dict layout of insightface's ``arcface_torch``
``backbone.pth`` files (the layout CurricularFace-trained IResNets are also published in).

Input: (B, 3, 112, 112) aligned faces in [-1, 1]; output: (B, 512) embedding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch
from torch import nn

from ttsf.pretrained.loading import freeze, load_checked, read_state_dict

WHAT = "IResNet face recogniser (insightface arcface_torch format)"
HOW_TO_GET = (
    "Get an IResNet-50 'backbone.pth' from insightface's arcface_torch model zoo "
    "(https://github.com/deepinsight/insightface/tree/master/recognition/arcface_torch, e.g. "
    "ms1mv3_arcface_r50_fp16/backbone.pth) and set its path in the config."
)

#: blocks per stage of the published depths.
IRESNET_LAYERS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3), 50: (3, 4, 14, 3), 100: (3, 13, 30, 3)}


class IBasicBlock(nn.Module):
    """BN - conv3x3 - BN - PReLU - conv3x3(stride) - BN, plus a (projected) shortcut."""

    def __init__(self, in_planes: int, planes: int, stride: int) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes, eps=1e-5)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, eps=1e-5)
        self.prelu = nn.PReLU(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes, eps=1e-5)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride, bias=False),
                nn.BatchNorm2d(planes, eps=1e-5),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        return out + (x if self.downsample is None else self.downsample(x))


class IResNet(nn.Module):
    """Args:
    layers: blocks per stage, e.g. (3, 4, 14, 3) for IResNet-50.
    num_features: embedding size (512).
    """

    input_size = 112

    def __init__(self, layers: Sequence[int] = IRESNET_LAYERS[50], num_features: int = 512):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64, eps=1e-5)
        self.prelu = nn.PReLU(64)
        planes, stages = 64, []
        for i, n in enumerate(layers):
            out = 64 * 2**i
            stages.append(
                nn.Sequential(*(IBasicBlock(planes if j == 0 else out, out, 2 if j == 0 else 1)
                                for j in range(n)))
            )  # fmt: skip
            planes = out
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.bn2 = nn.BatchNorm2d(planes, eps=1e-5)
        self.fc = nn.Linear(planes * 7 * 7, num_features)
        self.features = nn.BatchNorm1d(num_features, eps=1e-5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (Tensor): (B, 3, 112, 112) in [-1, 1] -> (B, num_features) embedding."""
        x = self.prelu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.features(self.fc(self.bn2(x).flatten(1)))


def load_iresnet(path: str | Path, depth: int = 50) -> IResNet:
    """Frozen IResNet-``depth`` from an arcface_torch ``backbone.pth`` state dict file."""
    if depth not in IRESNET_LAYERS:
        raise ValueError(f"IResNet depth must be one of {sorted(IRESNET_LAYERS)}, got {depth}")
    state = read_state_dict(path, WHAT, HOW_TO_GET)
    model = IResNet(IRESNET_LAYERS[depth])
    load_checked(model, state, path, WHAT, HOW_TO_GET)
    return freeze(model)
