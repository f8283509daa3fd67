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
