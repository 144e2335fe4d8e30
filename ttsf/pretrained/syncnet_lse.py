"""SyncNet of the LSE metrics (Chung & Zisserman, "Out of time", ACCV 2016 workshop) in the layout
of syncnet_python's ``S`` network, whose ``syncnet_v2.model`` file is the metric's weights
(Wav2Lip's LSE-C/LSE-D scripts use the same file). This is the evaluation network only; the
toolkit's trainable lip-sync expert is :mod:`ttsf.tfg.syncnet`.

Inputs, as syncnet_python feeds them:
  video: (B, 3, 5, 224, 224) BGR face crops, float in [0, 255] (not normalised);
  audio: (B, 1, 13, 20) MFCC windows (python_speech_features.mfcc of 16-bit PCM, 100 frames/s).
Outputs: (B, 1024) embeddings; a small Euclidean distance means "in sync".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ttsf.pretrained.loading import freeze, load_checked, read_state_dict

WHAT = "SyncNet (syncnet_python syncnet_v2.model)"
HOW_TO_GET = (
    "On a machine with network, run syncnet_python's download_model.sh "
    "(https://github.com/joonson/syncnet_python) or fetch "
    "http://www.robots.ox.ac.uk/~vgg/software/lipsync/data/syncnet_v2.model, and set "
    "metric_conf.lse.weights to it."
)


def _conv2d(cin: int, cout: int, k, s=1, p=1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, k, s, p), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


def _conv3d(cin: int, cout: int, k, s=1, p=(0, 1, 1)) -> list[nn.Module]:
    return [nn.Conv3d(cin, cout, k, s, p), nn.BatchNorm3d(cout), nn.ReLU(inplace=True)]


def _fc(width: int, emb_dim: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Linear(width, emb_dim)
    )


class SyncNetS(nn.Module):
    """syncnet_python's ``S``: a 2-D CNN on MFCC windows and a 3-D CNN on 5-frame face clips.

    Module names and indices match the state dict of ``syncnet_v2.model``.

    Args:
        emb_dim: embedding size (``num_layers_in_fc_layers``, 1024).
    """

    def __init__(self, emb_dim: int = 1024) -> None:
        super().__init__()
        self.netcnnaud = nn.Sequential(
            *_conv2d(1, 64, 3), nn.MaxPool2d(1, 1),
            *_conv2d(64, 192, 3), nn.MaxPool2d(3, (1, 2)),
            *_conv2d(192, 384, 3), *_conv2d(384, 256, 3), *_conv2d(256, 256, 3),
            nn.MaxPool2d(3, 2),
            *_conv2d(256, 512, (5, 4), p=0),
        )  # fmt: skip
        self.netfcaud = _fc(512, emb_dim)
        self.netfclip = _fc(512, emb_dim)
        self.netcnnlip = nn.Sequential(
            *_conv3d(3, 96, (5, 7, 7), (1, 2, 2), 0), nn.MaxPool3d((1, 3, 3), (1, 2, 2)),
            *_conv3d(96, 256, (1, 5, 5), (1, 2, 2)),
            nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1)),
            *_conv3d(256, 256, (1, 3, 3)), *_conv3d(256, 256, (1, 3, 3)),
            *_conv3d(256, 256, (1, 3, 3)), nn.MaxPool3d((1, 3, 3), (1, 2, 2)),
            *_conv3d(256, 512, (1, 6, 6), p=0),
        )  # fmt: skip

    def forward_aud(self, mfcc: torch.Tensor) -> torch.Tensor:
        """mfcc (Tensor): (B, 1, 13, 20) -> (B, emb_dim)."""
        return self.netfcaud(self.netcnnaud(mfcc).flatten(1))

    def forward_lip(self, clips: torch.Tensor) -> torch.Tensor:
        """clips (Tensor): (B, 3, 5, 224, 224) BGR in [0, 255] -> (B, emb_dim)."""
        return self.netfclip(self.netcnnlip(clips).flatten(1))


def with_bn_counters(model: nn.Module, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``state`` plus the model's BatchNorm ``num_batches_tracked`` counters it lacks.

    Files saved before PyTorch 0.4.1 (syncnet_v2.model, Hopenet's) have no such counters; they
    only matter for training, so the model's own are used.
    """
    counters = {k: v for k, v in model.state_dict().items() if k.endswith("num_batches_tracked")}
    return {**counters, **state}


def load_syncnet_lse(path: str | Path) -> SyncNetS:
    """Frozen :class:`SyncNetS` from ``syncnet_v2.model`` (a state dict of ``S``)."""
    net = SyncNetS()
    state = with_bn_counters(net, read_state_dict(path, WHAT, HOW_TO_GET))
    load_checked(net, state, path, WHAT, HOW_TO_GET)
    return freeze(net)


def _hz2mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def _mel2hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel) / 2595.0) - 1.0)


def syncnet_mfcc(wav_int16: np.ndarray, sr: int = 16000) -> np.ndarray:
    """python_speech_features.mfcc with its defaults, the audio feature SyncNet was trained on.

    25 ms rectangular frames every 10 ms (the last one zero-padded), pre-emphasis 0.97, 512-point
    power spectrum / 512, 26 triangular mel filters on FFT bins ``floor(513 * f / sr)``, log,
    orthonormal DCT-II to 13 coefficients, sinusoidal lifter 22, and c0 replaced by the log
    frame energy.

    Args:
        wav_int16 (ndarray): (N,) samples on the 16-bit scale (what ``wavfile.read`` returns).
    Returns:
        (13, T) with T = 1 + ceil((N - 400) / 160).
    """
    from scipy.fft import dct

    x = np.asarray(wav_int16, dtype=np.float64)
    x = np.append(x[0], x[1:] - 0.97 * x[:-1])
    win, hop, nfft = int(round(0.025 * sr)), int(round(0.01 * sr)), 512
    n = 1 if len(x) <= win else 1 + int(np.ceil((len(x) - win) / hop))
    x = np.concatenate([x, np.zeros((n - 1) * hop + win - len(x))])
    idx = np.arange(win)[None] + hop * np.arange(n)[:, None]
    pspec = np.abs(np.fft.rfft(x[idx], nfft)) ** 2 / nfft
    energy = pspec.sum(1)
    energy[energy == 0] = np.finfo(float).eps
    nfilt = 26
    bins = np.floor((nfft + 1) * _mel2hz(np.linspace(0, _hz2mel(sr / 2), nfilt + 2)) / sr)
    bins = bins.astype(int)
    fb = np.zeros((nfilt, nfft // 2 + 1))
    for j in range(nfilt):
        lo, mid, hi = bins[j], bins[j + 1], bins[j + 2]
        fb[j, lo:mid] = (np.arange(lo, mid) - lo) / (mid - lo)
        fb[j, mid:hi] = (hi - np.arange(mid, hi)) / (hi - mid)
    feat = pspec @ fb.T
    feat[feat == 0] = np.finfo(float).eps
    cep = dct(np.log(feat), type=2, axis=1, norm="ortho")[:, :13]
    cep *= 1 + 11.0 * np.sin(np.pi * np.arange(13) / 22)
    cep[:, 0] = np.log(energy)
    return cep.T
