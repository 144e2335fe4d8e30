"""Loaders of the TFG's pretrained networks: the original file format loads, others are refused
with an error naming the file and how to get the right one."""

from __future__ import annotations

import pytest
import torch

from ttsf.pretrained.iresnet import IResNet, load_iresnet
from ttsf.pretrained.loading import PretrainedWeightsError
from ttsf.pretrained.vgg19 import load_vgg19_features


def test_vgg19_loader(tmp_path):
    import torchvision

    torch.manual_seed(0)
    ref = torchvision.models.vgg19(weights=None).eval()
    torch.save(ref.state_dict(), tmp_path / "vgg19-dcbb9e9d.pth")
    feats = load_vgg19_features(tmp_path / "vgg19-dcbb9e9d.pth")
    x = torch.randn(1, 3, 32, 32)
    torch.testing.assert_close(feats(x), ref.features(x))
    assert not any(p.requires_grad for p in feats.parameters())
    # a VGG16 file is a different network
    torch.save(torchvision.models.vgg16(weights=None).state_dict(), tmp_path / "vgg16.pth")
    with pytest.raises(PretrainedWeightsError, match="vgg16.pth is not a VGG19.*missing"):
        load_vgg19_features(tmp_path / "vgg16.pth")


def test_iresnet50_loader(tmp_path):
    torch.manual_seed(0)
    ref = IResNet().eval()  # IResNet-50, arcface_torch key layout
    assert sum(p.numel() for p in ref.parameters()) == 43_590_848
    # DDP checkpoints prefix keys with "module."; the loader strips it
    torch.save({f"module.{k}": v for k, v in ref.state_dict().items()}, tmp_path / "backbone.pth")
    net = load_iresnet(tmp_path / "backbone.pth")
    x = torch.rand(2, 3, 112, 112) * 2 - 1
    torch.testing.assert_close(net(x), ref(x))
    with pytest.raises(PretrainedWeightsError, match="288 unexpected key"):
        load_iresnet(tmp_path / "backbone.pth", depth=18)


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(PretrainedWeightsError, match="nope.pth does not exist.*arcface_torch"):
        load_iresnet(tmp_path / "nope.pth")
    with pytest.raises(PretrainedWeightsError, match="download.pytorch.org"):
        load_vgg19_features(tmp_path / "nope.pth")
    (tmp_path / "text.pth").write_text("not a checkpoint")
    with pytest.raises(PretrainedWeightsError, match="not a readable PyTorch state dict"):
        load_vgg19_features(tmp_path / "text.pth")
    torch.save([1, 2, 3], tmp_path / "list.pth")
    with pytest.raises(PretrainedWeightsError, match="does not hold a state dict"):
        load_iresnet(tmp_path / "list.pth")
    torch.save(IResNet((1, 1, 1, 1)).state_dict(), tmp_path / "r_tiny.pth")
    with pytest.raises(PretrainedWeightsError, match="VGG19.*unexpected"):
        load_vgg19_features(tmp_path / "r_tiny.pth")
    with pytest.raises(ValueError, match="depth"):
        load_iresnet(tmp_path / "r_tiny.pth", depth=42)
