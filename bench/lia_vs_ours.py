"""Our face generator (``lia_flow``) vs the official LIA generator at 256x256, in one process.

    python bench/lia_vs_ours.py --lia_dir /work/LIA [--batches 1 8 25] [--reps 5] [--threads 2]

LIA (Wang et al., ICLR 2022, github.com/wyhsirius/LIA) is CC BY-NC: it is not part of this
project and nothing here copies or vendors it. Check it out anywhere outside the repository
(``git clone https://github.com/wyhsirius/LIA /work/LIA``; only its ``networks/`` package is
imported, no weights are needed: both sides have random weights, which do not change the work
done) and pass that directory as ``--lia_dir``. LIA moves one tensor with a hard-coded
``.cuda()``; on a machine without CUDA this script makes ``Tensor.cuda`` the identity in its
own process, so LIA runs unmodified on the CPU.

Per frame, for B frames rendered at once from one portrait:
- ours: the generator's decoder only; the portrait is encoded once per video (TTSF inference),
  so the portrait encoding is amortised and not counted;
- LIA as it animates (its ``run_demo.py``): ``Generator(source, driving)`` encodes the source and
  the driving frame at every frame, then decodes;
- LIA decoder only: its ``Synthesis`` with the source encoded once, the fairest like-for-like.
The lower bound on our time per frame is our decoder's FLOPs over this CPU's measured fp32
matmul throughput (2048x2048, same threads), timed among each row's runs; a 3x3 oneDNN
convolution is timed too, as a second, tighter reference (see benchlib.conv_fn). Times: median
(min) of ``--reps`` interleaved runs.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402


def load_lia(lia_dir: Path, size: int, style_dim: int):
    if not (lia_dir / "networks" / "generator.py").is_file():
        sys.exit(
            f"--lia_dir {lia_dir} has no networks/generator.py: clone the official LIA outside "
            "this repository first, e.g. git clone https://github.com/wyhsirius/LIA /work/LIA"
        )
    sys.path.insert(0, str(lia_dir))
    import torch
    from networks.generator import Generator

    if not torch.cuda.is_available():
        # LIA's ToFlow moves its sampling grid with a hard-coded .cuda(); on a CPU-only machine
        # that call is made the identity, in this process only (LIA's files are not touched).
        torch.Tensor.cuda = lambda self, *args, **kwargs: self

    return Generator(size, style_dim, motion_dim=20, channel_multiplier=1).eval()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lia_dir", type=Path, default=Path("/work/LIA"))
    p.add_argument("--image_size", type=int, default=256)
    p.add_argument("--style_dim", type=int, default=512)
    p.add_argument("--batches", type=int, nargs="+", default=[1, 8, 25])
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    p.add_argument("--skip_lia_full", action="store_true",
                   help="time only LIA's decoder (its full forward is slowest)")  # fmt: skip
    args = p.parse_args()
    benchlib.ensure_allocator()
    warnings.filterwarnings("ignore", category=UserWarning)  # LIA's deprecated torch.qr etc.
    import torch

    from ttsf.tfg.generator import LiaFlowGenerator

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    s, d = args.image_size, args.style_dim
    dev = torch.device(args.device)
    ours = LiaFlowGenerator(s, d).eval().requires_grad_(False).to(dev)
    lia = load_lia(args.lia_dir, s, d).requires_grad_(False).to(dev)
    print(benchlib.machine_header(torch.get_num_threads()))
    print(f"params (M): ours E+G {benchlib.n_params(ours) / 1e6:.1f}, "
          f"official LIA {benchlib.n_params(lia) / 1e6:.1f}")  # fmt: skip

    with torch.inference_mode():
        src = torch.rand(1, 3, s, s, device=dev) * 2 - 1
        _, feats = ours.encode(src)
        wa, _, lia_feats = lia.enc(src, None)

        def run_ours(styles):
            return ours.decode(styles, feats)

        def run_lia_full(srcs, drivers):
            return lia(srcs, drivers)

        def run_lia_dec(wa_b, alpha_b, feats_b):
            return lia.dec(wa_b, alpha_b, feats_b)

        mm, conv, peaks = benchlib.matmul_fn(device=dev), benchlib.conv_fn(device=dev), []
        peak = benchlib.matmul_peak(device=dev)
        styles1 = torch.randn(1, ours.n_styles, d, device=dev)
        f_ours = benchlib.count_flops(partial(run_ours, styles1)) / 1e9
        f_enc = benchlib.count_flops(partial(ours.encode, src)) / 1e9
        f_lia = benchlib.count_flops(partial(run_lia_full, src, src)) / 1e9
        alpha1 = [torch.randn(1, 20, device=dev)]
        f_lia_dec = benchlib.count_flops(partial(run_lia_dec, wa, alpha1, lia_feats)) / 1e9
        bound = f_ours / peak
        print(f"fp32 matmul peak: {peak:.0f} GFLOP/s")
        print(f"GFLOPs per frame: ours decoder {f_ours:.1f} (+ {f_enc:.1f} once per portrait), "
              f"LIA full {f_lia:.1f}, LIA decoder {f_lia_dec:.1f}")  # fmt: skip
        print(f"FLOP lower bound per frame: ours {bound:.3f} s, LIA decoder "
              f"{f_lia_dec / peak:.3f} s (the bound per row below uses the best matmul timed "
              "among that row's runs, i.e. under the same load)\n")  # fmt: skip
        print("seconds per frame, median (min) of", args.reps, "interleaved runs")
        print(
            f"{'batch':>5s} {'ours':>15s} {'LIA full':>15s} {'LIA decoder':>15s} "
            f"{'full/ours':>9s} {'dec/ours':>8s} {'ours/bound':>10s} {'GFLOP/s':>7s}"
        )
        for b in args.batches:
            gen = torch.Generator().manual_seed(b)
            styles = torch.randn(b, ours.n_styles, d, generator=gen).to(dev)
            drivers = (torch.rand(b, 3, s, s, generator=gen) * 2 - 1).to(dev)
            alpha = [torch.randn(b, 20, generator=gen).to(dev)]
            fns = {
                "ours": partial(run_ours, styles),
                "dec": partial(run_lia_dec, wa.expand(b, -1), alpha,
                               [f.expand(b, -1, -1, -1) for f in lia_feats]),
            }  # fmt: skip
            if not args.skip_lia_full:
                fns["full"] = partial(run_lia_full, src.expand(b, -1, -1, -1), drivers)
            fns["matmul"], fns["conv"] = mm, conv
            t = benchlib.interleaved(fns, reps=args.reps, sync=benchlib.device_sync(dev))
            full = t.get("full", [float("nan")])
            m_ours = benchlib.med(t["ours"]) / b
            peak_b = max(peak, benchlib.gflops_of_matmul(t["matmul"]))
            conv_b = benchlib.gflops_of_conv(t["conv"])
            bound = f_ours / peak_b
            peaks.append(f"batch {b}: matmul {peak_b:.0f}, conv {conv_b:.0f} GFLOP/s -> bounds "
                         f"{bound:.3f} / {f_ours / conv_b:.3f} s per frame")  # fmt: skip
            print(f"{b:5d} {benchlib.fmt_times(t['ours'], b):>15s} "
                  f"{benchlib.fmt_times(full, b):>15s} {benchlib.fmt_times(t['dec'], b):>15s} "
                  f"{benchlib.med(full) / b / m_ours:8.2f}x "
                  f"{benchlib.med(t['dec']) / b / m_ours:7.2f}x {m_ours / bound:9.2f}x "
                  f"{f_ours / m_ours:7.0f}", flush=True)  # fmt: skip
    print("references timed among each row's runs (best of the row):\n  " + "\n  ".join(peaks))
    print(f"load average at end: {benchlib.loadavg()}")


if __name__ == "__main__":
    main()
