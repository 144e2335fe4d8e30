"""TFG losses: l1, vgg19_perceptual, identity, sync (pretrained nets built with random weights,
saved in their original file format and loaded through the real loaders)."""

from __future__ import annotations

import logging

import pytest
import torch

from ttsf.config import build
from ttsf.losses.identity import IdentityLoss
from ttsf.losses.sync import SyncLoss
from ttsf.losses.vgg19_perceptual import VGG19PerceptualLoss
from ttsf.pretrained.iresnet import IRESNET_LAYERS, IResNet
from ttsf.pretrained.syncnet import save_syncnet
from ttsf.pretrained.vgg19 import build_vgg19_features
from ttsf.tfg.syncnet import SyncNet


@pytest.fixture(scope="module")
def vgg_file(tmp_path_factory):
    import torchvision

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("vgg") / "vgg19.pth"
    torch.save(torchvision.models.vgg19(weights=None).state_dict(), path)
    return path


def test_l1_with_mask():
    loss = build({"loss": "l1"}, "loss")
    pred, target = torch.zeros(3, 2, 2), torch.ones(3, 2, 2)
    target[2] = 5.0
    assert float(loss(pred, target)) == pytest.approx((1 + 1 + 5) / 3)
    assert float(loss(pred, target, mask=torch.tensor([1, 1, 0]))) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="pred"):
        loss(pred, target[:2])


def test_l1_region_weighs_errors_inside_the_box_only():
    loss = build({"loss": "l1", "loss_conf": {"region": [0.5, 1.0, 0.25, 0.75],
                                             "region_weight": 5.0}}, "loss")  # fmt: skip
    pred = torch.zeros(1, 3, 8, 8)
    inside, outside = torch.zeros_like(pred), torch.zeros_like(pred)
    inside[0, :, 6, 4] = 1.0  # rows 4-7, columns 2-5: a box of 16 pixels
    outside[0, :, 1, 4] = 1.0
    assert float(loss(pred, outside)) == pytest.approx(1 / 64)
    assert float(loss(pred, inside)) == pytest.approx(1 / 64 + 5.0 / 16)
    tiny = torch.zeros(1, 3, 2, 2)  # the box keeps a row and a column at any size
    assert float(loss(tiny, tiny + 1)) == pytest.approx(6.0)
    for bad in ({"region": [0.6, 0.5, 0, 1]}, {"region_weight": 1.0}):
        with pytest.raises(ValueError, match="region"):
            build({"loss": "l1", "loss_conf": bad}, "loss")


@pytest.mark.parametrize("cls", [VGG19PerceptualLoss, IdentityLoss, SyncLoss])
def test_unconfigured_loss_is_off_with_a_warning(cls, caplog):
    with caplog.at_level(logging.WARNING):
        loss = cls()
    assert not loss.enabled
    assert "switched OFF" in caplog.text and "_path" in caplog.text
    assert "Get" in caplog.text or "train" in caplog.text  # says how to obtain the weights
    x = torch.rand(1, 5, 3, 32, 32) if cls is SyncLoss else torch.rand(1, 3, 32, 32)
    assert float(loss(x, torch.rand(1, 80, 20) if cls is SyncLoss else x)) == 0.0


def test_vgg19_perceptual(vgg_file):
    loss = VGG19PerceptualLoss(vgg_path=str(vgg_file), scales=(1.0, 0.5))
    loss.train()
    assert not loss.vgg.training and not any(p.requires_grad for p in loss.parameters())
    assert len(loss.vgg) == 30  # cut after relu5_1
    torch.manual_seed(0)
    target = torch.rand(2, 3, 64, 64) * 2 - 1
    assert float(loss(target, target)) == 0.0
    pred = (target + 0.3 * torch.randn_like(target)).requires_grad_(True)
    value = loss(pred, target)
    value.backward()
    value = value.detach()
    assert value > 0 and pred.grad.abs().sum() > 0
    # an independent reference for one layer: relu1_1 of torchvision's features
    one = VGG19PerceptualLoss(str(vgg_file), layers=["relu1_1"], layer_weights=[1.0])
    feats = build_vgg19_features()
    feats.load_state_dict({k[9:]: v for k, v in torch.load(vgg_file).items() if "features" in k})
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def relu11(x):
        return feats[:2](((x + 1) / 2 - mean) / std)

    ref = (relu11(pred) - relu11(target)).abs().mean()
    torch.testing.assert_close(one(pred, target), ref)


def test_identity_loss(tmp_path):
    torch.manual_seed(0)
    net = IResNet(IRESNET_LAYERS[18]).eval()
    for m in net.modules():  # non-trivial BatchNorm statistics, as in a trained file
        if isinstance(m, torch.nn.BatchNorm2d | torch.nn.BatchNorm1d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    torch.save(net.state_dict(), tmp_path / "backbone.pth")
    loss = IdentityLoss(recognizer_path=str(tmp_path / "backbone.pth"), depth=18)
    loss.train()
    assert not loss.recognizer.training
    target = torch.rand(2, 3, 128, 128) * 2 - 1
    assert float(loss(target, target)) == pytest.approx(0.0, abs=1e-5)
    pred = torch.rand(2, 3, 128, 128).mul(2).sub(1).requires_grad_(True)
    value = loss(pred, target)
    value.backward()
    value = value.detach()
    assert 0 < value.item() <= 2 and pred.grad.abs().sum() > 0
    # reference: cosine distance of the recogniser's embeddings of the pSp crop
    crop = (slice(None), slice(None), slice(18, 112), slice(16, 110))
    resize = torch.nn.functional.interpolate
    with torch.no_grad():
        e_p = net(resize(pred[crop], size=(112, 112), mode="bilinear"))
        e_t = net(resize(target[crop], size=(112, 112), mode="bilinear"))
    ref = 1 - torch.nn.functional.cosine_similarity(e_p, e_t).mean()
    assert value.item() == pytest.approx(float(ref), abs=1e-5)


def test_sync_loss(tmp_path):
    torch.manual_seed(0)
    net = SyncNet(n_mels=16, face_size=32, emb_dim=16, widths=(8, 16))
    save_syncnet(net, tmp_path / "expert.pth")
    loss = SyncLoss(syncnet_path=str(tmp_path / "expert.pth"), window_stride=2)
    frames = (torch.rand(2, 9, 3, 32, 32) * 2 - 1).requires_grad_(True)
    mel = torch.randn(2, 16, 36)
    value = loss(frames, mel, n_frames=torch.tensor([9, 6]))
    value.backward()
    value = value.detach()
    assert torch.isfinite(value) and value > 0
    assert frames.grad[0].abs().sum() > 0
    assert frames.grad[1, 6:].abs().sum() == 0  # padded frames get no gradient
    # reference: windows (0,0) (0,2) (0,4) (1,0), each BCE towards 1 on the cosine
    net.eval()
    wins = [(0, 0), (0, 2), (0, 4), (1, 0)]
    with torch.no_grad():
        p = torch.stack([net(mel[i : i + 1, :, 4 * s : 4 * s + 20], frames[i : i + 1, s : s + 5])[0]
                         for i, s in wins])  # fmt: skip
    assert value.item() == pytest.approx(float(-torch.log(p.clamp(1e-7, 1)).mean()), rel=1e-4)
    assert float(loss(frames[:, :4], mel)) == 0.0  # no complete window


def test_loss_networks_stay_out_of_model_checkpoints(tmp_path):
    """A model holding the losses saves none of the frozen networks and loads strictly from a
    checkpoint without them."""
    torch.manual_seed(0)
    net = SyncNet(n_mels=16, face_size=32, emb_dim=16, widths=(8, 16))
    save_syncnet(net, tmp_path / "expert.pth")
    model = torch.nn.ModuleDict(
        {"gen": torch.nn.Linear(2, 2), "losses": torch.nn.ModuleDict(
            {"sync": SyncLoss(str(tmp_path / "expert.pth")), "id": IdentityLoss()})}
    )  # fmt: skip
    state = model.state_dict()
    assert sorted(state) == ["gen.bias", "gen.weight"]
    expert = model["losses"]["sync"].syncnet.face_encoder[0][0].weight.clone()
    model.load_state_dict({k: torch.zeros_like(v) for k, v in state.items()})  # strict
    assert model["gen"].weight.abs().sum() == 0
    torch.testing.assert_close(model["losses"]["sync"].syncnet.face_encoder[0][0].weight, expert)
