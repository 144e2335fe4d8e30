"""Real-time factors of the acoustic model and the vocoders on CPU (random weights).

RTF = compute time / duration of the audio produced (at 16 kHz, hop 160). Random weights
predict ~1 frame per token, so the bench sets ``length_scale`` to give ~7 frames (70 ms) per
phoneme token, a natural speaking rate, and the mels have realistic lengths. Prints one table for
Matcha-TTS (face_id conditioning, paper sizes) at 2, 4 and 10 ODE steps for a short, a medium
and a long sentence, and one for each registered vocoder on the same mels.

    python bench/tts_rtf.py [--repeats 3] [--threads N]
"""

from __future__ import annotations

import argparse
import time

import torch

from ttsf.registry import get_registry

SENTENCES = {
    "short": "Hello there.",
    "medium": "The quick brown fox jumps over the lazy dog, and then it runs into the woods.",
    "long": (
        "Faces that speak: from a single portrait and a line of text, the system produces both "
        "the speech and a talking face video, keeping the voice consistent whatever the head "
        "pose of the portrait, and it does so in a handful of flow-matching steps."
    ),
}


def _time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)  # the least disturbed run: other processes share this CPU


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--frames_per_token", type=float, default=7.0)
    p.add_argument("--vocoders", default="hifigan,hifigan_v2,griffin_lim")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    frontend = get_registry("text_frontend").build("espeak_phn", {})
    tts = get_registry("tts").build("matcha", {}, vocab_size=len(frontend.token_list)).eval()
    style_dim = tts.conditioning.in_dim
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; Matcha-TTS "
        f"{sum(p.numel() for p in tts.parameters()):,} parameters (face_id)"
    )
    print("\nacoustic model (text -> mel), RTF = time / audio duration")
    print(
        f"{'sentence':8s} {'tokens':>6s} {'audio s':>8s} "
        + " ".join(f"{f'{n} steps':>9s}" for n in (2, 4, 10))
    )
    mels = {}
    for name, sentence in SENTENCES.items():
        ids = torch.tensor([frontend.text2ids(sentence)])
        lengths = torch.tensor([ids.shape[1]])
        f_id = torch.randn(1, style_dim)
        row = []
        for steps in (2, 4, 10):
            gen = torch.Generator().manual_seed(0)

            def run(steps=steps, gen=gen, ids=ids, lengths=lengths, f_id=f_id):
                return tts.inference(
                    ids,
                    lengths,
                    cond=f_id,
                    n_timesteps=steps,
                    length_scale=args.frames_per_token,
                    generator=gen,
                )

            out = run()
            seconds = out["mel"].shape[-1] * 160 / 16000
            row.append(_time(run, args.repeats) / seconds)
            mels[name] = out["mel_denorm"]
        print(f"{name:8s} {ids.shape[1]:6d} {seconds:8.2f} " + " ".join(f"{r:9.3f}" for r in row))

    print("\nvocoder (mel -> wav), RTF")
    print(f"{'vocoder':12s} {'params':>10s} " + " ".join(f"{n:>8s}" for n in SENTENCES))
    for name in args.vocoders.split(","):
        voc = get_registry("vocoder").build(name, {}).eval()
        n_par = sum(p.numel() for p in voc.parameters())
        row = []
        for mel in mels.values():
            seconds = mel.shape[-1] * voc.hop_length / voc.sample_rate
            with torch.no_grad():
                row.append(_time(lambda mel=mel, voc=voc: voc(mel), args.repeats) / seconds)
        print(f"{name:12s} {n_par:10,d} " + " ".join(f"{r:8.3f}" for r in row))


if __name__ == "__main__":
    with torch.inference_mode():
        main()
