import pytest
import torch

from ttsf.pretrained.inception_fid import fid_inception_v3, load_fid_inception
from ttsf.pretrained.loading import PretrainedWeightsError


def test_loads_a_random_pytorch_fid_state_dict_and_gives_pool3(tmp_path):
    net = fid_inception_v3()
    sd = net.state_dict()
    # the published file holds the 1008-way classifier too
    assert sd["fc.weight"].shape == (1008, 2048)
    torch.save(sd, tmp_path / "pt_inception.pth")
    model = load_fid_inception(tmp_path / "pt_inception.pth")
    assert torch.equal(
        model.net.Mixed_7c.branch_pool.conv.weight, sd["Mixed_7c.branch_pool.conv.weight"]
    )
    feats = model(torch.rand(2, 3, 64, 64))
    assert feats.shape == (2, 2048) and torch.isfinite(feats).all()
    assert (feats >= 0).all()  # pool3 follows ReLUs


def test_rejects_other_networks(tmp_path):
    from torchvision.models import inception_v3

    torch.save(inception_v3(weights=None, aux_logits=False, init_weights=False).state_dict(),
               tmp_path / "imagenet.pth")  # fmt: skip
    with pytest.raises(PretrainedWeightsError, match="shape mismatch"):
        load_fid_inception(tmp_path / "imagenet.pth")  # 1000 classes, not 1008
    with pytest.raises(PretrainedWeightsError, match="does not exist"):
        load_fid_inception(tmp_path / "none.pth")
