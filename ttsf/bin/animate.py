"""ttsf-animate: a portrait + a driving video -> a video of the portrait with the driver's motion.

    ttsf-animate --config exp/ttsf/config.yaml --model exp/ttsf/model.pth \\
        --image face.png --driver driving.mp4 --out animated.mp4 [--relative] [--batch_size 8]

``--config`` is the training config (its ``face_generator`` / ``motion_extractor`` entries);
``--model`` a joint TTSF model file (keys ``face_generator.*``, ``motion_extractor.*``). The
portrait and the driving frames are centre-cropped to squares and resized to the generator's
size; the driver's audio track, if any, is copied to the output.
"""

from __future__ import annotations

import argparse
import logging
import sys

log = logging.getLogger("ttsf-animate")


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--config", required=True, help="training YAML (face_generator, ...)")
    p.add_argument("--model", required=True, help="model .pth (joint TTSF state dict)")
    p.add_argument("--image", required=True, help="portrait image (png/jpg)")
    p.add_argument("--driver", required=True, help="driving video (mp4)")
    p.add_argument("--out", required=True, help="output mp4")
    p.add_argument("--relative", action="store_true", help="LIA relative motion transfer")
    p.add_argument("--batch_size", type=int, default=8, help="frames per decoder call")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ...")
    p.add_argument("--log_level", default="INFO")
    return p


def run(args: argparse.Namespace) -> None:
    import numpy as np
    import torch
    from PIL import Image

    from ttsf.config import build, check_config, load_config
    from ttsf.tfg.cpu_allocator import keep_freed_memory_on_cpu
    from ttsf.tfg.motion_fusion import DEFAULT_MOTION_LAYERS
    from ttsf.tfg.reenactment import animate, load_submodule, to_model_images, to_uint8_frames
    from ttsf.video.io import probe, read_audio, read_video, write_video

    cfg = load_config(args.config)
    check_config(cfg, ["face_generator", "motion_extractor"])
    generator = build(cfg, "face_generator")
    extractor = build(cfg, "motion_extractor")
    state = torch.load(args.model, map_location="cpu", weights_only=True)
    load_submodule(generator, state, "face_generator", args.model)
    load_submodule(extractor, state, "motion_extractor", args.model)
    device = torch.device(args.device)
    keep_freed_memory_on_cpu(args.device)
    generator.to(device).eval()
    extractor.to(device).eval()

    try:
        image = np.asarray(Image.open(args.image).convert("RGB"))
    except OSError as exc:
        raise ValueError(f"cannot read portrait {args.image}: {exc}") from exc
    size = generator.image_size
    portrait = to_model_images(image[None], size).to(device)
    frames, fps = read_video(args.driver)
    driver = to_model_images(frames, size).to(device)
    audio = read_audio(args.driver) if probe(args.driver).has_audio else None
    log.info("animating %s with %d frames of %s", args.image, len(driver), args.driver)
    model_conf = cfg.get("model_conf") or {}  # as the model was trained
    mask = bool(model_conf.get("mask_lower_face", False))
    if mask:
        log.info("model_conf.mask_lower_face: the head follows the driver, the mouth does not")
    frames = animate(
        generator, extractor, portrait, driver, args.batch_size, args.relative,
        motion_layers=model_conf.get("motion_layers", DEFAULT_MOTION_LAYERS), mask_lower_face=mask,
    )  # fmt: skip
    out = [to_uint8_frames(x) for x in frames]
    write_video(args.out, np.concatenate(out), fps=fps, audio=audio)
    log.info("wrote %s", args.out)


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    from ttsf.config import ConfigError
    from ttsf.video.io import VideoIOError

    try:
        run(args)
    except (ConfigError, VideoIOError, ValueError, FileNotFoundError) as exc:
        print(f"ttsf-animate: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
