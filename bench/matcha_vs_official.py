"""Our acoustic model (ttsf.tts.matcha) vs the official Matcha-TTS, side by side in one process.

    python bench/matcha_vs_official.py [--steps 2 4 10] [--seconds 2 8] [--reps 5] [--threads 2]
        [--no-bf16]

The official model is the ``matcha-tts`` package from PyPI (0.0.7.2), installed by this script on
first use into its own venv ``bench/.venv-matcha`` (gitignored): ``pip install --no-deps`` of it
and of the few packages its model code imports that the project venv lacks (conformer, diffusers
0.25 with the huggingface_hub it was written for, gdown, rich, rootutils, wget); everything else
(torch, lightning, hydra...) is read from the project venv through a ``.pth`` file, so the
project venv is never written to and both models run on the same torch. The script then
re-executes itself with that venv's Python (under the allocator settings of the
inference CLIs) and imports both models.

Same configuration on both sides (Matcha-TTS defaults: RoPE encoder 192/768 x 6, 1-D U-Net
decoder 256-256 with transformer blocks, Euler ODE; a 64-d speaker embedding conditions encoder
and decoder: the official model's speaker table, ours the face_id projection of a 512-d face
vector), random weights, the same token ids, and the duration predictor of both set to 70 ms per
token, so both produce exactly the same number of mel frames. RTF = synthesis time / seconds of
mel (16 kHz, hop 160). Timings interleave ours/official, median and (min) of ``--reps``.
Unless ``--no-bf16``, ours also runs at ``precision: bf16`` as the Synthesizer runs it
(ttsf/utils/precision.py: autocast, weights stored in bf16; the official package has no such
option), and the table gives how far its mel is from ours at fp32
from the same noise (relative L2).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import sysconfig
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

VENV = benchlib.ROOT / "bench" / ".venv-matcha"
#: the official package and what its model code imports beyond the project venv
OFFICIAL = ["matcha-tts==0.0.7.2"]
EXTRA = ["conformer==0.3.2", "diffusers==0.25.0", "huggingface_hub==0.25.2", "gdown",
         "beautifulsoup4", "soupsieve", "rich", "rootutils", "wget"]  # fmt: skip
#: Matcha-TTS configs/model/{encoder,decoder,cfm}/default.yaml
ENCODER = {
    "encoder_type": "RoPE Encoder",
    "encoder_params": {"n_feats": 80, "n_channels": 192, "filter_channels": 768,
                       "filter_channels_dp": 256, "n_heads": 2, "n_layers": 6, "kernel_size": 3,
                       "p_dropout": 0.1, "spk_emb_dim": 64, "n_spks": 2, "prenet": True},
    "duration_predictor_params": {"filter_channels_dp": 256, "kernel_size": 3, "p_dropout": 0.1},
}  # fmt: skip
DECODER = {"channels": [256, 256], "dropout": 0.05, "attention_head_dim": 64, "n_blocks": 1,
           "num_mid_blocks": 2, "num_heads": 2, "act_fn": "snakebeta"}  # fmt: skip
CFM = {"name": "CFM", "solver": "euler", "sigma_min": 1e-4}


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def make_venv(venv: Path) -> None:
    """Create ``venv`` with the official package; the project venv is only read (via .pth)."""
    print(f"creating {venv} with the official matcha-tts (once)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv_python(venv))
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
    # after the venv's own packages, so its pinned diffusers/huggingface_hub win
    Path(site, "zz_ttsf_project_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [py, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "cython>=3", "setuptools", "wheel"], check=True)
    # its Cython extension builds against the project's numpy (no isolated numpy 1.24 build)
    subprocess.run([*pip, "--no-deps", "--no-build-isolation", *OFFICIAL], check=True)
    subprocess.run([*pip, "--no-deps", *EXTRA], check=True)


def build_official(vocab: int, device):
    import torch
    from matcha.models.matcha_tts import MatchaTTS
    from omegaconf import OmegaConf

    model = MatchaTTS(
        n_vocab=vocab, n_spks=2, spk_emb_dim=64, n_feats=80,
        encoder=OmegaConf.create(ENCODER), decoder=OmegaConf.create(DECODER),
        cfm=OmegaConf.create(CFM), data_statistics={"mel_mean": 0.0, "mel_std": 1.0},
        out_size=None,
    ).eval().to(device)  # fmt: skip
    benchlib.set_token_duration(model.encoder.proj_w.proj)
    return model, lambda ids, steps: model.synthesise(
        ids, torch.tensor([ids.shape[1]], device=device), n_timesteps=steps, temperature=0.667,
        spks=torch.tensor([1], device=device),
    )["mel"]  # fmt: skip


def build_ours(vocab: int, device):
    import torch

    from ttsf.registry import get_registry
    from ttsf.utils.precision import autocast, with_bf16_weights

    model = (
        get_registry("tts")
        .build("matcha", {"tts_conditioning_conf": {"style_dim": 512}}, vocab_size=vocab)
        .eval()
        .to(device)
    )
    benchlib.set_token_duration(model.encoder.proj_w.proj)
    f_id = torch.randn(1, 512, device=device)
    # what the Synthesizer runs at each precision (Synthesizer.model_at)
    at = {"fp32": model, "bf16": with_bf16_weights(model)}

    def run(ids, steps, precision="fp32"):
        with autocast(device, precision):
            mel = at[precision].inference(
                ids, torch.tensor([ids.shape[1]], device=device), cond=f_id, n_timesteps=steps,
                temperature=0.667, generator=torch.Generator(device).manual_seed(0),
            )["mel"]  # fmt: skip
        return mel.float()

    return model, run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, nargs="+", default=[2, 4, 10])
    p.add_argument("--seconds", type=float, nargs="+", default=[2.0, 8.0],
                   help="utterance lengths (speech seconds)")  # fmt: skip
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--venv", type=Path, default=VENV)
    p.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    p.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True,
                   help="also time ours at bfloat16 precision")  # fmt: skip
    args = p.parse_args()
    if os.path.abspath(sys.prefix) != os.path.abspath(args.venv):
        if not venv_python(args.venv).is_file():
            make_venv(args.venv)
        benchlib.ensure_allocator(str(venv_python(args.venv)))
    import torch

    from ttsf.text.espeak_phn import PHONEME_SYMBOLS

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    vocab = len(PHONEME_SYMBOLS)
    ours, run_ours = build_ours(vocab, args.device)
    official, run_official = build_official(vocab, args.device)
    import matcha

    print(benchlib.machine_header(torch.get_num_threads()))
    print(f"official matcha-tts {getattr(matcha, '__version__', '0.0.7.2')} "
          f"({benchlib.n_params(official) / 1e6:.2f} M params) vs ours "
          f"({benchlib.n_params(ours) / 1e6:.2f} M params, incl. face_id projection)")  # fmt: skip
    print("\nRTF = time / speech seconds, median (min) of", args.reps, "interleaved runs")
    cols = ["ours", "official"] + (["ours bf16"] if args.bf16 else [])
    print(f"{'speech s':>8s} {'steps':>5s} {'GFLOP ours':>10s} {'official':>9s} "
          + " ".join(f"{'RTF ' + c:>15s}" for c in cols) + f" {'speed-up':>8s}"
          + (f" {'bf16':>8s} {'bf16 err':>8s}" if args.bf16 else ""))  # fmt: skip
    with torch.inference_mode():
        for seconds in args.seconds:
            n_tok = int(round(seconds * 100 / benchlib.FRAMES_PER_TOKEN))
            ids = torch.randint(2, vocab, (1, n_tok), generator=torch.Generator().manual_seed(1))
            ids = ids.to(args.device)
            for steps in args.steps:
                fns = {"ours": partial(run_ours, ids, steps),
                       "official": partial(run_official, ids, steps)}  # fmt: skip
                if args.bf16:
                    fns["ours bf16"] = partial(run_ours, ids, steps, "bf16")
                out = {name: fn() for name, fn in fns.items()}
                if out["ours"].shape != out["official"].shape:
                    raise RuntimeError(f"unequal outputs: ours {out['ours'].shape}, "
                                       f"official {out['official'].shape}")  # fmt: skip
                audio = out["ours"].shape[-1] / 100
                f_a = benchlib.count_flops(fns["ours"]) / 1e9
                f_b = benchlib.count_flops(fns["official"]) / 1e9
                t = benchlib.interleaved(fns, reps=args.reps,
                                         sync=benchlib.device_sync(args.device))  # fmt: skip
                row = (f"{audio:8.2f} {steps:5d} {f_a:10.2f} {f_b:9.2f} "
                       + " ".join(f"{benchlib.fmt_times(t[c], audio):>15s}" for c in cols)
                       + f" {benchlib.med(t['official']) / benchlib.med(t['ours']):7.2f}x")
                if args.bf16:
                    ref = out["ours"]
                    err = float((out["ours bf16"] - ref).norm() / ref.norm())
                    speed = benchlib.med(t["official"]) / benchlib.med(t["ours bf16"])
                    row += f" {speed:7.2f}x {err:8.4f}"
                print(row, flush=True)
    print(f"load average at end: {benchlib.loadavg()}")


if __name__ == "__main__":
    main()
