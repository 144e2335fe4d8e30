"""TTSF: text + one portrait -> talking-face video and its speech (Faces that Speak)."""

__version__ = "0.1.0"
