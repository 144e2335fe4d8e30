import numpy as np
import pytest
import torch

from ttsf.pretrained.loading import PretrainedWeightsError
from ttsf.pretrained.whisper_asr import load_whisper, whisper_transcribe

DIMS = dict(
    n_mels=80, n_audio_ctx=1500, n_audio_state=16, n_audio_head=2, n_audio_layer=1,
    n_vocab=51865, n_text_ctx=448, n_text_state=16, n_text_head=2, n_text_layer=1,
)  # fmt: skip


def save_random_whisper(path):
    from whisper.model import ModelDimensions, Whisper

    model = Whisper(ModelDimensions(**DIMS))
    with torch.no_grad():  # whisper leaves some weights uninitialised (torch.empty): may be NaN
        for p in model.parameters():
            p.normal_(0.0, 0.02)
    torch.save({"dims": DIMS, "model_state_dict": model.state_dict()}, path)
    return model


def test_loads_a_random_checkpoint_in_whisper_format(tmp_path):
    ref = save_random_whisper(tmp_path / "tiny.pt")
    model = load_whisper(tmp_path / "tiny.pt")
    assert model.dims.n_audio_state == 16 and not model.training
    for k, v in ref.state_dict().items():
        assert torch.equal(model.state_dict()[k], v)
    text = whisper_transcribe(model, np.zeros(16000, dtype=np.float32))
    assert isinstance(text, str)


def test_rejects_malformed_checkpoints(tmp_path):
    with pytest.raises(PretrainedWeightsError, match="does not exist"):
        load_whisper(tmp_path / "missing.pt")
    torch.save({"weights": {}}, tmp_path / "a.pt")
    with pytest.raises(PretrainedWeightsError, match="'dims' and 'model_state_dict'"):
        load_whisper(tmp_path / "a.pt")
    torch.save({"dims": {**DIMS, "n_layers": 3}, "model_state_dict": {}}, tmp_path / "b.pt")
    with pytest.raises(PretrainedWeightsError, match="'dims' does not fit"):
        load_whisper(tmp_path / "b.pt")
    torch.save({"dims": DIMS, "model_state_dict": {"x": torch.zeros(1)}}, tmp_path / "c.pt")
    with pytest.raises(PretrainedWeightsError, match="missing key"):
        load_whisper(tmp_path / "c.pt")
    (tmp_path / "d.pt").write_text("not a checkpoint")
    with pytest.raises(PretrainedWeightsError, match="not a readable"):
        load_whisper(tmp_path / "d.pt")
