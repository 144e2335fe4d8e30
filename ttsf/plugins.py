"""Import every built-in component module so that its ``@registry.register`` runs.

Modules are found by walking the component packages, so a new built-in plugin needs no edit
here. Plugin modules must import optional heavy dependencies (dlib, whisper, ...) lazily,
inside the methods that use them, so that listing plugins never needs them.
"""

import importlib
import pkgutil

COMPONENT_PACKAGES = (
    "ttsf.text",
    "ttsf.tts",
    "ttsf.vocoder",
    "ttsf.tfg",
    "ttsf.losses",
    "ttsf.metrics",
    "ttsf.data",
    "ttsf.tasks",
)


def _import_all() -> None:
    for pkg_name in COMPONENT_PACKAGES:
        pkg = importlib.import_module(pkg_name)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{pkg_name}."):
            importlib.import_module(info.name)


_import_all()
