"""Speech for the mini corpus: espeak-ng, one voice per identity, at a clear moderate rate.

``-s 130`` words per minute: at espeak-ng's default rate (175) the offline WER back-end
(pocketsphinx) scored 0.76 corpus WER; slowing to 130 roughly halved the errors (issue 6).
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np

__all__ = ["Voice", "synthesize", "word_timings"]


@dataclass(frozen=True)
class Voice:
    name: str  # espeak-ng voice and variant, e.g. "en-us+f2"
    pitch: int = 50  # espeak-ng -p, 0..99
    rate: int = 130  # espeak-ng -s, words per minute


def synthesize(text: str, voice: Voice, sr: int = 16000) -> np.ndarray:
    """espeak-ng speech of ``text``.

    Returns:
        wav (ndarray): (N,) float32 mono at ``sr``.
    """
    import soundfile as sf
    from scipy.signal import resample_poly

    exe = shutil.which("espeak-ng")
    if exe is None:
        raise FileNotFoundError("espeak-ng is not installed: apt-get install espeak-ng")
    cmd = [exe, "-v", voice.name, "-s", str(voice.rate), "-p", str(voice.pitch), "--stdout", text]
    res = subprocess.run(cmd, capture_output=True, check=False)
    if res.returncode or not res.stdout:
        raise RuntimeError(f"espeak-ng failed on {text!r}: {res.stderr.decode(errors='replace')}")
    wav, native = sf.read(io.BytesIO(res.stdout), dtype="float32")
    if native != sr:
        g = np.gcd(native, sr)
        wav = resample_poly(wav, sr // g, native // g).astype(np.float32)
    return wav


def word_timings(words: list[str], wav: np.ndarray, sr: int) -> list[tuple[float, float]]:
    """Approximate (start, end) seconds per word: the voiced span (frames above 5% of the peak
    energy) shared among the words in proportion to their letters. LRS3's timings come from a
    forced aligner; these only need to be plausible and ordered."""
    hop = sr // 100
    n = len(wav) // hop
    rms = np.sqrt(np.mean(wav[: n * hop].reshape(n, hop) ** 2, axis=1)) if n else np.zeros(1)
    voiced = np.flatnonzero(rms > 0.05 * rms.max()) if rms.max() > 0 else np.arange(n)
    t0, t1 = (voiced[0], voiced[-1] + 1) if len(voiced) else (0, max(n, 1))
    weights = np.array([len(w) + 1 for w in words], float)
    edges = t0 + (t1 - t0) * np.concatenate([[0], np.cumsum(weights) / weights.sum()])
    return [(edges[i] / 100, edges[i + 1] / 100) for i in range(len(words))]
