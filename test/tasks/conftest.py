"""Fixtures shared by the task tests."""

import pytest
from tiny_dump import make_dump


@pytest.fixture(scope="module")
def dump(tmp_path_factory):
    """A tiny train dump of 4 utterances with a ``dev`` set beside it (the joint tasks'; a
    module may define its own)."""
    root = tmp_path_factory.mktemp("dump")
    make_dump(root, n_utt=4, set_name="dev", seed=1)
    return make_dump(root, n_utt=4)
