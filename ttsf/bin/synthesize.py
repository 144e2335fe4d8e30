"""ttsf-synthesize: text + one portrait -> a talking-face mp4 with its speech (and the .wav).

    ttsf-synthesize --model exp/ttsf/packed/model.tar --text "Hello there." --image face.jpg \\
        --out hello.mp4 [--steps 10] [--temperature 0.667] [--speaking_rate 1.0] \\
        [--motion_scale 1.0] [--seed 0] [--device cpu] [--precision fp32|bf16]
    ttsf-synthesize --model ... --text_file speech.txt --image face.jpg --out speech.mp4
    ttsf-synthesize --model ... --list jobs.tsv --out out_dir/   # lines: id<TAB>image<TAB>text
    ttsf-synthesize --model ... --audio speech.wav --image face.jpg --out talk.mp4   # audio-driven

The photo may be any size: the face is detected and cropped (exactly one face must be visible).
Long text is synthesised sentence by sentence and streamed to the file, so memory stays flat.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ttsf.models.ttsf import SynthesisControls
from ttsf.synthesis import SynthesisError, Synthesizer
from ttsf.tfg.cpu_allocator import keep_freed_memory_on_cpu
from ttsf.utils.precision import PRECISIONS


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ttsf-synthesize",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--model", required=True, help="exp/<dir>/model.pth or a packed model.tar")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="the text to speak")
    src.add_argument("--text_file", help="a UTF-8 file with the text to speak")
    src.add_argument("--list", help="batch mode: lines 'id<TAB>image<TAB>text'")
    src.add_argument("--audio", help="audio-driven mode: a recording drives the face instead")
    p.add_argument("--image", help="the portrait (any photo with one face)")
    p.add_argument("--out", required=True, help="output .mp4 (batch mode: a directory)")
    p.add_argument("--aligned", action="store_true", help="the image is already a face crop")
    d = SynthesisControls()
    p.add_argument("--steps", type=int, default=d.n_timesteps, help="TTS ODE steps")
    p.add_argument("--motion_steps", type=int, default=d.motion_steps, help="motion ODE steps")
    p.add_argument("--temperature", type=float, default=d.temperature, help="TTS noise scale")
    p.add_argument("--motion_temperature", type=float, default=d.motion_temperature)
    p.add_argument("--speaking_rate", type=float, default=1.0, help="> 1 speaks faster")
    p.add_argument("--motion_scale", type=float, default=d.motion_scale, help="head motion gain")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--precision", choices=PRECISIONS, default=d.precision,
                   help="bf16: faster on CPUs with AVX512-BF16/AMX and recent GPUs")  # fmt: skip
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--override", action="append", default=[],
                   help="model config override, e.g. vocoder=griffin_lim (repeatable)")  # fmt: skip
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def controls_from_args(args: argparse.Namespace) -> SynthesisControls:
    if args.speaking_rate <= 0:
        raise SynthesisError(f"--speaking_rate must be > 0, got {args.speaking_rate}")
    return SynthesisControls(
        n_timesteps=args.steps,
        temperature=args.temperature,
        length_scale=1.0 / args.speaking_rate,
        motion_steps=args.motion_steps,
        motion_temperature=args.motion_temperature,
        motion_scale=args.motion_scale,
        seed=args.seed,
        precision=args.precision,
    )


def _jobs(args: argparse.Namespace) -> list[tuple[str, str, Path]]:
    """(text, image, out mp4) for each requested video."""
    if args.list is None:
        if not args.image:
            raise SynthesisError("--image is required (the portrait to animate)")
        if args.text_file is not None:
            try:
                text = Path(args.text_file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise SynthesisError(f"--text_file {args.text_file} cannot be read: {exc}") from exc
        else:
            text = args.text
        out = Path(args.out)
        if out.suffix != ".mp4":
            raise SynthesisError(f"--out {out} must end in .mp4")
        return [(text, args.image, out)]
    jobs = []
    for n, line in enumerate(Path(args.list).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise SynthesisError(f"{args.list}:{n}: expected 'id<TAB>image<TAB>text'")
        jobs.append((parts[2], parts[1], Path(args.out) / f"{parts[0]}.mp4"))
    return jobs


class _Progress:
    """A tqdm bar over the sentences of one video."""

    def __init__(self, name: str, enabled: bool) -> None:
        self.name, self.enabled, self.bar = name, enabled, None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.name, unit="sentence")
        self.bar.update(1)
        if done == total:
            self.bar.close()


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        controls = controls_from_args(args)
        jobs = _jobs(args)
        keep_freed_memory_on_cpu(args.device)
        synth = Synthesizer.load(args.model, args.device, args.override)
        if args.audio is not None:
            report = synth.animate_audio_to_file(
                args.audio, jobs[0][1], jobs[0][2], controls, aligned=args.aligned
            )
            print(f"{jobs[0][2]}: {report['frames']} frames driven by {args.audio}")
            return 0
        for text, image, out in jobs:
            report = synth.synthesize_to_file(
                text, image, out, controls, aligned=args.aligned,
                progress=_Progress(out.name, not args.quiet),
            )  # fmt: skip
            print(f"{out}: {report['seconds']:.2f} s of speech, {report['frames']} frames, "
                  f"{report['sentences']} sentence(s); wav: {out.with_suffix('.wav')}")  # fmt: skip
    except SynthesisError as exc:
        print(f"ttsf-synthesize: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
