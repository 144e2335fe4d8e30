"""What every benchmark here shares: the allocator, the machine, interleaved timing, FLOPs, and a
paper-size TTSF model with random weights.

Timing rules (docs/benchmarks.md): both sides of a comparison run in one process, interleaved
A/B/A/B after a warm-up, at least 5 repetitions; the table gives the median and the minimum.
The allocator is glibc malloc keeping freed memory, as the inference CLIs set it in-process
(:mod:`ttsf.tfg.cpu_allocator`): a script started without the same ``GLIBC_TUNABLES``
re-executes itself with them, unless ``TTSF_DEFAULT_MALLOC=1``.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ttsf.tfg.cpu_allocator import GLIBC_TUNABLES as KEEP_FREED_TUNABLES

ROOT = Path(__file__).resolve().parents[1]
_KEPT_NAMES = {t.split("=")[0] for t in KEEP_FREED_TUNABLES.split(":")}
#: natural speaking rate forced on the random models: 70 ms (7 mel frames) per phoneme token
FRAMES_PER_TOKEN = 7


def allocator_env(env: dict | None = None, kept: bool = True) -> dict:
    """``env`` (default: this process's) with glibc told to keep freed memory, as the inference
    CLIs do (unless ``TTSF_DEFAULT_MALLOC`` is set or ``kept`` is False: then without those
    tunables), and this checkout on ``PYTHONPATH``."""
    env = dict(os.environ if env is None else env)
    others = [t for t in env.get("GLIBC_TUNABLES", "").split(":") if t]
    others = [t for t in others if t.split("=")[0] not in _KEPT_NAMES]
    if not kept:
        env["TTSF_DEFAULT_MALLOC"] = "1"  # the CLIs' own keep_freed_memory() stands down too
    elif not env.get("TTSF_DEFAULT_MALLOC"):
        others.append(KEEP_FREED_TUNABLES)
    if others:
        env["GLIBC_TUNABLES"] = ":".join(others)
    else:
        env.pop("GLIBC_TUNABLES", None)
    env["PYTHONPATH"] = ":".join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def ensure_allocator(python: str | None = None) -> None:
    """Re-execute this script with the allocator settings of the inference CLIs (and under the
    interpreter ``python`` if given) unless it already runs that way. Call first thing in
    ``main``: benchmarks are measured in the configuration users get."""
    if os.environ.get("TTSF_BENCH_REEXEC"):
        return
    env = allocator_env()
    target = python or sys.executable
    same = all(os.environ.get(k) == env.get(k) for k in ("GLIBC_TUNABLES", "PYTHONPATH"))
    if same and os.path.abspath(target) == os.path.abspath(sys.executable):
        return
    env["TTSF_BENCH_REEXEC"] = "1"
    os.execve(target, [target, *sys.argv], env)


def allocator() -> str:
    preload = os.environ.get("LD_PRELOAD", "")
    if "malloc" in preload:  # jemalloc, tcmalloc, mimalloc: whatever the user preloaded
        return f"{Path(preload.split(':')[0]).name} (LD_PRELOAD)"
    if KEEP_FREED_TUNABLES in os.environ.get("GLIBC_TUNABLES", ""):
        return f"glibc malloc keeping freed memory (GLIBC_TUNABLES={KEEP_FREED_TUNABLES})"
    return "glibc malloc, default settings"


def smaps_rollup(pid: int | str = "self") -> dict[str, int]:
    """The kB fields of ``/proc/<pid>/smaps_rollup`` (Rss, Pss, Private_Dirty, ...); {} once
    the process is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return {}
    fields = {}
    for line in text.splitlines()[1:]:  # the first line names the address range
        key, value = line.split(":", 1)
        fields[key] = int(value.split()[0])
    return fields


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def machine_header(threads: int) -> str:
    import torch

    return (
        f"machine: {os.cpu_count()} CPUs ({cpu_model()}), torch {torch.__version__}, "
        f"{threads} threads, allocator {allocator()}\nload average at start: {loadavg()}"
    )


def device_sync(device) -> Callable[[], None]:
    """A function that waits for ``device``'s queued work (CUDA is asynchronous)."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return lambda: None


def interleaved(
    fns: dict[str, Callable[[], object]],
    reps: int = 5,
    warmup: int = 1,
    sync: Callable[[], None] | None = None,
) -> dict:
    """Time each function ``reps`` times, A/B/A/B, after ``warmup`` untimed rounds.

    Returns {name: list of seconds}; the order within a round rotates so neither side always
    runs right after the other's allocations. ``sync`` (see :func:`device_sync`) is called
    after each call, inside the timing.
    """
    sync = sync or (lambda: None)
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(reps):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            t0 = time.perf_counter()
            fns[name]()
            sync()
            times[name].append(time.perf_counter() - t0)
    return times


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def fmt_times(xs: list[float], scale: float = 1.0, digits: int = 3) -> str:
    """'median (min)' of ``xs`` divided by ``scale``."""
    return f"{med(xs) / scale:.{digits}f} ({min(xs) / scale:.{digits}f})"


MATMUL_N = 2048


def matmul_fn(n: int = MATMUL_N, device="cpu") -> Callable[[], object]:
    """One fp32 (n x n) @ (n x n) product, 2 n^3 FLOPs: the CPU's reference speed. Timed
    among the interleaved runs, it measures the peak under the same load as the models."""
    import torch

    a, b, out = (torch.randn(n, n, device=device) for _ in range(3))
    return lambda: torch.mm(a, b, out=out)


def gflops_of_matmul(seconds: list[float], n: int = MATMUL_N) -> float:
    """Peak GFLOP/s from the best of the timed matmuls."""
    return 2 * n**3 / min(seconds) / 1e9


#: (batch, channels, side) of the reference convolution: a 3x3 conv of 512 -> 512 channels
CONV_SHAPE = (4, 512, 64)


def conv_fn(shape: tuple[int, int, int] = CONV_SHAPE, device="cpu") -> Callable[[], object]:
    """One channels-last 3x3 convolution (oneDNN), ``2 B C^2 9 S^2`` FLOPs: the second reference
    speed. On CPUs where MKL's sgemm takes a narrower code path than oneDNN (MKL on AMD uses
    AVX2, oneDNN AVX-512), the generator's convolutions can run faster than the matmul peak."""
    import torch
    import torch.nn.functional as F

    b, c, s = shape
    x = torch.randn(b, c, s, s, device=device).contiguous(memory_format=torch.channels_last)
    w = torch.randn(c, c, 3, 3, device=device).contiguous(memory_format=torch.channels_last)
    return lambda: F.conv2d(x, w, padding=1)


def gflops_of_conv(seconds: list[float], shape: tuple[int, int, int] = CONV_SHAPE) -> float:
    b, c, s = shape
    return 2 * b * c * c * 9 * s * s / min(seconds) / 1e9


def matmul_peak(reps: int = 7, n: int = MATMUL_N, device="cpu") -> float:
    """fp32 matmul throughput in GFLOP/s (best of ``reps``), at the current threads on CPU."""
    fn, sync = matmul_fn(n, device), device_sync(device)
    fn()
    return gflops_of_matmul([_timed(lambda: (fn(), sync())) for _ in range(reps)], n)


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def count_flops(fn: Callable[[], object]) -> int:
    """FLOPs of one call (a multiply-add is 2), counted by torch's FlopCounterMode: matmuls,
    convolutions and attention; elementwise work is not counted."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def n_params(module) -> int:
    return sum(p.numel() for p in module.parameters())


def set_token_duration(duration_predictor_proj, frames: float = FRAMES_PER_TOKEN) -> None:
    """Make a random duration predictor give every token ``frames`` mel frames: its last 1x1
    conv outputs the constant ``log(frames - 0.5)``, which both Matcha-TTS implementations
    round up to ``frames``. Output length is then set by the text, identically on both sides."""
    import torch

    with torch.no_grad():
        duration_predictor_proj.weight.zero_()
        duration_predictor_proj.bias.fill_(float(np.log(frames - 0.5)))


# -- text of a given spoken length -------------------------------------------------------------
_WORDS = (
    "the quick brown fox jumps over a lazy dog while seven bright stars shine above quiet "
    "green hills and people walk home slowly after a long day of honest work in the city"
).split()


def text_of_seconds(seconds: float, frontend, frames_per_token: int = FRAMES_PER_TOKEN) -> str:
    """English sentences of 12 words whose phoneme tokens last ``seconds`` (to within a word)
    at ``frames_per_token`` 10 ms frames each."""
    want = int(round(seconds * 100 / frames_per_token))
    done, n_done, words, k = [], 0, [], 0
    while True:
        words.append(_WORDS[k % len(_WORDS)])
        k += 1
        sentence = " ".join(words).capitalize() + "."
        n = len(frontend.text2ids(sentence))
        if n_done + n >= want:
            return " ".join([*done, sentence])
        if len(words) == 12:
            done.append(sentence)
            n_done += n
            words = []


# -- the paper-size model -----------------------------------------------------------------------
def paper_config(vocoder: str = "hifigan") -> dict:
    """egs/lrs3/conf/train_ttsf.yaml without the training-only networks."""
    from ttsf.config import load_config

    cfg = load_config(ROOT / "egs" / "lrs3" / "conf" / "train_ttsf.yaml")
    cfg["losses"], cfg["discriminator"] = {}, None
    cfg["loss_weights"] = {}
    cfg["vocoder"], cfg["vocoder_conf"] = vocoder, {}
    return cfg


def make_paper_exp(exp_dir: Path, vocoder: str = "hifigan", seed: int = 0) -> Path:
    """An exp dir (config.yaml + model.pth + random vocoder checkpoint) of the paper-size joint
    model with random weights, durations fixed at FRAMES_PER_TOKEN; reused if present."""
    import torch

    from ttsf.audio.mel import MelStats
    from ttsf.config import save_config
    from ttsf.registry import get_registry
    from ttsf.tasks.ttsf import TTSFTask
    from ttsf.text.espeak_phn import PHONEME_SYMBOLS
    from ttsf.text.token_list import write_token_list

    exp_dir = Path(exp_dir)
    if (exp_dir / "model.pth").is_file():
        return exp_dir
    dump = exp_dir / "dump"
    write_token_list(dump / "token_list" / "espeak_phn" / "tokens.txt", PHONEME_SYMBOLS)
    rng = np.random.default_rng(seed)
    MelStats.from_frames([rng.normal(-5, 2, (400, 80)).astype(np.float32)]).save(
        dump / "feats_stats.npz"
    )
    task = TTSFTask()
    cfg = task.resolve_config(paper_config(vocoder), str(dump / "train"))
    torch.manual_seed(seed)
    model = task.build_model(cfg, None)
    set_token_duration(model.tts.encoder.proj_w.proj)
    voc = get_registry("vocoder").build(vocoder, {})
    torch.save(voc.generator.state_dict(), exp_dir / "vocoder.pth")
    cfg["vocoder_conf"] = {"checkpoint": str((exp_dir / "vocoder.pth").resolve())}
    save_config(cfg, exp_dir / "config.yaml")
    torch.save(model.state_dict(), exp_dir / "model.pth")
    return exp_dir


def portrait_png(path: Path, size: int = 256) -> Path:
    """An aligned face-sized test portrait (skimage's astronaut, cropped to her face)."""
    import cv2
    import skimage.data

    if not path.is_file():
        img = skimage.data.astronaut()[20:230, 130:340]  # the face, roughly centred
        img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), img[:, :, ::-1])
    return path


def add_paper_args(p) -> None:
    """The options every benchmark of the paper-size synthesiser takes."""
    p.add_argument("--steps", type=int, default=10, help="TTS and motion ODE steps")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    p.add_argument("--work_dir", type=Path, default=ROOT / "bench" / ".work")


def paper_synthesizer(args):
    """Under the inference CLIs' allocator settings and ``args.threads`` threads: a Synthesizer
    of the paper-size model with random weights (:func:`make_paper_exp`) on ``args.device``, and
    an aligned portrait png."""
    ensure_allocator()
    import torch

    from ttsf.synthesis import Synthesizer

    torch.set_num_threads(args.threads)
    exp = make_paper_exp(args.work_dir / "paper_exp")
    synth = Synthesizer.load(exp / "model.pth", device=args.device)
    return synth, portrait_png(args.work_dir / "portrait.png", synth.image_size)
