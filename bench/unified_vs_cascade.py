"""Unified text -> mp4 (TTSF) vs a cascade of the same size, wall time, in one process.

    python bench/unified_vs_cascade.py [--seconds 5 20] [--reps 5] [--threads 2] [--device cpu]

Both sides use the same paper-size networks with random weights (egs/lrs3/conf/train_ttsf.yaml,
HiFi-GAN V1 vocoder, durations fixed at 70 ms per phoneme so the text sets the length), the same
text (split into the same sentences), the same aligned 256x256 portrait, and both write an mp4
with H.264 video and AAC audio plus the wav, chunk by chunk.

- unified: ``Synthesizer.synthesize_to_file`` (what ``ttsf-synthesize`` runs): TTS -> mel ->
  vocoder for the sound; the TTS's aligned latents -> audio mapper -> motion sampler -> generator
  for the frames; the portrait is encoded once per video.
- cascade (TTS -> wav -> audio encoder -> face generator, as talking-head systems driven by
  audio are chained after a TTS): the same TTS and vocoder make the wav; an audio encoder turns
  the wav back into features (log-mel of the wav + a 3-layer conv encoder to the generator's
  latent size at 25 fps, standing in for the audio encoder such a system needs); the same motion
  sampler and generator render the frames, and the generator encodes the source image for every
  frame, as LIA-style generators do (source and frame go through E together).

Timing: one short warm-up call of each side, then ``--reps`` runs interleaved A/B/A/B; median
(min) and the ratio of medians. The ratio, not the absolute time, is the stable figure on a
loaded machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402


def build_audio_encoder(n_mels: int, dim: int, hidden: int):
    """The cascade's audio encoder: log-mel (100 Hz) -> (T_v, dim) at 25 fps; three k=3 convs,
    the last two with stride 2 (100 -> 25 frames per second)."""
    from torch import nn

    return nn.Sequential(
        nn.Conv1d(n_mels, hidden, 3, padding=1), nn.LeakyReLU(0.2),
        nn.Conv1d(hidden, hidden, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv1d(hidden, dim, 3, stride=2, padding=1),
    )  # fmt: skip


class Cascade:
    """TTS -> vocoder -> wav -> audio encoder -> (motion sampler) -> generator re-encoding the
    source per frame -> mp4; the networks are the unified model's, so the sizes are equal."""

    def __init__(self, synth, hidden: int = 256) -> None:
        import torch

        from ttsf.audio.mel import LogMelSpectrogram

        self.synth = synth
        self.model = synth.model
        dim = self.model.face_generator.style_dim
        self.mel = LogMelSpectrogram().to(synth.device)
        self.audio_encoder = build_audio_encoder(self.mel.n_mels, dim, hidden).to(synth.device)
        self.audio_encoder.eval()
        self.f_cond = torch.randn(1, dim, generator=torch.Generator().manual_seed(0))

    def __call__(self, text: str, image: Path, out_mp4: Path, controls) -> int:
        import numpy as np
        import torch

        from ttsf.audio.io import save_wav
        from ttsf.synthesis import _to_uint8, split_sentences
        from ttsf.video.writer import VideoWriter

        synth, model = self.synth, self.model
        portrait = synth.portrait(str(image), aligned=True)
        size, sr = synth.image_size, synth.vocoder.sample_rate
        hop = synth.vocoder.hop_length * model.mel_per_frame
        wavs, n_frames = [], 0
        with torch.inference_mode(), VideoWriter(out_mp4, size, size, sr=sr) as writer:
            for k, sentence in enumerate(split_sentences(text)):
                gen = torch.Generator(device=synth.device).manual_seed(controls.seed + k)
                ids = synth.text_to_ids(sentence)
                # 1. TTS (a speaker vector in place of the face identity) and vocoder -> wav
                speech = model.tts.inference(
                    ids, torch.tensor([ids.shape[1]]), cond=self.f_cond.to(ids.device),
                    n_timesteps=controls.n_timesteps, temperature=controls.temperature,
                    generator=gen,
                )  # fmt: skip
                wav = synth.vocode(speech)
                # 2. wav -> audio encoder -> per-frame audio features
                f_a = self.audio_encoder(self.mel(torch.from_numpy(wav).to(synth.device)[None]))
                f_a = f_a.transpose(1, 2)[:, : len(wav) // hop]  # (1, T_v, D)
                # 3. motion from audio, then frames; the source is encoded with every frame
                f_s, feats = model.face_generator.encode(portrait)
                f_m_s = model.motion_extractor(f_s)
                f_m = model.motion_sampler.sample(
                    f_m_s, f_a, torch.tensor([f_a.shape[1]]), n_timesteps=controls.motion_steps,
                    generator=gen,
                )  # fmt: skip
                for start in range(0, f_a.shape[1], controls.chunk_frames):
                    end = min(start + controls.chunk_frames, f_a.shape[1])
                    f_s_n, maps = model.face_generator.encode(
                        portrait.expand(end - start, -1, -1, -1)
                    )
                    frames = model.render(
                        f_s_n[:1], f_s_n[:1] - f_m_s, f_m[:, start:end], f_a[:, start:end], maps
                    )[0]
                    writer.write_frames(_to_uint8(frames))
                    n_frames += end - start
                wav = wav[: f_a.shape[1] * hop]
                writer.write_audio(wav)
                wavs.append(wav)
        save_wav(out_mp4.with_suffix(".wav"), np.concatenate(wavs), sr)
        return n_frames


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, nargs="+", default=[5.0, 20.0])
    benchlib.add_paper_args(p)
    args = p.parse_args()
    synth, image = benchlib.paper_synthesizer(args)
    import torch

    from ttsf.models.ttsf import SynthesisControls
    cascade = Cascade(synth)
    controls = SynthesisControls(n_timesteps=args.steps, motion_steps=args.steps, seed=0)
    print(benchlib.machine_header(torch.get_num_threads()))
    print(f"paper-size model: {benchlib.n_params(synth.model) / 1e6:.1f} M params + vocoder "
          f"{benchlib.n_params(synth.vocoder) / 1e6:.1f} M; cascade audio encoder "
          f"{benchlib.n_params(cascade.audio_encoder) / 1e6:.2f} M; "
          f"{args.steps} ODE steps")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def unified(text: str) -> int:
            return synth.synthesize_to_file(text, image, tmp / "u.mp4", controls, aligned=True)[
                "frames"
            ]

        def cascaded(text: str) -> int:
            return cascade(text, image, tmp / "c.mp4", replace(controls))

        warm = "Hello there, how are you today?"
        if unified(warm) != cascaded(warm):
            raise RuntimeError("unified and cascade render different numbers of frames")
        print(f"\nwall time text -> mp4, median (min) of {args.reps} interleaved runs")
        print(f"{'speech s':>8s} {'frames':>6s} {'unified s':>17s} {'cascade s':>17s} "
              f"{'unified/cascade':>15s} {'load':>14s}")  # fmt: skip
        for seconds in args.seconds:
            text = benchlib.text_of_seconds(seconds, synth.frontend)
            n_frames = unified(text)
            t = benchlib.interleaved(
                {"unified": partial(unified, text), "cascade": partial(cascaded, text)},
                reps=args.reps, warmup=0,
            )  # fmt: skip
            print(f"{n_frames / 25:8.2f} {n_frames:6d} "
                  f"{benchlib.fmt_times(t['unified'], 1, 1):>17s} "
                  f"{benchlib.fmt_times(t['cascade'], 1, 1):>17s} "
                  f"{benchlib.med(t['unified']) / benchlib.med(t['cascade']):15.2f} "
                  f"{benchlib.loadavg():>14s}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
