"""FLOPs per second of output, time, and the fraction of this CPU's fp32 matmul peak, for every
stage of unified TTSF synthesis; and the vocoders side by side at equal mel.

    python bench/flops.py [--seconds 5] [--steps 10] [--reps 5] [--threads 2] [--device cpu]

One utterance of ``--seconds`` of speech through the paper-size model with random weights
(bench/benchlib.py: egs/lrs3/conf/train_ttsf.yaml, durations fixed at 70 ms per phoneme), stage by
stage exactly as ``TTSF.synthesize`` runs them: portrait encoding (once per video), TTS (text ->
mel, ``--steps`` Euler steps), audio mapper, motion sampler (``--steps`` steps), generator
(frames rendered ``chunk_frames`` at a time), vocoder, and the mp4 encoding of the frames.
FLOPs are counted by torch's FlopCounterMode (convolutions, matmuls, attention; elementwise work
is not counted, so a stage dominated by it shows a low fraction of peak). Each stage and a 2048^3
matmul are timed interleaved (median of ``--reps``); the peak is the best matmul, so the fraction
of peak is measured under the same load as the stage.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--vocoders", nargs="+", default=["hifigan", "hifigan_v2"])
    benchlib.add_paper_args(p)
    args = p.parse_args()
    synth, image = benchlib.paper_synthesizer(args)
    import torch

    from ttsf.models.ttsf import SynthesisControls
    from ttsf.registry import get_registry
    from ttsf.synthesis import _to_uint8
    from ttsf.video.writer import VideoWriter

    # no parameter needs a gradient: FlopCounterMode's module tracker would otherwise hook the
    # weight-normed convolutions' parameters, which fails under inference_mode
    model = synth.model.requires_grad_(False)
    synth.vocoder.requires_grad_(False)
    portrait = synth.portrait(str(image), aligned=True)
    text = benchlib.text_of_seconds(args.seconds, synth.frontend).replace(".", ",")[:-1] + "."
    ids = synth.text_to_ids(text)
    lengths = torch.tensor([ids.shape[1]], device=ids.device)
    chunk = SynthesisControls().chunk_frames
    steps = args.steps
    sync = torch.cuda.synchronize if synth.device.type == "cuda" else (lambda: None)

    with torch.inference_mode(), tempfile.TemporaryDirectory() as tmp:
        f_s, f_m_s, f_id, maps = model.identity(portrait)
        speech = model.tts.inference(ids, lengths, cond=f_id, n_timesteps=steps)
        f_a = model.lip_features(speech, speech["mel_lengths"])
        n_frames = torch.tensor([f_a.shape[1]], device=f_a.device)
        f_m = model.motion_sampler.sample(f_m_s, f_a, n_frames, n_timesteps=steps)
        frames = [
            model.render(f_s, f_id, f_m[:, i : i + chunk], f_a[:, i : i + chunk], maps)[0]
            for i in range(0, f_m.shape[1], chunk)
        ]
        uint8 = [_to_uint8(x) for x in frames]
        seconds = f_a.shape[1] / 25

        def render_all():
            for i in range(0, f_m.shape[1], chunk):
                model.render(f_s, f_id, f_m[:, i : i + chunk], f_a[:, i : i + chunk], maps)
            sync()

        def encode_mp4():
            s = synth.image_size
            with VideoWriter(Path(tmp) / "x.mp4", s, s, sr=None) as writer:
                for x in uint8:
                    writer.write_frames(x)

        stages = {
            "portrait encoding (once)": lambda: model.identity(portrait),
            f"TTS text->mel ({steps} steps)": lambda: model.tts.inference(
                ids, lengths, cond=f_id, n_timesteps=steps
            ),
            "audio mapper": lambda: model.lip_features(speech, speech["mel_lengths"]),
            f"motion sampler ({steps} steps)": lambda: model.motion_sampler.sample(
                f_m_s, f_a, n_frames, n_timesteps=steps
            ),
            f"generator ({chunk}-frame chunks)": render_all,
            f"vocoder {synth.cfg.get('vocoder')}": lambda: synth.vocoder(speech["mel_denorm"]),
            "mp4 encoding (H.264)": encode_mp4,
        }
        gflop = {name: benchlib.count_flops(fn) / 1e9 for name, fn in stages.items()}
        gflop["mp4 encoding (H.264)"] = float("nan")
        refs = {"matmul": benchlib.matmul_fn(), "conv": benchlib.conv_fn()}
        t = benchlib.interleaved({**stages, **refs}, reps=args.reps)
        peak = benchlib.gflops_of_matmul(t["matmul"])
        conv_peak = benchlib.gflops_of_conv(t["conv"])

        print(benchlib.machine_header(torch.get_num_threads()))
        print(f"{seconds:.2f} s of speech, {f_a.shape[1]} frames at "
              f"{synth.image_size}x{synth.image_size}; matmul peak {peak:.0f} GFLOP/s "
              f"(best of the interleaved 2048^3 products); 3x3 conv (oneDNN) "
              f"{conv_peak:.0f} GFLOP/s\n")  # fmt: skip
        print(f"{'stage':32s} {'GFLOP/s-out':>11s} {'RTF':>7s} {'GFLOP/s':>8s} {'of peak':>7s}")
        total_f = total_t = 0.0
        for name in stages:
            sec = benchlib.med(t[name])
            f = gflop[name]
            total_t += sec
            total_f += 0.0 if f != f else f
            rate = f / sec if f == f else float("nan")
            print(f"{name:32s} {f / seconds:11.1f} {sec / seconds:7.3f} {rate:8.1f} "
                  f"{rate / peak:7.1%}")  # fmt: skip
        print(f"{'total':32s} {total_f / seconds:11.1f} {total_t / seconds:7.3f} "
              f"{total_f / total_t:8.1f} {total_f / total_t / peak:7.1%}")  # fmt: skip

        # vocoders at equal mel
        mel = speech["mel_denorm"]
        vocoders = {}
        for name in args.vocoders:
            voc = get_registry("vocoder").build(name, {}).eval().requires_grad_(False)
            voc = voc.to(synth.device)
            vocoders[name] = (
                voc,
                benchlib.n_params(voc),
                benchlib.count_flops(lambda v=voc: v(mel)),
            )
        t = benchlib.interleaved({n: (lambda v=v[0]: v(mel)) for n, v in vocoders.items()},
                                 reps=args.reps)  # fmt: skip
        ref = benchlib.med(t[args.vocoders[0]])
        print(f"\nvocoders on the same {mel.shape[-1]}-frame mel ({seconds:.2f} s), median (min) "
              f"of {args.reps} interleaved runs")  # fmt: skip
        print(f"{'vocoder':12s} {'params M':>8s} {'GFLOP/s-out':>11s} {'RTF':>15s} "
              f"{'speed-up vs ' + args.vocoders[0]:>20s}")  # fmt: skip
        for name, (_, n_par, f) in vocoders.items():
            print(f"{name:12s} {n_par / 1e6:8.2f} {f / 1e9 / seconds:11.1f} "
                  f"{benchlib.fmt_times(t[name], seconds):>15s} "
                  f"{ref / benchlib.med(t[name]):19.2f}x")  # fmt: skip
    print(f"load average at end: {benchlib.loadavg()}")


if __name__ == "__main__":
    main()
