"""YAML configs: load, override from the command line, import plugin modules, check, build.

A config selects each component as ``<family>: <name>`` with its options in
``<family>_conf: {...}`` (ESPnet's convention). Checking happens when the config is loaded, so
a typo fails before any data is read or any model built::

    cfg = load_config("conf/train.yaml", ["motion_sampler=none", "tts_conf.n_timesteps=4"])
    check_config(cfg, families=["tts", "motion_sampler"])
    sampler = build(cfg, "motion_sampler")
"""

from __future__ import annotations

import copy
import importlib
import re
from pathlib import Path
from typing import Any, Hashable, Iterable, Mapping

import yaml

from ttsf.registry import RegistryError, _suggest, get_registry
from ttsf.utils.fileio import atomic_open

__all__ = [
    "ConfigError",
    "load_config",
    "apply_overrides",
    "import_plugins",
    "check_config",
    "build",
    "save_config",
]


class ConfigError(ValueError):
    """A config file or override that cannot be used; the message says which and why."""


class _Loader(yaml.SafeLoader):
    """PyYAML reads ``1e-3`` as the string "1e-3" (YAML 1.1 wants ``1.0e-3``); researchers
    write learning rates the first way, so read floats as YAML 1.2 (and Python) do.

    A key given twice in one mapping is an error: PyYAML keeps the last silently, so a second
    ``loss_weights:`` appended to a config would drop every weight the first one set."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # SafeLoader's own error names it below
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark,
                    f"found the key '{key}' twice (first at line {seen[key].line + 1}): "
                    "keep one and merge what they set", key_node.start_mark,
                )  # fmt: skip
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


def _parse_value(text: str) -> Any:
    """``"4"`` -> 4, ``"[1, 2]"`` -> [1, 2], ``"none"`` -> "none" (a plugin name, not null)."""
    if text.lower() in ("none",):
        return text
    try:
        return _load_yaml(text)
    except yaml.YAMLError:
        return text


def apply_overrides(cfg: dict, overrides: Iterable[str]) -> dict:
    """Apply ``a.b.c=value`` overrides (YAML values) to a copy of ``cfg``.

    A leading ``--`` is accepted (``--tts_conf.n_feats=80``). Intermediate dicts are created
    as needed; a path through a non-dict value is an error.
    """
    cfg = copy.deepcopy(cfg)
    for item in overrides:
        key, sep, value = item.removeprefix("--").partition("=")
        if not sep or not key:
            raise ConfigError(
                f"override '{item}' is not of the form key=value (e.g. optim_conf.lr=1e-4)"
            )
        node = cfg
        parts = key.split(".")
        for i, part in enumerate(parts[:-1]):
            nxt = node.setdefault(part, {})
            if nxt is None:
                nxt = node[part] = {}
            if not isinstance(nxt, dict):
                raise ConfigError(
                    f"override '{item}': '{'.'.join(parts[: i + 1])}' is {nxt!r}, not a mapping"
                )
            node = nxt
        node[parts[-1]] = _parse_value(value)
    return cfg


def _read_yaml(path: Path, chain: tuple[Path, ...] = ()) -> dict:
    """One config file; a ``base: other.yaml`` key (relative to this file) is read first and
    this file's keys are merged into it (mappings key by key, anything else replaced), so a
    ``conf/tuning/`` config states only what it changes."""
    if not path.is_file():
        where = f" (the base of {chain[-1]})" if chain else ""
        raise ConfigError(f"config file {path}{where} does not exist")
    if path.resolve() in chain:
        raise ConfigError(f"config file {path}: its 'base:' chain loops back to itself")
    try:
        cfg = _load_yaml(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
    if not isinstance(cfg, dict):
        raise ConfigError(f"config file {path} must hold a mapping, not {type(cfg).__name__}")
    base = cfg.pop("base", None)
    if base is None:
        return cfg
    return _merge(_read_yaml(path.parent / base, (*chain, path.resolve())), cfg)


def _merge(base: dict, top: Mapping) -> dict:
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_config(path: str | Path | None = None, overrides: Iterable[str] = ()) -> dict:
    """Read a YAML mapping (or start empty; see :func:`_read_yaml` for ``base:``), apply
    overrides, import the listed plugins."""
    cfg = _read_yaml(Path(path)) if path is not None else {}
    cfg = apply_overrides(cfg, overrides)
    import_plugins(cfg)
    return cfg


def import_plugins(cfg: Mapping) -> None:
    """Import the modules named in ``cfg["plugins"]`` so their decorators register them."""
    plugins = cfg.get("plugins") or []
    if isinstance(plugins, str):
        plugins = [plugins]
    for name in plugins:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ConfigError(
                f"plugin module '{name}' (listed under 'plugins:') cannot be imported: {exc}. "
                "Is it installed or on PYTHONPATH?"
            ) from exc


def check_config(
    cfg: Mapping, families: Iterable[str], other_keys: Iterable[str] | None = None
) -> None:
    """Check every ``<family>`` name and ``<family>_conf`` key of ``cfg``.

    Args:
        families: the component slots the consumer of this config builds.
        other_keys: the remaining top-level keys it reads; when given, any other key is an
            error (a key nothing reads is a silent mistake).
    """
    families = list(families)
    for family in families:
        try:
            get_registry(family).check_conf(cfg.get(family), cfg.get(f"{family}_conf"))
        except RegistryError as exc:
            raise ConfigError(str(exc)) from exc
    if other_keys is not None:
        valid = set(other_keys) | {"plugins"}
        valid |= set(families) | {f"{f}_conf" for f in families}
        unknown = sorted(k for k in cfg if k not in valid)
        if unknown:
            raise ConfigError(
                f"unknown config key(s) {unknown}; valid keys: {', '.join(sorted(valid))}."
                f"{_suggest(unknown[0], sorted(valid))}"
            )


def build(cfg: Mapping, family: str, /, **extra: Any):
    """Build the component ``cfg[family]`` with ``cfg[family + "_conf"]`` and ``extra``."""
    try:
        return get_registry(family).build(cfg.get(family), cfg.get(f"{family}_conf"), **extra)
    except RegistryError as exc:
        raise ConfigError(str(exc)) from exc


def save_config(cfg: Mapping, path: str | Path) -> None:
    """Write ``cfg`` as YAML, atomically (the exact config a model was trained with)."""
    with atomic_open(path) as f:
        yaml.safe_dump(dict(cfg), f, sort_keys=False, default_flow_style=None)
