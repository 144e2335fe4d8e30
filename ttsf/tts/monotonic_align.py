"""Monotonic alignment search (MAS, Glow-TTS §3.2; used by Matcha-TTS for training durations).

Given the log-likelihood ``log_p[i, j]`` of mel frame ``j`` under token ``i``'s prior, find the
monotonic, surjective alignment (every token gets >= 1 frame, in order, with no skips) of
maximum total log-likelihood, by dynamic programming::

    Q[i, j] = log_p[i, j] + max(Q[i, j-1], Q[i-1, j-1])

The forward pass is vectorised over batch and tokens (one step per frame); the backtrack is
vectorised over the batch. Ties prefer staying on the same token, as Glow-TTS's Cython does.
"""

from __future__ import annotations

import torch

__all__ = ["maximum_path"]


@torch.no_grad()
def maximum_path(log_p: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The most likely monotonic alignment.

    Args:
        log_p (Tensor): (B, T_text, T_mel) log-likelihood of each frame under each token.
        mask (Tensor): (B, T_text, T_mel) 1 where both the token and the frame are valid
            (the outer product of the two sequence masks); needs ``T_text_b <= T_mel_b``.
    Returns:
        path (Tensor): (B, T_text, T_mel) 0/1, same dtype as ``log_p``; each valid frame
        belongs to exactly one token.
    """
    b, t_x, t_y = log_p.shape
    device = log_p.device
    x_len = mask[:, :, 0].sum(1).long()  # (B,)
    y_len = mask[:, 0, :].sum(1).long()
    if bool((x_len > y_len).any()):
        raise ValueError(
            f"MAS needs at least one frame per token; text lengths {x_len.tolist()} vs "
            f"mel lengths {y_len.tolist()}"
        )
    neg_inf = torch.tensor(float("-inf"), device=device, dtype=torch.float64)
    lp = log_p.double().masked_fill(mask == 0, float("-inf"))
    tok = torch.arange(t_x, device=device)
    # moved_down[:, i, j]: the best path into (i, j) comes from token i - 1 at frame j - 1.
    moved_down = torch.zeros(b, t_x, t_y, dtype=torch.bool, device=device)
    q = torch.where(tok == 0, lp[:, :, 0], neg_inf)  # frame 0 must be token 0
    for j in range(1, t_y):
        stay = torch.where(tok <= j - 1, q, neg_inf)  # (i, j-1) reachable only if i <= j-1
        down = torch.cat([neg_inf.expand(b, 1), q[:, :-1]], dim=1)
        moved_down[:, :, j] = down > stay
        q = torch.maximum(stay, down) + lp[:, :, j]
    # Backtrack from (x_len - 1, y_len - 1) of each item.
    path = torch.zeros(b, t_x, t_y, dtype=log_p.dtype, device=device)
    idx = x_len - 1
    rows = torch.arange(b, device=device)
    for j in range(t_y - 1, -1, -1):
        active = j < y_len
        path[rows[active], idx[active], j] = 1
        step = moved_down[rows, idx.clamp(min=0), j] & active
        idx = idx - step.long()
    return path
