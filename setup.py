"""TTSF: jointly synthesising a talking face and its speech from text and one portrait.

Dependency choices (measured on Python 3.11, 2026-11; details in tools/README.md):
  * torch/torchvision/torchaudio are pinned by tools/install.sh to one matched official set
    (2.9.1/0.24.1/2.9.1): PyPI's torchaudio and torchvision only load beside the exact torch they
    were built for, and torchaudio has no release for newer torch. Here we only ask for ranges.
  * espnet 202511 declares setuptools<74; setuptools 65-73 also keeps pkg_resources, which
    pyworld and face-recognition-models import.
  * openai-whisper and facenet-pytorch are installed by tools/install.sh with --no-deps (whisper
    pulls triton, ~1 GB of GPU kernels; facenet-pytorch declares torch<2.3 and numpy<2 but runs
    on current ones). Their real run-time needs are listed in "all" below.
"""

from setuptools import find_packages, setup

install_requires = [
    "torch>=2.1",
    "torchaudio>=2.1",
    "torchvision>=0.16",
    "espnet==202511",  # trainer, registry (ClassChoices), HiFi-GAN, conformer
    "numpy",
    "scipy",
    "pyyaml",
    "tqdm",
    "humanfriendly",
    "kaldiio",
    "sentencepiece",
    "torch-complex",
    "soundfile",
    "librosa",
    "phonemizer",  # espeak-ng phonemes (Matcha-TTS english_cleaners2)
    "inflect",  # numbers to words in the English cleaner
    "unidecode",
    "av",  # PyAV: mp4 read/write; its wheel bundles FFmpeg with libx264 and AAC
    "opencv-python-headless",
    "pyworld",
    "jiwer",
    "tensorboard",
    "scikit-image",  # ships real portraits (astronaut) for the mini corpus and tests
    "matplotlib",  # ships grace_hopper.jpg; t-SNE figure
    "scikit-learn",
]

extras_require = {
    # Metric back-ends and face detectors. openai-whisper and facenet-pytorch themselves are
    # installed with --no-deps by tools/install.sh; here are what they need at run time.
    "backends": [
        "speechbrain==1.1.2",  # x-vector (paper's C-SIM back-end)
        "tiktoken",
        "more-itertools",
        "numba",  # openai-whisper
        "requests",  # facenet-pytorch imports it
        "pocketsphinx>=5",  # offline WER back-end: ships an English model
        "resemblyzer",  # offline C-SIM back-end: ships its voice encoder
        "dlib-bin",  # prebuilt dlib (building dlib from source takes ~15 min on 2 cores)
        "face-recognition-models",  # dlib's face detector / landmark / descriptor weights
    ],
    "dev": ["pytest", "pytest-timeout", "ruff"],
}
extras_require["all"] = extras_require["backends"] + extras_require["dev"]

setup(
    name="ttsf",
    version="0.1.0",
    description="Faces that Speak: talking face and speech from text and one portrait",
    long_description=__doc__,
    packages=find_packages(include=["ttsf", "ttsf.*"]),
    python_requires=">=3.10",
    install_requires=install_requires,
    extras_require=extras_require,
    entry_points={
        "console_scripts": [
            "ttsf-synthesize=ttsf.bin.synthesize:main",
            "ttsf-animate=ttsf.bin.animate:main",
            "ttsf-score=ttsf.bin.score:main",
        ]
    },
    license="Apache-2.0",
)
