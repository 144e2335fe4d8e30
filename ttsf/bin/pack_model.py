"""Stage 7: pack a trained model into one archive that ``ttsf-synthesize --model`` runs anywhere.

    python -m ttsf.bin.pack_model --exp_dir exp/ttsf --out exp/ttsf/packed/model.tar \\
        [--model model.pth] [--vocoder_checkpoint exp/vocoder/generator.pth]

The archive holds ``config.yaml`` (file paths rewritten relative to the archive), the weights
(without the discriminator and the training-only loss networks), the token list or BPE model,
the mel statistics and the vocoder checkpoint. It is written atomically.
"""

from __future__ import annotations

import argparse
import copy
import io
import sys
import tarfile
from pathlib import Path

import torch
import yaml

from ttsf.config import load_config
from ttsf.tasks.ttsf import MODEL_FILE_KEYS
from ttsf.utils.fileio import atomic_path

TRAINING_ONLY = ("losses.", "discriminator.")


def pack(exp_dir: Path, out: Path, model: str = "model.pth", vocoder_checkpoint: str | None = None):
    """Write the archive; returns the names it holds."""
    cfg = load_config(exp_dir / "config.yaml")
    if vocoder_checkpoint:
        cfg.setdefault("vocoder_conf", {})["checkpoint"] = vocoder_checkpoint
    packed = copy.deepcopy(cfg)
    files: dict[str, Path] = {}
    for section, key in MODEL_FILE_KEYS:
        holder = cfg if section is None else (cfg.get(section) or {})
        if not holder.get(key):
            continue
        src = Path(holder[key])
        if not src.is_file():
            raise FileNotFoundError(
                f"{section + '.' if section else ''}{key}: {src} does not exist"
            )
        name = src.name if src.name not in files or files[src.name] == src else f"{key}_{src.name}"
        files[name] = src
        (packed if section is None else packed[section])[key] = name
    for key in ("tts_init", "losses"):  # training-time inputs mean nothing in the archive
        packed.pop(key, None)
    packed["discriminator"] = None

    weights = exp_dir / model
    if not weights.is_file():
        raise FileNotFoundError(f"{weights} does not exist; finish stage 4 first")
    state = torch.load(weights, map_location="cpu", weights_only=True)
    state = {k: v for k, v in state.items() if not k.startswith(TRAINING_ONLY)}
    with atomic_path(out, suffix=".tar") as tmp, tarfile.open(tmp, "w") as tar:
        _add_bytes(tar, "config.yaml", yaml.safe_dump(packed, sort_keys=False).encode())
        buf = io.BytesIO()
        torch.save(state, buf)
        _add_bytes(tar, "model.pth", buf.getvalue())
        for name, src in files.items():
            tar.add(src, arcname=name)
    return ["config.yaml", "model.pth", *files]


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--exp_dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--model", default="model.pth", help="weights file inside exp_dir")
    p.add_argument("--vocoder_checkpoint", default=None)
    args = p.parse_args(argv)
    try:
        names = pack(Path(args.exp_dir), Path(args.out), args.model, args.vocoder_checkpoint)
    except FileNotFoundError as exc:
        print(f"pack_model: {exc}", file=sys.stderr)
        return 2
    print(f"{args.out}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
