import numpy as np
import pytest
import torch

from ttsf.metrics.div import DIV
from ttsf.pretrained.hopenet import Hopenet, load_hopenet
from ttsf.pretrained.loading import PretrainedWeightsError


def test_loads_a_random_deep_head_pose_state_dict(tmp_path):
    net = Hopenet()
    sd = {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    assert sd["fc_yaw.weight"].shape == (66, 2048) and sd["fc_finetune.weight"].shape == (3, 2051)
    torch.save(sd, tmp_path / "hopenet.pkl")  # 2018 files: no BatchNorm counters
    model = load_hopenet(tmp_path / "hopenet.pkl")
    assert torch.equal(model.layer4[2].conv3.weight, sd["layer4.2.conv3.weight"])
    angles = model(torch.randn(2, 3, 224, 224))
    assert angles.shape == (2, 3) and (angles.abs() <= 99).all()
    m = DIV(backend="hopenet", weights=str(tmp_path / "hopenet.pkl"))
    still = np.full((3, 64, 64, 3), 100, dtype=np.uint8)
    assert m.score({"hyp_frames": still})["div"] == pytest.approx(0.0, abs=1e-6)


def test_rejects_a_plain_resnet50(tmp_path):
    from torchvision.models import resnet50

    torch.save(resnet50(weights=None).state_dict(), tmp_path / "r50.pth")
    with pytest.raises(PretrainedWeightsError, match="missing key.*fc_"):
        load_hopenet(tmp_path / "r50.pth")
