"""Peak memory and time of ``ttsf-synthesize`` for 5, 20 and 60 s of speech (paper-size model).

    python bench/synthesis_memory.py [--seconds 5 20 60] [--threads 2] [--packed]
                                     [--allocators kept default] [--steps 10]

Each run is a fresh ``python -m ttsf.bin.synthesize`` process (the CLI users run), on the
paper-size model with random weights (egs/lrs3/conf/train_ttsf.yaml + a HiFi-GAN V1 checkpoint,
durations fixed at 70 ms per phoneme, so the text sets the length), an aligned 256x256 portrait,
``--text_file`` holding sentences of 12 words. Peak RSS is the child's ``ru_maxrss`` from
``wait4`` (the whole process: interpreter, torch, weights, activations, the encoder); the time
is its wall time including start-up and model loading. Memory is flat in length when the 60 s
peak is within 10% of the 5 s peak: the text is synthesised sentence by sentence and the frames
are rendered and encoded in chunks (``SynthesisControls.chunk_frames``), so nothing grows with the
text but the wav kept for the .wav file (64 kB per second).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402


def run_cli(args: list[str], env: dict) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, return code) of ``python -m ttsf.bin.synthesize args``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ttsf.bin.synthesize", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.stderr.write(err.decode(errors="replace")[-3000:])
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, proc.returncode


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, nargs="+", default=[5.0, 20.0, 60.0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=10, help="TTS and motion ODE steps")
    p.add_argument("--packed", action="store_true", help="pack the model (stage 7) and use it")
    p.add_argument("--allocators", nargs="+", default=["kept"], choices=["kept", "default"],
                   help="glibc malloc keeping freed memory (as the CLI sets it), or its defaults")
    p.add_argument("--device", default="cpu")
    p.add_argument("--work_dir", type=Path, default=benchlib.ROOT / "bench" / ".work")
    args = p.parse_args()
    benchlib.ensure_allocator()
    import torch

    from ttsf.text.espeak_phn import EspeakPhonemeFrontend

    exp = benchlib.make_paper_exp(args.work_dir / "paper_exp")
    model = exp / "model.pth"
    if args.packed:
        model = exp / "packed" / "model.tar"
        if not model.is_file():
            pack = ["-m", "ttsf.bin.pack_model", "--exp_dir", str(exp), "--out", str(model)]
            subprocess.run([sys.executable, *pack], check=True, env=benchlib.allocator_env())
    image = benchlib.portrait_png(args.work_dir / "portrait.png")
    frontend = EspeakPhonemeFrontend()
    print(benchlib.machine_header(args.threads))
    print(
        f"ttsf-synthesize --model {model.relative_to(benchlib.ROOT)} --aligned "
        f"--steps {args.steps} --motion_steps {args.steps} (torch {torch.__version__})\n"
    )
    print(f"{'allocator':>9s} {'speech s':>8s} {'sentences':>9s} {'wall s':>8s} {'RTF':>6s} "
          f"{'peak RSS MB':>11s} {'vs first':>8s} {'load':>14s}")  # fmt: skip
    for alloc in args.allocators:
        env = benchlib.allocator_env(kept=alloc == "kept")
        env["OMP_NUM_THREADS"] = str(args.threads)
        first = None
        for seconds in args.seconds:
            text = benchlib.text_of_seconds(seconds, frontend)
            text_file = args.work_dir / f"text_{seconds:g}s.txt"
            text_file.write_text(text + "\n")
            out = args.work_dir / f"synth_{seconds:g}s.mp4"
            wall, rss, rc = run_cli(
                ["--model", str(model), "--text_file", str(text_file), "--image", str(image),
                 "--aligned", "--out", str(out), "--steps", str(args.steps), "--motion_steps",
                 str(args.steps), "--device", args.device, "--quiet"], env,
            )  # fmt: skip
            if rc:
                sys.exit(f"ttsf-synthesize failed (exit {rc})")
            speech = _duration(out.with_suffix(".wav"))
            first = first or rss
            print(f"{alloc:>9s} {speech:8.2f} {text.count('.'):9d} {wall:8.1f} "
                  f"{wall / speech:6.2f} {rss:11.0f} {100 * (rss / first - 1):+7.1f}% "
                  f"{benchlib.loadavg():>14s}", flush=True)  # fmt: skip


def _duration(wav: Path) -> float:
    import soundfile as sf

    info = sf.info(str(wav))
    return info.frames / info.samplerate


if __name__ == "__main__":
    main()
