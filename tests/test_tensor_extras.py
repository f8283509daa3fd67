"""PyTorch spellings added to the engine: factories, shape and sorting methods, cumsum,
einsum and its relatives. Gradients in float64 by tg.gradcheck, values against numpy."""

import numpy as np
import pytest

import tapegrad as tg


# ---------------------------------------------------------------------- factories
def test_random_factories_draw_from_tapegrads_generator():
    def draw():
        tg.manual_seed(7)
        return [tg.randn_like(tg.zeros(2, 3)), tg.rand_like(tg.zeros(4, dtype="float64")),
                tg.randint(0, 10, (5,)), tg.randint(3, (2, 2)), tg.randperm(6),
                tg.normal(1.0, 2.0, (3,)), tg.normal(tg.zeros(2), tg.ones(2))]

    first, again = draw(), draw()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    randn_like, rand_like, randint, randint_high, perm, normal, normal_t = first
    assert randn_like.shape == (2, 3) and randn_like.dtype == np.float32
    assert rand_like.dtype == np.float64 and ((0 <= rand_like.numpy()) & (rand_like.numpy() < 1)
                                              ).all()
    assert randint.dtype == np.int64 and ((0 <= randint.numpy()) & (randint.numpy() < 10)).all()
    assert randint_high.shape == (2, 2) and (randint_high.numpy() < 3).all()
    assert sorted(perm.tolist()) == list(range(6)) and perm.dtype == np.int64
    assert normal.shape == (3,) and normal.dtype == np.float32 and normal_t.shape == (2,)


def test_factory_keywords_and_plain_factories():
    x = tg.randn_like(tg.zeros(3), dtype="float64", requires_grad=True)
    assert x.dtype == np.float64 and x.requires_grad and x.is_leaf
    assert tg.normal(tg.zeros(2, dtype="float64"), 1.0).dtype == np.float64
    assert tg.randint(0, 4, 3, dtype="float32").dtype == np.float32
    f = tg.full_like(tg.zeros((2, 2), dtype="int64"), 3)
    assert f.dtype == np.int64 and f.tolist() == [[3, 3], [3, 3]]
    assert tg.full_like(tg.zeros(2), 0.5, requires_grad=True).requires_grad
    e = tg.empty(2, 3)  # zeros: PyTorch leaves it uninitialized
    assert e.shape == (2, 3) and e.dtype == np.float32 and not e.numpy().any()
    assert tg.empty((1,), dtype="float64").dtype == np.float64
    assert tg.is_tensor(e) and not tg.is_tensor(e.numpy())
    assert tg.get_default_dtype() == np.float32 == tg.tensor(1.0).dtype


@pytest.mark.parametrize("call, error, match", [
    (lambda: tg.randint(5, 3, (2,)), ValueError, "low must be below high"),
    (lambda: tg.randint(3), TypeError, "size"),
    (lambda: tg.randint(0.5, 3, (2,)), TypeError, "low"),
    (lambda: tg.randint(0, 3, (2,), requires_grad=True), TypeError, "floating"),
    (lambda: tg.randperm(-1), ValueError, "n must be"),
    (lambda: tg.rand_like(tg.zeros(2, dtype="int64")), TypeError, "rand_like"),
    (lambda: tg.randn(2, dtype="int64"), TypeError, "randn"),
    (lambda: tg.normal(0.0, -1.0, (2,)), ValueError, "std"),
    (lambda: tg.normal(tg.zeros(3), 1.0, (2,)), ValueError, r"\(3,\)"),
    (lambda: tg.empty(-1), ValueError, "empty"),
])
def test_factory_errors_change_no_state(call, error, match):
    state = tg.get_rng_state()
    with pytest.raises(error, match=match):
        call()
    assert tg.get_rng_state() == state
