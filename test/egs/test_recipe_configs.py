"""Every training config a recipe ships (egs/*/conf/**/train_<task>*.yaml) loads, its
``base:`` chain included, and passes the check ``ttsf.bin.train`` makes before training: a
component name, a ``_conf`` key or a top-level key nothing reads is caught here, not an hour
into a recipe."""

import pickle
from pathlib import Path

import pytest

import ttsf.tasks  # noqa: F401  (registers the tasks)
from ttsf.config import check_config, load_config
from ttsf.registry import get_registry
from ttsf.tasks.abs_task import TRAINER_KEYS

ROOT = Path(__file__).parents[2]
CONFIGS = sorted(ROOT.glob("egs/*/conf/**/train_*.yaml"))


def _task(path: Path) -> str:
    """train_ttsf_long_lips.yaml -> "ttsf"; the task ``ttsf.bin.train --task`` is given."""
    return path.stem.removeprefix("train_").split("_")[0]


def test_the_recipes_ship_configs_of_every_kind():
    assert {_task(p) for p in CONFIGS} >= {"tts", "ttsf", "tfg", "syncnet", "vocoder"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT / "egs")))
def test_config_passes_the_trainers_check(path):
    cfg = load_config(path)
    task_cls = get_registry("task").get(_task(path))
    check_config(cfg, task_cls.families, other_keys=(*TRAINER_KEYS, *task_cls.other_keys))
    # the trainer starts data-loader workers by forkserver: they receive collate_fn pickled
    collate = task_cls().collate_fn(cfg)
    assert callable(pickle.loads(pickle.dumps(collate)))
