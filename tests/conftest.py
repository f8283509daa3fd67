import numpy as np
import pytest

import tapegrad as tg


@pytest.fixture(autouse=True)
def _seed():
    tg.manual_seed(0)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def t64(a, requires_grad=True):
    """A float64 tensor that requires grad."""
    return tg.Tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def numeric_grad(f, x, eps=1e-6):
    """Central differences of the scalar f (a numpy function) at the float64 array x."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + eps
        fp = f(x)
        x[idx] = old - eps
        fm = f(x)
        x[idx] = old
        g[idx] = (fp - fm) / (2 * eps)
    return g


def epoch(loader):
    """One pass of a DataLoader, each batch as a tuple of arrays (copied)."""
    return [tuple(t.numpy().copy() for t in batch) for batch in loader]


def resumed_mid_epoch(make, path):
    """(the batches of three epochs of make()'s loader, the same three epochs run as one
    epoch and two batches, a checkpoint through tg.save/tg.load, and the rest resumed on a
    fresh loader), seeded alike: an exact resume gives equal lists."""
    tg.manual_seed(0)
    full = make()
    reference = epoch(full) + epoch(full) + epoch(full)
    tg.manual_seed(0)
    first = make()
    seen = epoch(first)
    it = iter(first)
    seen += [tuple(t.numpy() for t in next(it)), tuple(t.numpy() for t in next(it))]
    tg.save({"loader": first.state_dict(), "rng": tg.get_rng_state()}, path / "c.npz")
    tg.manual_seed(99)  # anything drawn in between is undone by the restore
    ckpt = tg.load(path / "c.npz")
    resumed = make()
    tg.set_rng_state(ckpt["rng"])
    resumed.load_state_dict({k: (v.numpy() if isinstance(v, tg.Tensor) else v)
                             for k, v in ckpt["loader"].items()})
    seen += epoch(resumed) + epoch(resumed)
    return seen, reference
