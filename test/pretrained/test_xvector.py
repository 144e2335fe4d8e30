import numpy as np
import pytest
import torch

from ttsf.metrics.cs_sim import CSim
from ttsf.pretrained.loading import PretrainedWeightsError
from ttsf.pretrained.xvector import load_xvector, xvector_embed

# spkrec-xvect-voxceleb's hyperparams.yaml layout, with a tiny TDNN
HPARAMS = """
pretrained_path: speechbrain/spkrec-xvect-voxceleb
n_mels: 24
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: !ref <n_mels>
mean_var_norm: !new:speechbrain.processing.features.InputNormalization
    norm_type: sentence
    std_norm: False
embedding_model: !new:speechbrain.lobes.models.Xvector.Xvector
    in_channels: !ref <n_mels>
    activation: !name:torch.nn.LeakyReLU
    tdnn_blocks: 5
    tdnn_channels: [16, 16, 16, 16, 32]
    tdnn_kernel_sizes: [5, 3, 3, 1, 1]
    tdnn_dilations: [1, 2, 3, 1, 1]
    lin_neurons: 8
modules:
    compute_features: !ref <compute_features>
    mean_var_norm: !ref <mean_var_norm>
    embedding_model: !ref <embedding_model>
pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        embedding_model: !ref <embedding_model>
    paths:
        embedding_model: !ref <pretrained_path>/embedding_model.ckpt
"""


def make_folder(path, channels=(16, 16, 16, 16, 32)):
    from speechbrain.lobes.models.Xvector import Xvector

    path.mkdir()
    (path / "hyperparams.yaml").write_text(HPARAMS)
    net = Xvector(in_channels=24, tdnn_channels=list(channels), lin_neurons=8)
    torch.save(net.state_dict(), path / "embedding_model.ckpt")
    return net


def test_loads_a_random_speechbrain_folder_and_c_sim_of_self_is_one(tmp_path):
    net = make_folder(tmp_path / "xvect")
    model = load_xvector(tmp_path / "xvect")
    for k, v in net.state_dict().items():
        assert torch.equal(model.mods.embedding_model.state_dict()[k], v)
    wav = 0.1 * np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    emb = xvector_embed(model, wav)
    assert emb.shape == (8,)
    m = CSim(backend="xvector", model_dir=str(tmp_path / "xvect"))
    s = m.score({"utt": "u1", "hyp_wav": wav, "ref_wav": wav})
    assert s["cs_sim"] == pytest.approx(1.0, abs=1e-6)
    tone = 0.3 * np.sin(2 * np.pi * 300 * np.arange(16000) / 16000).astype(np.float32)
    other = m.score({"utt": "u2", "hyp_wav": wav, "ref_wav": tone})
    assert other["cs_sim"] < 1.0 - 1e-6
    assert set(m.embeddings()) == {"u1", "u2"}


def test_rejects_malformed_folders(tmp_path):
    with pytest.raises(PretrainedWeightsError, match="hyperparams.yaml does not exist"):
        load_xvector(tmp_path)
    make_folder(tmp_path / "bad")
    # a checkpoint of another width: SpeechBrain itself would fail on shapes -> clear error
    from speechbrain.lobes.models.Xvector import Xvector

    wrong = Xvector(in_channels=24, tdnn_channels=[8, 8, 8, 8, 16], lin_neurons=8)
    torch.save(wrong.state_dict(), tmp_path / "bad" / "embedding_model.ckpt")
    with pytest.raises(PretrainedWeightsError, match="not a usable|shape"):
        load_xvector(tmp_path / "bad")
    # right shapes, missing keys: SpeechBrain only warns (strict=False); we refuse
    state = Xvector(in_channels=24, tdnn_channels=[16, 16, 16, 16, 32], lin_neurons=8)
    state = {k: v for k, v in state.state_dict().items() if not k.startswith("blocks.0")}
    torch.save(state, tmp_path / "bad" / "embedding_model.ckpt")
    with pytest.raises(PretrainedWeightsError, match="missing key"):
        load_xvector(tmp_path / "bad")
