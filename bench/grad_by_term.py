"""Which loss terms move which module? The gradient norm each group of a joint model's loss
terms gives each group of its parameters, on a few training batches.

Session 22 (docs/mini_results.md) used it to find that under the mouth box the frame losses
reach the TTS through the audio mapper's inputs:

    cd egs/mini && python ../../bench/grad_by_term.py --exp exp/ttsf_long --train_data dump/train

``--state init`` measures the joint stage's starting point instead (the config's ``tts_init``
and ``init_param``). Prints one row per group of terms: the TTS's own loss (``tts``),
``voice_pose``, and every other term (``frames``: the frame, sampler and code terms).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import yaml
from torch import nn

from ttsf.bin.train import initial_model
from ttsf.registry import get_registry
from ttsf.train.checkpoint import seed_everything

#: groups of parameters, by name prefix
MODULES = {
    "tts.encoder": "tts.encoder",
    "projection": "tts.conditioning",
    "E": "face_generator.encoder",
    "mapper": "audio_mapper",
}


def term_groups(weights: dict[str, float]) -> dict[str, dict[str, float]]:
    """The model's loss weights split into the tts / voice_pose / frames groups: for each, the
    weights with every term outside the group set to 0."""
    solo = ("tts", "voice_pose")
    member = {g: (lambda k, g=g: k == g) for g in solo}
    member["frames"] = lambda k: k not in solo
    return {g: {k: (v if inside(k) else 0.0) for k, v in weights.items()}
            for g, inside in member.items()}  # fmt: skip


def grad_norms_by_term(
    model: nn.Module, batches: list[dict], modules: dict[str, str] = MODULES
) -> dict[str, dict[str, float]]:
    """{term group: {module: gradient L2 norm, averaged over batches}} for a model with
    ``weights`` (FaceGAN's) and a generator step ``model(**batch)``. Batch i is run under seed
    i for every group (the same sampler noise), and the weights are restored."""
    weights = dict(model.weights)
    out: dict[str, dict[str, float]] = {}
    try:
        for group, group_weights in term_groups(weights).items():
            model.weights = group_weights
            acc = dict.fromkeys(modules, 0.0)
            for i, batch in enumerate(batches):
                seed_everything(i)
                model.zero_grad(set_to_none=True)
                model(**batch, optim_idx=0)["loss"].backward()
                for name, prefix in modules.items():
                    sq = sum(float(p.grad.pow(2).sum()) for n, p in model.named_parameters()
                             if n.startswith(prefix + ".") and p.grad is not None)  # fmt: skip
                    acc[name] += sq**0.5 / len(batches)
            out[group] = acc
    finally:
        model.weights = weights
        model.zero_grad(set_to_none=True)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--exp", type=Path, required=True, help="a joint model's exp dir")
    p.add_argument("--train_data", required=True, help="the dump dir it was trained on")
    p.add_argument("--state", choices=("trained", "init"), default="trained")
    p.add_argument("--n_batches", type=int, default=4)
    p.add_argument("--batch_size", type=int, default=8)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    needed = ["config.yaml"] + (["model.pth"] if args.state == "trained" else [])
    for f in needed:
        if not (args.exp / f).is_file():
            p.error(f"{args.exp / f} does not exist (train the joint model first)")
    torch.set_num_threads(args.threads)
    cfg = yaml.safe_load((args.exp / "config.yaml").read_text())
    task = get_registry("task").build("ttsf")
    seed_everything(0)
    if args.state == "init":
        model = initial_model(task, cfg, args.train_data)
    else:
        model = task.build_model(cfg, args.train_data)
        state = torch.load(args.exp / "model.pth", map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    data = task.build_dataset(cfg, args.train_data, train=True)
    collate = task.collate_fn(cfg)
    batches = []
    for i in range(args.n_batches):
        lo = i * args.batch_size
        if lo + args.batch_size > len(data):
            p.error(f"{args.train_data} has {len(data)} examples, fewer than the batches need")
        batches.append(collate([data[j] for j in range(lo, lo + args.batch_size)]))
    norms = grad_norms_by_term(model, batches)
    print(f"{args.exp} ({args.state}): gradient norm by term group, mean of {len(batches)} batches")
    print("| terms | " + " | ".join(MODULES) + " |")
    print("|---|" + "---|" * len(MODULES))
    for group, row in norms.items():
        print(f"| {group} | " + " | ".join(f"{v:.3g}" for v in row.values()) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
