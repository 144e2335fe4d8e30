"""Stage 2: data dir -> 256x256 face crops, log-mels, token ids (ttsf.data.features).

    python -m ttsf.bin.extract_features --data_dir data/trainval --dump_dir dump --is_train \\
        --token_type espeak_phn --nj 2 --min_dur 0.5 --max_dur 20
    python -m ttsf.bin.extract_features --data_dir data/test --dump_dir dump --nj 2

The dump layout is documented in ttsf/data/features.py.
"""

import argparse
import json
import logging
import sys

import yaml

from ttsf.data.features import FaceCropConf, extract_features


def main(argv: list[str] | None = None) -> int:
    d = FaceCropConf()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data_dir", required=True)
    p.add_argument("--dump_dir", required=True)
    p.add_argument("--set_name", default=None, help="default: the data dir's name")
    p.add_argument("--is_train", action="store_true", help="write token list/BPE/feats_stats")
    p.add_argument("--token_type", default="espeak_phn", help="text frontend: espeak_phn|char|bpe")
    p.add_argument("--bpe_vocab_size", type=int, default=500)
    p.add_argument("--face_detector", default=d.detector, help="mtcnn | dlib | a plugin's name")
    p.add_argument("--face_detector_conf", default="{}", help="YAML dict, e.g. '{model: cnn}'")
    p.add_argument("--detect_every", type=int, default=d.detect_every)
    p.add_argument("--min_score", type=float, default=d.min_score)
    p.add_argument("--min_face_ratio", type=float, default=d.min_face_ratio)
    p.add_argument("--smooth_window", type=int, default=d.smooth_window)
    p.add_argument("--crop_size", type=int, default=d.size)
    p.add_argument("--crop_scale", type=float, default=d.scale)
    p.add_argument("--crf", type=int, default=d.crf, help="x264 quality of the stored crops")
    p.add_argument("--min_dur", type=float, default=0.0)
    p.add_argument("--max_dur", type=float, default=float("inf"))
    p.add_argument("--nj", type=int, default=1)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    crop = FaceCropConf(
        detector=args.face_detector,
        detector_conf=tuple(sorted((yaml.safe_load(args.face_detector_conf) or {}).items())),
        detect_every=args.detect_every,
        min_score=args.min_score,
        min_face_ratio=args.min_face_ratio,
        smooth_window=args.smooth_window,
        size=args.crop_size,
        scale=args.crop_scale,
        crf=args.crf,
    )
    summary = extract_features(
        args.data_dir, args.dump_dir, args.set_name, args.is_train, args.token_type,
        args.bpe_vocab_size, crop, args.min_dur, args.max_dur, args.nj,
    )  # fmt: skip
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
