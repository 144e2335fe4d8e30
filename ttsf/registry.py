"""One registry per component family; a config picks ``family: name`` + ``family_conf: {...}``.

This is ESPnet's ``slot: name`` / ``slot_conf`` convention (``espnet2/train/class_choices.py``)
with three additions a plugin toolkit needs: registration by decorator (so a third-party module
adds a plugin without editing ``ttsf/``), checking ``_conf`` keys against the constructor when
the config is *loaded*, and ``none`` as an ordinary name (ESPnet reserves it for "no
component", but here ``motion_sampler: none`` is a real component: a still head).

Example::

    from ttsf.tfg.abs_motion_sampler import AbsMotionSampler, motion_sampler_registry

    @motion_sampler_registry.register("my_sampler")
    class MySampler(AbsMotionSampler):
        def __init__(self, hidden: int = 256): ...

    sampler = motion_sampler_registry.build("my_sampler", {"hidden": 128})
"""

from __future__ import annotations

import difflib
import inspect
from typing import Any, Callable, Iterator, Mapping

__all__ = ["Registry", "RegistryError", "REGISTRIES", "get_registry", "all_registries"]


class RegistryError(ValueError):
    """An unknown family, plugin name or configuration key."""


#: Every family registry, by family name, in creation order.
REGISTRIES: dict[str, Registry] = {}


def _suggest(word: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(word, valid, n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


class Registry:
    """Name -> class for one family of components.

    Args:
        family: the config slot, e.g. ``"motion_sampler"``; its options are ``<family>_conf``.
        base: every registered class must subclass it (the family's abstract base).
        default: the name used when a config leaves the slot out (the paper's choice).
    """

    def __init__(self, family: str, base: type, default: str | None = None) -> None:
        if family in REGISTRIES:
            raise RegistryError(f"registry '{family}' already exists")
        self.family = family
        self.base = base
        self.default = default
        self._classes: dict[str, type] = {}
        REGISTRIES[family] = self

    # -- registration -------------------------------------------------------------------
    def register(self, name: str) -> Callable[[type], type]:
        """Class decorator: ``@registry.register("name")``."""
        key = name.lower()

        def deco(cls: type) -> type:
            if not (isinstance(cls, type) and issubclass(cls, self.base)):
                raise RegistryError(
                    f"{self.family} plugin '{name}' ({cls!r}) must subclass {self.base.__name__}"
                )
            old = self._classes.get(key)
            if old is not None and old is not cls and old.__qualname__ != cls.__qualname__:
                raise RegistryError(
                    f"{self.family} plugin '{name}' is already registered by "
                    f"{old.__module__}.{old.__qualname__}"
                )
            self._classes[key] = cls
            return cls

        return deco

    # -- lookup -------------------------------------------------------------------------
    def names(self) -> list[str]:
        return sorted(self._classes)

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._classes

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def get(self, name: str | None) -> type:
        """The class registered as ``name`` (``None`` -> the default)."""
        if name is None:
            name = self.default
        if name is None:
            raise RegistryError(f"'{self.family}' is not set and has no default")
        key = str(name).lower()
        if key not in self._classes:
            raise RegistryError(
                f"unknown {self.family} '{name}'; valid names: {', '.join(self.names())}."
                f"{_suggest(key, self.names())}"
            )
        return self._classes[key]

    def check_conf(self, name: str | None, conf: Mapping[str, Any] | None) -> None:
        """Raise if ``conf`` has a key the constructor of ``name`` does not take."""
        cls = self.get(name)
        conf = dict(conf or {})
        params = inspect.signature(cls.__init__).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            return
        valid = [k for k, p in params.items() if k != "self" and p.kind is not p.VAR_POSITIONAL]
        unknown = [k for k in conf if k not in valid]
        if unknown:
            raise RegistryError(
                f"unknown key(s) {unknown} in {self.family}_conf for {self.family} "
                f"'{name or self.default}'; valid keys: {', '.join(valid) or '(none)'}."
                f"{_suggest(unknown[0], valid)}"
            )

    def build(self, name: str | None, conf: Mapping[str, Any] | None = None, /, **extra: Any):
        """Instantiate ``name`` with ``conf`` (checked) and ``extra`` (code-supplied arguments,
        e.g. a vocabulary size known only at run time; positional-only parameters above keep
        ``name``/``conf`` free as constructor keywords)."""
        self.check_conf(name, conf)
        return self.get(name)(**dict(conf or {}), **extra)


def all_registries() -> dict[str, Registry]:
    """Every family registry, with the toolkit's built-in plugins registered."""
    import ttsf.plugins  # noqa: F401  (registers every built-in component)

    return REGISTRIES


def get_registry(family: str) -> Registry:
    """The registry of ``family`` (importing the toolkit's built-in plugins first)."""
    all_registries()
    if family not in REGISTRIES:
        raise RegistryError(
            f"unknown component family '{family}'; families: {', '.join(REGISTRIES)}."
            f"{_suggest(family, list(REGISTRIES))}"
        )
    return REGISTRIES[family]
