"""bench/grad_by_term.py: each group of loss terms reaches the modules it should, and only those."""

import sys
from pathlib import Path

import pytest
import torch
from tiny_dump import TINY_JOINT

from ttsf.registry import get_registry

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from grad_by_term import grad_norms_by_term, term_groups  # noqa: E402


def test_term_groups_split_the_weights():
    groups = term_groups({"tts": 1.0, "voice_pose": 2.0, "rec": 1.0, "sync": 0.03})
    assert groups["tts"] == {"tts": 1.0, "voice_pose": 0.0, "rec": 0.0, "sync": 0.0}
    assert groups["voice_pose"] == {"tts": 0.0, "voice_pose": 2.0, "rec": 0.0, "sync": 0.0}
    assert groups["frames"] == {"tts": 0.0, "voice_pose": 0.0, "rec": 1.0, "sync": 0.03}


@pytest.mark.parametrize("lip_grad_to_tts", [True, False])
def test_grad_norms_follow_the_graph(dump, lip_grad_to_tts):
    task = get_registry("task").build("ttsf")
    cfg = {**TINY_JOINT,
           "loss_weights": {**TINY_JOINT["loss_weights"], "lambda_voice_pose": 1.0},
           "losses": {**TINY_JOINT["losses"], "voice_pose": {"name": "code_consistency"}},
           "model_conf": {"lip_grad_to_tts": lip_grad_to_tts}}  # fmt: skip
    torch.manual_seed(0)
    model = task.build_model(cfg, str(dump))
    ds = task.build_dataset(cfg, str(dump), train=True)
    weights = dict(model.weights)
    norms = grad_norms_by_term(model, [task.collate_fn(cfg)([ds[0], ds[1]])])
    assert model.weights == weights  # restored
    # the voice_pose term trains only the projection (its face codes are detached)
    assert norms["voice_pose"]["projection"] > 0
    assert norms["voice_pose"]["E"] == norms["voice_pose"]["tts.encoder"] == 0
    assert norms["voice_pose"]["mapper"] == 0
    assert norms["tts"]["tts.encoder"] > 0 and norms["tts"]["mapper"] == 0
    assert norms["frames"]["E"] > 0 and norms["frames"]["mapper"] > 0
    assert (norms["frames"]["tts.encoder"] > 0) == lip_grad_to_tts
