"""Motion-removed identity code kept steady over a clip (optional; not a term of the paper).

TTSF §3.3 conditions the voice on ``f_id = f_s - M(f_s)`` because removing the motion should
leave a code that does not change with the portrait's pose. In LIA that property comes from
long training at 256x256; on short runs nothing asks for it, and ``f_id`` can move *more* with
the pose than ``f_s`` (docs/mini_results.md). This term asks for it directly: the codes of the
frames of one clip (one person, many poses and mouths) should agree, relative to how codes of
different clips differ, so it cannot be met by shrinking the codes.
"""

from __future__ import annotations

import torch

from ttsf.losses.abs_loss import AbsLoss, loss_registry


@loss_registry.register("code_consistency")
class CodeConsistencyLoss(AbsLoss):
    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        """
        Args:
            codes (Tensor): (B, K, D) a code of K frames of each of B clips (e.g. the portrait's
                and the driving frames' ``f_id``).
        Returns:
            scalar in [0, 1]: the within-clip share of the codes' variance,
            sum ||c_bk - mean_k c_bk||^2 / sum ||c_bk - mean_bk c_bk||^2 (scale-free; 1 when
            B is 1, since then all variance is within the clip).
        """
        if codes.dim() != 3 or codes.shape[1] < 2:
            raise ValueError(
                f"code_consistency: codes {tuple(codes.shape)} must be (B, K >= 2, D)"
            )
        within = (codes - codes.mean(1, keepdim=True)).pow(2).sum()
        total = (codes - codes.mean((0, 1), keepdim=True)).pow(2).sum()
        return within / total.clamp(min=1e-8)
