"""bench/worker_memory.py's pieces: the subset dump a task trains on, and the /proc sampler."""

import os
import sys
from pathlib import Path

import pytest
from tiny_dump import TINY_JOINT, make_dump

import ttsf.tasks  # noqa: F401  (registers the tasks)
from ttsf.registry import get_registry

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from worker_memory import sample, subset_dump  # noqa: E402


def test_subset_dump_is_a_dump_of_the_first_utterances(tmp_path):
    src = make_dump(tmp_path / "dump", n_utt=4)
    make_dump(tmp_path / "dump", n_utt=2, set_name="dev")  # a sibling dump: not linked
    dst = subset_dump(src, tmp_path / "work" / "dump" / "train", 2)
    first = sorted(line.split()[0] for line in (src / "text").read_text().splitlines())[:2]
    for name in ("text", "feats.scp", "frames.scp", "utt2spk", "wav.scp", "token_int"):
        assert [line.split()[0] for line in (dst / name).read_text().splitlines()] == first
    spk2utt = dict(line.split(maxsplit=1) for line in (dst / "spk2utt").read_text().splitlines())
    assert sorted(u for utts in spk2utt.values() for u in utts.split()) == first
    assert (dst.parent / "token_list").is_symlink() and (dst.parent / "feats_stats.npz").exists()
    assert not (dst.parent / "dev").exists()

    dataset = get_registry("task").build("ttsf").build_dataset(TINY_JOINT, str(dst), train=True)
    assert len(dataset) == 2
    with pytest.raises(SystemExit, match="holds 4 utterances; pass --utterances <= 4"):
        subset_dump(src, tmp_path / "other" / "train", 5)


def test_sample_reads_this_process():
    rss, worker_private, pss = sample(os.getpid())
    assert rss > 10 and pss > 10 and worker_private == 0  # pytest starts no workers
