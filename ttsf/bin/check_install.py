"""Check that every module the toolkit uses imports, offline, and print the versions.

python -m ttsf.bin.check_install
"""

import importlib
import shutil
import sys

# (import name, why the toolkit needs it)
REQUIRED = [
    ("torch", "all models"),
    ("torchaudio", "speechbrain, espnet2.tasks"),
    ("torchvision", "VGG19, face detector, Inception"),
    ("espnet2.train.trainer", "trainer"),
    ("espnet2.train.class_choices", "registry"),
    ("espnet2.gan_tts.hifigan", "HiFi-GAN vocoder"),
    ("espnet.nets.pytorch_backend.conformer.encoder_layer", "conformer prior"),
    ("sentencepiece", "bpe frontend"),
    ("kaldiio", "feature archives"),
    ("phonemizer", "espeak_phn frontend"),
    ("av", "mp4 I/O"),
    ("cv2", "face crop, head pose"),
    ("pyworld", "F0 RMSE"),
    ("jiwer", "WER"),
    ("librosa", "mel reference"),
    ("skimage", "mini corpus portraits"),
]
OPTIONAL = [
    ("whisper", "WER (paper back-end)"),
    ("speechbrain.inference.speaker", "C-SIM (paper back-end)"),
    ("facenet_pytorch", "MTCNN face detector"),
    ("pocketsphinx", "WER (offline back-end)"),
    ("resemblyzer", "C-SIM (offline back-end)"),
    ("dlib", "ID-SIM / landmarks (offline back-end)"),
    ("face_recognition_models", "dlib weights"),
]
PROGRAMS = ["espeak-ng", "ffmpeg", "ffprobe"]


def _try(name: str) -> str | None:
    try:
        mod = importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - report any import failure
        return f"FAILED ({type(exc).__name__}: {exc})"
    root = sys.modules.get(name.split(".")[0], mod)
    return getattr(root, "__version__", "ok")


def main() -> int:
    bad = 0
    for group, mods in (("required", REQUIRED), ("back-ends", OPTIONAL)):
        print(f"[{group}]")
        for name, why in mods:
            status = _try(name)
            bad += status.startswith("FAILED") and group == "required"
            print(f"  {name:52s} {status}  ({why})")
    print("[programs]")
    for prog in PROGRAMS:
        print(f"  {prog:52s} {shutil.which(prog) or 'MISSING'}")
    if bad:
        print(f"{bad} required module(s) failed to import", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
