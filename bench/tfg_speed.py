"""Speed of the talking-face generator on CPU: seconds per 256x256 frame and GFLOPs per frame.

    python bench/tfg_speed.py [--image_size 256] [--batches 1 8 25] [--repeats 3] [--threads N]
                              [--default_malloc]

Prints the parameter count of each module (visual encoder E, generator G, motion extractor M,
discriminator D), the FLOPs of encoding one portrait and of decoding one frame (counted with
torch.utils.flop_counter.FlopCounterMode; a multiply-add is 2 FLOPs), the wall time of E at
batch 1 and of G per frame at each batch size (source features computed once and shared, as in
inference), and this machine's fp32 matmul throughput, from which the FLOP lower bound on the
time per frame follows. Times are the best of ``--repeats`` runs. Unless ``--default_malloc``,
glibc is told to keep freed memory (:mod:`ttsf.tfg.cpu_allocator`), as ttsf-animate does.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from ttsf.tfg.cpu_allocator import keep_freed_memory
from ttsf.tfg.discriminator import StyleGAN2Discriminator
from ttsf.tfg.generator import LiaFlowGenerator
from ttsf.tfg.motion_extractor import LiaOrthogonalMotionExtractor


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def flops(fn) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def best_time(fn, repeats: int) -> float:
    fn()  # warm-up (oneDNN primitive creation)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def matmul_gflops(repeats: int) -> float:
    a = torch.randn(2048, 2048)
    return 2 * 2048**3 / best_time(lambda: a @ a, repeats + 2) / 1e9


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--image_size", type=int, default=256)
    p.add_argument("--style_dim", type=int, default=512)
    p.add_argument("--batches", type=int, nargs="+", default=[1, 8, 25])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--default_malloc", action="store_true", help="leave glibc malloc as is")
    args = p.parse_args()
    if args.default_malloc and "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", ""):
        sys.exit("--default_malloc: GLIBC_TUNABLES already keeps freed memory; run "
                 "`env -u GLIBC_TUNABLES python bench/tfg_speed.py --default_malloc`")
    kept = False if args.default_malloc else keep_freed_memory()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    g = LiaFlowGenerator(args.image_size, args.style_dim).eval().requires_grad_(False)
    m = LiaOrthogonalMotionExtractor(args.style_dim).eval()
    d = StyleGAN2Discriminator(args.image_size)
    n_e, n_g = n_params(g.encoder), n_params(g) - n_params(g.encoder)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, size {args.image_size}, "
          f"malloc keeps freed memory: {kept}")  # fmt: skip
    print("parameters (M):")
    for name, n in [("visual encoder E", n_e), ("generator G (synthesis)", n_g),
                    ("motion extractor M", n_params(m)), ("E + G + M", n_e + n_g + n_params(m)),
                    ("discriminator D", n_params(d))]:  # fmt: skip
        print(f"  {name:26s} {n / 1e6:8.3f}")

    s = args.image_size
    with torch.no_grad():
        image = torch.rand(1, 3, s, s) * 2 - 1
        f_s, feats = g.encode(image)
        styles = {b: torch.randn(b, g.n_styles, args.style_dim) for b in args.batches}
        enc_flops = flops(lambda: g.encode(image))
        dec_flops = flops(lambda: g.decode(styles[1], feats))
        peak = matmul_gflops(args.repeats)
        print(f"fp32 matmul throughput: {peak:.0f} GFLOP/s")
        bound = dec_flops / 1e9 / peak
        print(f"GFLOPs: encoder {enc_flops / 1e9:.2f} per image, decoder {dec_flops / 1e9:.2f} "
              f"per frame (lower bound {bound:.3f} s/frame at matmul speed)")  # fmt: skip
        t = best_time(lambda: g.encode(image), args.repeats)
        print(f"encoder  batch  1: {t:.3f} s/image  ({enc_flops / 1e9 / t:.0f} GFLOP/s)")
        for b in args.batches:
            t = best_time(lambda b=b: g.decode(styles[b], feats), args.repeats) / b
            print(f"decoder  batch {b:2d}: {t:.3f} s/frame  ({dec_flops / 1e9 / t:.0f} GFLOP/s)")


if __name__ == "__main__":
    main()
