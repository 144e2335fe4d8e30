import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))


@pytest.fixture(autouse=True)
def _seed_and_one_thread():
    """Every test starts from the same random state, on one thread: test tensors are tiny, so
    a second thread only adds synchronisation, and on a loaded 2-core machine
    oversubscription made tests 3-10x slower."""
    torch.manual_seed(0)
    np.random.seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
