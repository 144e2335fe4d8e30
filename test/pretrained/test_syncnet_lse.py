import numpy as np
import pytest
import torch

from ttsf.pretrained.loading import PretrainedWeightsError
from ttsf.pretrained.syncnet_lse import SyncNetS, load_syncnet_lse, syncnet_mfcc


def test_loads_random_syncnet_v2_state_dict_including_pre_0_4_files(tmp_path):
    net = SyncNetS()
    sd = net.state_dict()
    torch.save(sd, tmp_path / "syncnet_v2.model")
    model = load_syncnet_lse(tmp_path / "syncnet_v2.model")
    assert torch.equal(model.netcnnlip[18].weight, sd["netcnnlip.18.weight"])
    # files from PyTorch < 0.4.1 have no BatchNorm counters
    old = {k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")}
    torch.save(old, tmp_path / "old.model")
    load_syncnet_lse(tmp_path / "old.model")
    a = model.forward_aud(torch.randn(3, 1, 13, 20))
    v = model.forward_lip(torch.rand(3, 3, 5, 224, 224) * 255)
    assert a.shape == v.shape == (3, 1024)


def test_rejects_other_files(tmp_path):
    torch.save({"netcnnaud.0.weight": torch.zeros(3)}, tmp_path / "bad.model")
    with pytest.raises(PretrainedWeightsError, match="missing key"):
        load_syncnet_lse(tmp_path / "bad.model")
    with pytest.raises(PretrainedWeightsError, match="syncnet_python"):
        load_syncnet_lse(tmp_path / "absent.model")


def test_mfcc_framing_and_energy_coefficient():
    x = np.random.default_rng(0).standard_normal(16000) * 3000
    m = syncnet_mfcc(x)
    assert m.shape == (13, 1 + int(np.ceil((16000 - 400) / 160)))  # 99 frames
    pre = np.append(x[0], x[1:] - 0.97 * x[:-1])
    energy = np.sum(np.abs(np.fft.rfft(pre[160:560], 512)) ** 2) / 512
    assert m[0, 1] == pytest.approx(np.log(energy))
    assert np.isfinite(m).all()
