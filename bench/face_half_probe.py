"""A quick look at a face half (E, M, G) alone, e.g. right after ``--task tfg`` pretraining,
before any joint training: the figures of docs/mini_results.md's session-12 probe table.

    cd egs/mini && python ../../bench/face_half_probe.py --joint exp/ttsf_long/model.pth \\
        --face exp/tfg_long/model.pth [--motion_layers 1 2 ... 10] [--strip strip.png]

The face half's weights are put into a trained joint model (``--joint``, for its portrait
detector and its structure; its speech half is not used), then, on the corpus clips of the
training identities (stage 2's ``dump``):

* re-enacted lips: corr(mouth opening, energy) of the clips re-enacted from each identity's
  portrait with the clips' own motion codes (``mini_fidelity.reenacted_clips``);
* R^2 of the clips' mouth darkness (a fixed box of the crop, no landmarks) from their motion
  codes ``f_m``, leave-one-clip-out ridge: does the code carry the mouth;
* how far the portrait's pose moves ``f_s`` and ``f_id`` relative to the identities' spread.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
import mini_fidelity as mf  # noqa: E402

MOUTH_BOX = (0.55, 0.75, 0.35, 0.65)  # top, bottom, left, right of the corpus's face crops


def box_darkness(frames: np.ndarray) -> np.ndarray:
    """(T, S, S, 3) uint8 -> (T,) minus the mean of the mouth box."""
    s = frames.shape[1]
    top, bottom, left, right = (int(f * s) for f in MOUTH_BOX)
    return -frames[:, top:bottom, left:right].astype(np.float32).mean(axis=(1, 2, 3))


def main(argv: list[str] | None = None) -> int:
    import cv2

    from ttsf.data.mini.generate import speaker_id
    from ttsf.synthesis import Synthesizer

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--joint", type=Path, required=True, help="a joint model.pth")
    p.add_argument("--face", type=Path, required=True, help="the face half's model.pth")
    p.add_argument("--dump", type=Path, default=Path("dump"))
    p.add_argument("--motion_layers", type=int, nargs="+", help="as the face half trained")
    p.add_argument("--lip_clips", type=int, default=2, help="re-enacted clips per identity")
    p.add_argument("--code_clips", type=int, default=3, help="clips per identity for R^2")
    p.add_argument("--strip", type=Path, help="save corpus frames over their re-enactment")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    synth = Synthesizer.load(args.joint)
    model, size = synth.model, synth.image_size
    state = torch.load(args.face, weights_only=True, map_location="cpu")
    face = {k: v for k, v in state.items()
            if k.split(".")[0] in ("face_generator", "motion_extractor")}  # fmt: skip
    if not face:
        p.error(f"{args.face} holds no face_generator.* / motion_extractor.* weights")
    unexpected = model.load_state_dict(face, strict=False).unexpected_keys
    if unexpected:  # a face half of another architecture than --joint's
        p.error(f"{args.face}: {len(unexpected)} weights the joint model has no place for, "
                f"e.g. {unexpected[0]}; use a --joint trained with the same face config")
    if args.motion_layers:
        model.motion_layers = tuple(args.motion_layers)
    idents = mf.corpus_identities(0)
    stills = {k: i.image for k, i in idents.items()}
    speakers = {speaker_id(0, k): k for k in idents}

    def small(frames: np.ndarray) -> np.ndarray:  # at the model's resolution
        return np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA)
                         for f in frames])  # fmt: skip

    corpus = mf.corpus_clips(args.dump, speakers, args.code_clips)
    r2 = mf.mouth_in_motion_code(synth, corpus, lambda c: box_darkness(small(c.frames)))
    lip_clips = mf.corpus_clips(args.dump, speakers, args.lip_clips)
    reenacted = mf.reenacted_clips(synth, stills, lip_clips)
    lips = mf.lip_curve(reenacted, size)
    codes: dict[str, dict] = {"f_s": {}, "f_id": {}}
    for k, still in stills.items():
        for f_s, _, f_id, _ in mf.posed_portrait_codes(synth, still):
            codes["f_s"].setdefault(k, []).append(f_s[0].numpy())
            codes["f_id"].setdefault(k, []).append(f_id[0].numpy())
    print(json.dumps({
        "face": str(args.face),
        "reenacted_lips_shift0": round(float(lips[mf.SHIFTS.index(0)]), 3),
        "mouth_darkness_from_f_m_r2": round(r2, 3),
        "pose_moves_f_s": round(mf.pose_over_identity(codes["f_s"]), 3),
        "pose_moves_f_id": round(mf.pose_over_identity(codes["f_id"]), 3),
    }))  # fmt: skip
    if args.strip:  # the four darkest-mouthed frames of the first clip, then two closed ones
        c, r = lip_clips[0], reenacted[0]
        frames = small(c.frames)
        order = np.argsort(box_darkness(frames))
        pick = [*order[-4:], *order[:2]]
        rows = [np.concatenate([cv2.resize(x[i], (128, 128)) for i in pick], axis=1)
                for x in (frames, r.frames)]  # fmt: skip
        cv2.imwrite(str(args.strip), np.concatenate(rows)[..., ::-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
