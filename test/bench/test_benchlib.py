"""The benchmark helpers measure what they claim: interleaving order and counts, the forced
speaking rate (equal output lengths on both sides of a comparison), text of a given length,
FLOP counting, and the allocator environment."""

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import benchlib  # noqa: E402


def test_interleaved_alternates_and_counts():
    calls = []
    fns = {name: (lambda n=name: calls.append(n)) for name in "ab"}
    times = benchlib.interleaved(fns, reps=4, warmup=1)
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b", "b", "a"]  # warm-up, then rotating
    assert {k: len(v) for k, v in times.items()} == {"a": 4, "b": 4}
    assert benchlib.fmt_times([3.0, 1.0, 2.0], scale=2.0, digits=1) == "1.0 (0.5)"


def test_forced_durations_give_exact_frames_per_token():
    from ttsf.registry import get_registry

    tts = get_registry("tts").build(
        "matcha",
        {"tts_conditioning_conf": {"style_dim": 8}, "spk_emb_dim": 4,
         "encoder_conf": {"n_channels": 16, "filter_channels": 32, "filter_channels_dp": 16,
                          "n_layers": 1},
         "decoder_conf": {"channels": [16, 16], "attention_head_dim": 8}},
        vocab_size=20,
    ).eval()  # fmt: skip
    benchlib.set_token_duration(tts.encoder.proj_w.proj)
    with torch.inference_mode():
        out = tts.inference(torch.randint(2, 20, (1, 9)), torch.tensor([9]),
                            cond=torch.randn(1, 8), n_timesteps=1)  # fmt: skip
    assert out["mel"].shape == (1, 80, 9 * benchlib.FRAMES_PER_TOKEN)
    assert out["durations"].tolist() == [[benchlib.FRAMES_PER_TOKEN] * 9]


def test_text_of_seconds_reaches_the_length_within_a_word():
    from ttsf.text.char import CharFrontend

    frontend = CharFrontend()
    text = benchlib.text_of_seconds(10.0, frontend)
    from ttsf.synthesis import split_sentences

    sentences = split_sentences(text)
    n = sum(len(frontend.text2ids(s)) for s in sentences)
    want = 10.0 * 100 / benchlib.FRAMES_PER_TOKEN
    assert want <= n < want + 15  # one more word at most
    assert all(len(s.split()) <= 12 for s in sentences) and len(sentences) >= 2


def test_count_flops_of_a_matmul_and_the_matmul_reference():
    a, b = torch.randn(32, 64), torch.randn(64, 16)
    assert benchlib.count_flops(lambda: a @ b) == 2 * 32 * 64 * 16
    assert benchlib.gflops_of_matmul([2.0, 1.0], n=1000) == pytest.approx(2.0)


def test_allocator_env_keeps_freed_memory_as_the_inference_clis_do():
    env = benchlib.allocator_env({"PATH": "/bin", "GLIBC_TUNABLES": "glibc.cpu.x86_ibt=on"})
    assert str(benchlib.ROOT) in env["PYTHONPATH"].split(":")
    # the user's own tunables stay; ours are added once, even when applied twice
    assert env["GLIBC_TUNABLES"] == "glibc.cpu.x86_ibt=on:" + benchlib.KEEP_FREED_TUNABLES
    assert benchlib.allocator_env(env)["GLIBC_TUNABLES"] == env["GLIBC_TUNABLES"]
    # glibc's defaults on request: ours removed, the user's kept
    default = benchlib.allocator_env(env, kept=False)
    assert default["GLIBC_TUNABLES"] == "glibc.cpu.x86_ibt=on"
    assert default["TTSF_DEFAULT_MALLOC"] == "1"  # so that ttsf-synthesize's mallopt stands down
    assert "GLIBC_TUNABLES" not in benchlib.allocator_env({"TTSF_DEFAULT_MALLOC": "1"})


def test_train_memory_bench_prints_growth_per_allocator():
    import subprocess

    script = benchlib.ROOT / "bench" / "train_memory.py"
    cmd = [sys.executable, str(script), "--epochs", "2", "--allocators", "default"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    row = out.strip().splitlines()[-1].split()
    assert row[0] == "default", out
    first, last, growth, seconds = map(float, row[1:])
    assert 100 < first < 10_000 and 100 < last < 10_000 and seconds > 0, out
    assert growth == pytest.approx(last - first), out  # two epochs: the one step is the growth
