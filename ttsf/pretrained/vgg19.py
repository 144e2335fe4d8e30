"""VGG19 feature extractor (Simonyan & Zisserman 2015) for the perceptual loss, from a local
torchvision-format state dict."""

from __future__ import annotations

from pathlib import Path

from torch import nn

from ttsf.pretrained.loading import freeze, load_checked, read_state_dict

WHAT = "VGG19 (torchvision format)"
HOW_TO_GET = (
    "Get torchvision's ImageNet VGG19 weights: the file vgg19-dcbb9e9d.pth from "
    "https://download.pytorch.org/models/ , or on a machine with network run "
    'python -c "import torch, torchvision; torch.save(torchvision.models.vgg19('
    "weights='IMAGENET1K_V1').state_dict(), 'vgg19.pth')\"; then set its path in the config."
)

#: torchvision ``vgg19().features`` index of each named ReLU output.
VGG19_LAYERS = {
    "relu1_1": 1, "relu1_2": 3,
    "relu2_1": 6, "relu2_2": 8,
    "relu3_1": 11, "relu3_2": 13, "relu3_3": 15, "relu3_4": 17,
    "relu4_1": 20, "relu4_2": 22, "relu4_3": 24, "relu4_4": 26,
    "relu5_1": 29, "relu5_2": 31, "relu5_3": 33, "relu5_4": 35,
}  # fmt: skip


def build_vgg19_features() -> nn.Sequential:
    """torchvision's ``vgg19().features`` with random weights (torchvision imported lazily)."""
    import torchvision

    return torchvision.models.vgg19(weights=None).features


def load_vgg19_features(path: str | Path) -> nn.Sequential:
    """Frozen ``vgg19().features`` from a torchvision VGG19 state dict file.

    The file holds the whole classifier (``features.*`` and ``classifier.*``); only the
    convolutional part is kept.
    """
    state = read_state_dict(path, WHAT, HOW_TO_GET)
    features = {k.removeprefix("features."): v for k, v in state.items()}
    model = build_vgg19_features()
    load_checked(model, features, path, WHAT, HOW_TO_GET, ignore_prefixes=("classifier.",))
    return freeze(model)
