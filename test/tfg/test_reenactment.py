"""Reference-driven animation (ttsf-animate): the library function and the CLI end to end."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
import yaml

from ttsf.bin.animate import main
from ttsf.tfg.generator import LiaFlowGenerator
from ttsf.tfg.motion_extractor import LiaOrthogonalMotionExtractor
from ttsf.tfg.reenactment import animate, to_model_images, to_uint8_frames

G_CONF = {"image_size": 32, "style_dim": 16, "channel_base": 256, "max_channels": 16}
M_CONF = {"style_dim": 16, "n_motions": 4}


def _nets():
    torch.manual_seed(0)
    g, m = LiaFlowGenerator(**G_CONF).eval(), LiaOrthogonalMotionExtractor(**M_CONF).eval()
    with torch.no_grad():  # a flow that depends on the style, as after training
        for octave in g.octaves:
            octave.to_flow.conv.weight.normal_(std=0.3)
    return g, m


def test_driving_with_the_portrait_itself_reconstructs_the_source_path():
    g, m = _nets()
    portrait = torch.rand(1, 3, 32, 32) * 2 - 1
    driver = torch.cat([portrait, torch.rand(4, 3, 32, 32) * 2 - 1])
    out = torch.cat(list(animate(g, m, portrait, driver, batch_size=2)))
    assert out.shape == (5, 3, 32, 32)
    with torch.no_grad():
        f_s, feats = g.encode(portrait)
        ref = g.decode(f_s[:, None].expand(1, g.n_styles, -1), feats)
    torch.testing.assert_close(out[:1], ref, rtol=1e-4, atol=1e-5)  # f_id + f_m_s == f_s
    assert (out[1:] - out[:1]).abs().amax() > 1e-3  # other drivers move it
    # relative transfer: the first driving frame maps to the portrait's own motion
    rel = torch.cat(list(animate(g, m, portrait, driver[1:], batch_size=3, relative=True)))
    torch.testing.assert_close(rel[:1], ref, rtol=1e-4, atol=1e-5)


def test_a_lower_face_masked_model_takes_the_head_but_not_the_mouth_of_the_driver():
    g, m = _nets()
    portrait = torch.rand(1, 3, 32, 32) * 2 - 1
    driver = torch.rand(3, 3, 32, 32) * 2 - 1
    other_mouth = driver.clone()
    other_mouth[:, :, 16:] = torch.rand(3, 3, 16, 32) * 2 - 1
    upper_moved = driver.clone()
    upper_moved[:, :, :16] = torch.rand(3, 3, 16, 32) * 2 - 1

    def run(d, mask):
        return torch.cat(list(animate(g, m, portrait, d, mask_lower_face=mask)))

    torch.testing.assert_close(run(driver, True), run(other_mouth, True))
    assert (run(driver, True) - run(upper_moved, True)).abs().amax() > 1e-3
    assert (run(driver, False) - run(other_mouth, False)).abs().amax() > 1e-3


def test_image_conversions():
    img = np.random.default_rng(0).integers(0, 256, (2, 40, 60, 3), dtype=np.uint8)
    x = to_model_images(img, 40)
    assert x.shape == (2, 3, 40, 40) and x.min() >= -1 and x.max() <= 1
    np.testing.assert_array_equal(to_uint8_frames(x), img[:, :, 10:50])
    with pytest.raises(ValueError, match="RGB"):
        to_model_images(img[..., :2], 32)


def _cli_args(tmp_path, **cfg_extra) -> list[str]:
    """A saved model, its config (plus ``cfg_extra``), a portrait and a 7-frame driver."""
    from PIL import Image

    from ttsf.video.io import write_video

    g, m = _nets()
    state = {f"face_generator.{k}": v for k, v in g.state_dict().items()}
    state |= {f"motion_extractor.{k}": v for k, v in m.state_dict().items()}
    torch.save(state, tmp_path / "model.pth")
    cfg = {"face_generator": "lia_flow", "face_generator_conf": G_CONF,
           "motion_extractor": "lia_orthogonal", "motion_extractor_conf": M_CONF,
           **cfg_extra}  # fmt: skip
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)).save(tmp_path / "face.png")
    write_video(tmp_path / "drive.mp4", rng.integers(0, 256, (7, 48, 64, 3), dtype=np.uint8))
    return ["--config", str(tmp_path / "config.yaml"), "--model", str(tmp_path / "model.pth"),
            "--image", str(tmp_path / "face.png"), "--driver", str(tmp_path / "drive.mp4"),
            "--batch_size", "3"]  # fmt: skip


def test_cli_animates_as_the_model_was_trained(tmp_path, monkeypatch):
    import ttsf.tfg.reenactment as reenactment

    seen = {}
    real = reenactment.animate
    monkeypatch.setattr(reenactment, "animate", lambda *a, **k: (seen.update(k), real(*a, **k))[1])
    args = _cli_args(tmp_path, model_conf={"motion_layers": [1, 2, 3], "mask_lower_face": True})
    assert main([*args, "--out", str(tmp_path / "out.mp4")]) == 0
    assert seen == {"motion_layers": [1, 2, 3], "mask_lower_face": True}


def test_cli_end_to_end(tmp_path):
    from ttsf.video.io import probe

    args = _cli_args(tmp_path)
    assert main([*args, "--out", str(tmp_path / "out.mp4")]) == 0
    info = probe(tmp_path / "out.mp4")
    assert (info.num_frames, info.width, info.height) == (7, 32, 32)
    # a model file without the generator is refused with a message, not a traceback
    torch.save({"tts.x": torch.zeros(1)}, tmp_path / "tts.pth")
    args[3] = str(tmp_path / "tts.pth")
    assert main([*args, "--out", str(tmp_path / "bad.mp4")]) == 2
    assert not (tmp_path / "bad.mp4").exists()


_FAULTS_OF_A_DECODE = """
import resource, sys, torch
from ttsf.tfg.cpu_allocator import keep_freed_memory_on_cpu
from ttsf.tfg.generator import LiaFlowGenerator
assert not keep_freed_memory_on_cpu("cuda:0")  # a GPU's memory is not glibc's: nothing changed
if sys.argv[1] == "keep":
    assert keep_freed_memory_on_cpu("cpu")
if sys.argv[1] == "opted_out":
    assert not keep_freed_memory_on_cpu("cpu")
    sys.exit(print(0))
torch.set_num_threads(1)
g = LiaFlowGenerator(256, 64, channel_base=4096, max_channels=128).eval()
with torch.no_grad():
    _, feats = g.encode(torch.zeros(1, 3, 256, 256))
    styles = torch.zeros(8, g.n_styles, 64)
    for _ in range(2):  # the heap grows towards its steady state
        g.decode(styles, feats)
    faults = []
    for _ in range(3):
        r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        g.decode(styles, feats)
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0)
# the fewest of three calls: a kept heap may still grow once by its 64 MB pad (16k faults) on
# a busy machine, while glibc's defaults fault every call (45-75k, measured)
print(min(faults))
"""


def test_keep_freed_memory_stops_page_faults():
    """A repeated decoder call page-faults its working set again under glibc's defaults, and
    hardly at all once freed memory is kept, by mallopt (the inference CLIs) or by the same
    settings as GLIBC_TUNABLES (the benchmarks' children). Fresh processes: the setting is
    process-wide."""
    import subprocess
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("glibc only")

    from ttsf.tfg.cpu_allocator import GLIBC_TUNABLES

    # glibc's defaults are the reference: drop any tunables and preload of the environment
    drop = ("LD_PRELOAD", "GLIBC_TUNABLES", "TTSF_DEFAULT_MALLOC")
    env = {k: v for k, v in os.environ.items() if k not in drop}

    def faults(mode: str, **extra_env: str) -> int:
        cmd = [sys.executable, "-c", _FAULTS_OF_A_DECODE, mode]
        run_env = {**env, **extra_env}
        return int(subprocess.run(cmd, capture_output=True, text=True, check=True,
                                  env=run_env).stdout)  # fmt: skip

    default, kept = faults("default"), faults("keep")
    assert kept * 4 < default, (kept, default)  # typically 0 vs ~45-75k
    tunables = faults("default", GLIBC_TUNABLES=GLIBC_TUNABLES)
    assert tunables * 4 < default, (tunables, default)
    faults("opted_out", TTSF_DEFAULT_MALLOC="1")  # asserts that the CLIs' call stands down
