"""Sync loss (TTSF §3.1, after Wav2Lip): BCE of the lip-sync expert's cosine "probability"
that generated frames match the audio, pushed towards 1 (:mod:`ttsf.tfg.syncnet`).

Every window of ``n_frames`` consecutive generated frames (every ``window_stride``-th start)
is scored against the mel window at the same time (``mels_per_frame`` mel frames per video
frame). Without ``syncnet_path`` the loss is switched off with a warning.
"""

from __future__ import annotations

import torch

from ttsf.losses.abs_loss import AbsLoss, loss_registry
from ttsf.pretrained.loading import keep_out_of_checkpoints, warn_disabled
from ttsf.pretrained.syncnet import HOW_TO_GET, load_syncnet
from ttsf.tfg.syncnet import sync_bce


@loss_registry.register("sync")
class SyncLoss(AbsLoss):
    """Args:
    syncnet_path: expert written by ``save_syncnet`` (None: loss off, with a warning).
    window_stride: frames between scored windows (1 = every window).
    """

    def __init__(self, syncnet_path: str | None = None, window_stride: int = 1) -> None:
        super().__init__()
        if window_stride < 1:
            raise ValueError(f"window_stride must be >= 1, got {window_stride}")
        self.window_stride = window_stride
        self.enabled = syncnet_path is not None
        self.syncnet = None
        if self.enabled:
            self.syncnet = load_syncnet(syncnet_path)
        else:
            warn_disabled("sync", "sync_conf.syncnet_path", HOW_TO_GET)
        keep_out_of_checkpoints(self, "syncnet")  # loaded from its own file

    def train(self, mode: bool = True) -> SyncLoss:
        """The expert stays in eval mode."""
        super().train(mode)
        if self.syncnet is not None:
            self.syncnet.eval()
        return self

    def forward(
        self, frames: torch.Tensor, mel: torch.Tensor, n_frames: torch.Tensor | None = None
    ) -> torch.Tensor:
        """
        Args:
            frames (Tensor): (B, T_v, 3, H, W) generated frames in [-1, 1].
            mel (Tensor): (B, n_mels, T_mel) the audio they must match (T_mel >= 4 T_v).
            n_frames (LongTensor | None): (B,) valid frames; windows past them are skipped.
        Returns:
            scalar BCE towards "in sync" (0 when switched off or no window fits).
        """
        if not self.enabled:
            return frames.new_zeros(())
        net = self.syncnet
        k, m = net.n_frames, net.mels_per_frame
        b, t = frames.shape[:2]
        lengths = torch.full((b,), t) if n_frames is None else n_frames.cpu()
        starts = [(i, s) for i in range(b) for s in range(0, int(lengths[i]) - k + 1,
                                                             self.window_stride)]  # fmt: skip
        starts = [(i, s) for i, s in starts if (s + k) * m <= mel.shape[-1]]
        if not starts:
            return frames.new_zeros(())
        video = torch.stack([frames[i, s : s + k] for i, s in starts])
        audio = torch.stack([mel[i, :, s * m : (s + k) * m] for i, s in starts])
        return sync_bce(net(audio, video), 1.0)
