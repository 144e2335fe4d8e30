"""``init_param`` (ESPnet's): parts of a model started from another experiment's weights."""

import pytest
import torch
from torch import nn

from ttsf.train.checkpoint import load_init_params


def _model(width: int = 3) -> nn.Module:
    return nn.ModuleDict({"enc": nn.Linear(2, width), "dec": nn.Linear(width, 2)})


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = _model()
    torch.save(model.state_dict(), tmp_path / "model.pth")
    return model, tmp_path / "model.pth"


def test_a_submodule_the_whole_model_and_a_renamed_one(saved):
    src, path = saved
    torch.manual_seed(1)
    dst = _model()
    load_init_params(dst, f"{path}:enc")
    assert torch.equal(dst["enc"].weight, src["enc"].weight)
    assert not torch.equal(dst["dec"].weight, src["dec"].weight)  # left alone
    load_init_params(dst, [str(path)])
    assert torch.equal(dst["dec"].bias, src["dec"].bias)
    wrapped = nn.ModuleDict({"inner": _model()})
    load_init_params(wrapped, [f"{path}::inner"])
    assert torch.equal(wrapped["inner"]["enc"].weight, src["enc"].weight)
    load_init_params(dst, None)  # nothing to do


@pytest.mark.parametrize(
    "spec, target, message",
    [
        ("{dir}/nope.pth:enc", None, r"nope.pth does not exist; train it first"),
        ("{path}:body", None, r"has no 'body.\*' weights"),
        ("{path}:enc:body", None, r"the model has no submodule 'body'"),
        ("{path}", 4, r"not fit 'the model' .*: 'enc.weight' is \(3, 2\) there, \(4, 2\) here"),
    ],
)
def test_errors_name_the_spec_and_what_is_wrong(saved, spec, target, message):
    _, path = saved
    model = _model(target) if target else _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises((FileNotFoundError, ValueError), match=message):
        load_init_params(model, [spec.format(path=path, dir=path.parent)])
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_a_submodule_passes_its_weights_to_the_copies_the_model_names(saved):
    src, path = saved
    torch.manual_seed(1)
    dst = _model()
    dst["enc_copy"] = nn.Linear(2, 3)
    dst.init_param_copies = {"enc": ("enc_copy",)}
    load_init_params(dst, f"{path}:enc")
    assert torch.equal(dst["enc_copy"].weight, src["enc"].weight)
    load_init_params(dst, f"{path}:dec")  # only the named submodule's copies follow
    assert torch.equal(dst["enc_copy"].weight, src["enc"].weight)
    torch.manual_seed(2)  # a later spec naming the copy overrides
    other = _model()
    torch.save({"enc.weight": other["enc"].weight, "enc.bias": other["enc"].bias},
               path.parent / "other.pth")
    load_init_params(dst, [f"{path}:enc", f"{path.parent / 'other.pth'}:enc:enc_copy"])
    assert torch.equal(dst["enc"].weight, src["enc"].weight)
    assert torch.equal(dst["enc_copy"].weight, other["enc"].weight)
