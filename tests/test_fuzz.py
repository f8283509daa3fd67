"""Tier 2: hypothesis throws random broadcastable shapes, axes and index expressions at the
public ops. Each call matches numpy forward and finite differences backward, or raises a
tapegrad ValueError/TypeError — never a numpy internal error or a wrong shape."""

import numpy as np
from conftest import numeric_grad
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tapegrad as tg

FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
finite = st.floats(-3, 3, allow_nan=False, width=64)

OPS = {
    "add": (np.add, lambda a, b: a + b),
    "sub": (np.subtract, lambda a, b: a - b),
    "mul": (np.multiply, lambda a, b: a * b),
    "div": (lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1)),
    "maximum": (np.maximum, tg.maximum),
}


@FAST
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       op=st.sampled_from(sorted(OPS)), data=st.data())
def test_binary_broadcast_matches_numpy_and_fd(shapes, op, data):
    np_fn, tg_fn = OPS[op]
    a = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=finite))
    b = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=finite))
    if op == "maximum":  # keep clear of ties, where the derivative is undefined
        b = b + 0.5 * (np.abs(a - b) < 1e-3)
    ta, tb = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
    out = tg_fn(ta, tb)
    np.testing.assert_allclose(out.numpy(), np_fn(a, b), rtol=1e-12, atol=1e-12)
    assert out.shape == shapes.result_shape
    w = np.random.default_rng(0).standard_normal(out.shape)
    (out * w).sum().backward()
    ga = numeric_grad(lambda x: (np_fn(x, b) * w).sum(), a)
    gb = numeric_grad(lambda y: (np_fn(a, y) * w).sum(), b)
    np.testing.assert_allclose(ta.grad.numpy(), ga, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tb.grad.numpy(), gb, rtol=1e-5, atol=1e-6)


@FAST
@given(a=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=4),
                   elements=finite),
       b=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=4),
                   elements=finite))
def test_unbroadcastable_pairs_raise_tapegrad_errors(a, b):
    try:
        expected = np.add(a, b)
    except ValueError:
        expected = None
    try:
        got = tg.Tensor(a) + tg.Tensor(b)
    except tg.ShapeError as e:
        assert expected is None and "add" in str(e)
    else:
        np.testing.assert_array_equal(got.numpy(), expected)


@FAST
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                   elements=finite),
       op=st.sampled_from(["sum", "mean", "max", "min", "logsumexp", "var"]),
       keepdims=st.booleans(), data=st.data())
def test_reductions_with_random_axes(x, op, keepdims, data):
    axis = data.draw(st.none() | st.integers(-x.ndim - 1, x.ndim))
    t = tg.Tensor(x, requires_grad=True)
    try:
        out = getattr(t, op)(axis=axis, keepdims=keepdims)
    except tg.ShapeError:
        assert axis is not None and not -x.ndim <= axis < x.ndim
        return
    ref = {"logsumexp": lambda a: np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))}.get(
        op, lambda a: getattr(np, op)(a, axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(out.numpy(), ref(x), rtol=1e-10, atol=1e-12)
    if op in ("max", "min"):
        return  # ties make finite differences one-sided
    w = np.random.default_rng(1).standard_normal(out.shape)
    (out * w).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), numeric_grad(lambda a: (ref(a) * w).sum(), x),
                               rtol=1e-5, atol=1e-6)


def index_strategy(shape):
    def one(n):
        return (st.integers(-n - 1, n)
                | st.builds(slice, st.none() | st.integers(-n, n), st.none() | st.integers(-n, n),
                            st.none() | st.sampled_from([1, 2, -1]))
                | st.lists(st.integers(-n, n - 1) if n else st.nothing(), min_size=1, max_size=4)
                .map(np.array))
    return st.tuples(*[one(n) for n in shape]).flatmap(
        lambda idx: st.sampled_from([idx, idx[:1], idx + (Ellipsis,), (Ellipsis,) + idx[1:]]))


@FAST
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data())
def test_random_indexing(shape, data):
    x = np.random.default_rng(2).standard_normal(shape)
    index = data.draw(index_strategy(shape))
    try:
        expected = x[index]
    except IndexError:
        expected = None
    t = tg.Tensor(x, requires_grad=True)
    try:
        out = t[index]
    except (ValueError, TypeError) as e:
        assert expected is None, f"tapegrad refused {index!r}: {e}"
        return
    assert expected is not None
    np.testing.assert_array_equal(out.numpy(), expected)
    w = np.random.default_rng(3).standard_normal(out.shape)
    (out * w).sum().backward()
    g = np.zeros_like(x)
    np.add.at(g, index, w)  # the adjoint of indexing, repeated indices accumulating
    np.testing.assert_allclose(t.grad.numpy(), g)
