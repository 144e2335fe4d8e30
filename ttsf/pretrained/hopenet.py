"""Hopenet head-pose network (Ruiz et al., CVPR-W 2018; TTSF §4.1 DIV, following SadTalker):
a ResNet-50 with three 66-bin classifiers (yaw, pitch, roll in 3-degree bins from -99 deg),
in the state-dict layout of natanielruiz/deep-head-pose (``hopenet_robust_alpha1.pkl``).

Input: (B, 3, 224, 224) RGB face crops, ImageNet-normalised; output: (B, 3) degrees.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torchvision.models.resnet import Bottleneck, ResNet

from ttsf.pretrained.loading import freeze, load_checked, read_state_dict
from ttsf.pretrained.syncnet_lse import with_bn_counters

WHAT = "Hopenet (deep-head-pose ResNet-50 state dict)"
HOW_TO_GET = (
    "On a machine with network, download hopenet_robust_alpha1.pkl from the links in "
    "https://github.com/natanielruiz/deep-head-pose (README, 'Pretrained models') and set "
    "metric_conf.div.weights to it."
)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Hopenet(ResNet):
    """ResNet-50 trunk (no ImageNet ``fc``) + ``fc_yaw``/``fc_pitch``/``fc_roll`` bin classifiers.

    ``fc_finetune`` exists in the published files (unused at inference) and is kept so they load.

    Args:
        num_bins: angle bins per axis (66 bins of 3 degrees from -99).
    """

    def __init__(self, num_bins: int = 66) -> None:
        super().__init__(Bottleneck, [3, 4, 6, 3])
        del self.fc
        width = 512 * Bottleneck.expansion
        self.fc_yaw = nn.Linear(width, num_bins)
        self.fc_pitch = nn.Linear(width, num_bins)
        self.fc_roll = nn.Linear(width, num_bins)
        self.fc_finetune = nn.Linear(width + 3, 3)
        self.register_buffer("bin_deg", torch.arange(num_bins).float() * 3 - 99, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (Tensor): (B, 3, 224, 224) normalised -> (B, 3) yaw, pitch, roll in degrees
        (expectation over the softmax of each axis' bins)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        f = torch.flatten(self.avgpool(x), 1)
        heads = (self.fc_yaw, self.fc_pitch, self.fc_roll)
        return torch.stack([h(f).softmax(-1) @ self.bin_deg for h in heads], 1)


def load_hopenet(path: str | Path) -> Hopenet:
    """Frozen :class:`Hopenet` from a deep-head-pose state-dict file."""
    net = Hopenet()
    state = with_bn_counters(net, read_state_dict(path, WHAT, HOW_TO_GET))
    load_checked(net, state, path, WHAT, HOW_TO_GET)
    return freeze(net)
