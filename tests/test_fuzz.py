"""Tier 2: hypothesis throws random shapes, dtypes (float32/float64), axes and axis tuples,
index expressions (ints, slices, integer arrays, boolean masks, new axes), broadcast pairs
and joins at the public ops and at the composites of nn.functional (activations, the softmax
family at scale 1 and 1e4, cross_entropy with random labels, layer_norm, batch_norm, the
elementwise losses), and at PyTorch's spellings (max/min(dim=) as (values, indices),
sort/argsort/topk with ties, einsum with size-1 broadcast, fill_/masked_fill of integer
tensors). Each call matches numpy forward and finite differences backward (or a
closed-form gradient), keeps its dtype and raises no numpy warning -- or raises a tapegrad
ValueError/TypeError naming the op: never a numpy internal error, a wrong shape or a NaN."""

import warnings

import numpy as np
import pytest
from conftest import numeric_grad
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tapegrad as tg
import tapegrad.nn.functional as F

pytestmark = pytest.mark.filterwarnings("error")  # any numpy warning fails the example

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
                .map(np.array)
                | st.lists(st.booleans(), min_size=n, max_size=n + 1).map(np.array)  # masks
                | st.none())  # a new axis

    def as_arrays(idx):
        """Next to index arrays an integer i becomes [i]: numpy orders the axes of a key
        mixing the two unlike PyTorch (test_tensor.py pins PyTorch's order); for [i] they agree."""
        if not any(isinstance(k, np.ndarray) for k in idx):
            return idx
        return tuple(np.array([k]) if isinstance(k, int) else k for k in idx)
    return st.tuples(*[one(n) for n in shape]).map(as_arrays).flatmap(
        lambda idx: st.sampled_from([idx, idx[:1], idx + (Ellipsis,), (Ellipsis,) + idx[1:]]))


@FAST
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data())
def test_random_indexing(shape, data):
    x = np.random.default_rng(2).standard_normal(shape)
    index = data.draw(index_strategy(shape))
    if any(isinstance(k, slice) and k.step == -1 for k in index):
        with pytest.raises(ValueError, match="getitem: slice steps must be positive"):
            tg.Tensor(x)[index]
        return
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


# ---------------------------------------------------------------------- dtypes and composites
DTYPES = st.sampled_from([np.float32, np.float64])
TOL = {np.float32: dict(rtol=2e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}

def _off_zero(x):
    return np.where(x >= 0, x + 0.2, x - 0.2)  # away from the kink, where FD is one-sided


UNARY = {  # name: (tapegrad, numpy reference, shift of the input into the op's domain)
    "exp": (lambda t: t.exp(), np.exp, lambda x: x),
    "log": (lambda t: t.log(), np.log, lambda x: np.abs(x) + 0.5),
    "log1p": (lambda t: t.log1p(), np.log1p, lambda x: np.abs(x)),
    "sqrt": (lambda t: t.sqrt(), np.sqrt, lambda x: np.abs(x) + 0.5),
    "tanh": (lambda t: t.tanh(), np.tanh, lambda x: x),
    "sigmoid": (lambda t: t.sigmoid(), lambda x: 0.5 * (1 + np.tanh(0.5 * x)), lambda x: x),
    "relu": (lambda t: t.relu(), lambda x: np.maximum(x, 0), _off_zero),
    "abs": (lambda t: t.abs(), np.abs, _off_zero),
    "square": (lambda t: t.square(), np.square, lambda x: x),
    "neg": (lambda t: -t, np.negative, lambda x: x),
    "pow3": (lambda t: t ** 3, lambda x: x ** 3, lambda x: x),
    "softplus": (F.softplus, lambda x: np.logaddexp(0, x), lambda x: x),
    "elu": (F.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
            _off_zero),
    "leaky_relu": (F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x),
                   _off_zero),
}


@FAST
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                   elements=finite),
       op=st.sampled_from(sorted(UNARY)), dtype=DTYPES)
def test_unary_ops_keep_dtype_and_match_numpy_and_fd(x, op, dtype):
    tg_fn, np_fn, domain = UNARY[op]
    x = domain(x).astype(dtype)
    t = tg.Tensor(x, requires_grad=True)
    out = tg_fn(t)
    assert out.dtype == dtype and out.shape == x.shape
    np.testing.assert_allclose(out.numpy(), np_fn(x.astype(np.float64)), **TOL[dtype])
    w = np.random.default_rng(4).standard_normal(x.shape)
    (out * w.astype(dtype)).sum().backward()
    assert t.grad.dtype == dtype
    fd = numeric_grad(lambda a: (np_fn(a) * w).sum(), x.astype(np.float64))
    np.testing.assert_allclose(t.grad.numpy(), fd, rtol=1e-4 if dtype == np.float32 else 1e-5,
                               atol=1e-4 if dtype == np.float32 else 1e-6)


@FAST
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       dtypes=st.tuples(DTYPES, DTYPES), data=st.data())
def test_mixed_float_dtypes_promote_like_pytorch_and_grads_keep_each_dtype(shapes, dtypes,
                                                                           data):
    a = data.draw(hnp.arrays(dtypes[0], shapes.input_shapes[0], elements=finite))
    b = data.draw(hnp.arrays(dtypes[1], shapes.input_shapes[1], elements=finite))
    ta, tb = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
    out = ta * tb + ta

    def promoted(x, y):  # PyTorch's rule for floats: a 0-d operand takes the other's dtype
        if x.ndim == 0 < y.ndim:
            return y.dtype
        return x.dtype if y.ndim == 0 < x.ndim else np.result_type(x, y)
    product = np.empty(np.broadcast_shapes(a.shape, b.shape), promoted(a, b))
    assert out.dtype == promoted(product, a) and out.shape == shapes.result_shape
    out.sum().backward()
    assert ta.grad.dtype == a.dtype and tb.grad.dtype == b.dtype
    # d/da Σ(a·b + a) = Σ over the broadcast axes of (b + 1), by finite differences
    ga = numeric_grad(lambda x: (x * b.astype(np.float64) + x).sum(), a)
    gb = numeric_grad(lambda y: (a.astype(np.float64) * y).sum(), b)
    np.testing.assert_allclose(ta.grad.numpy(), ga, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(tb.grad.numpy(), gb, rtol=1e-4, atol=1e-5)


def np_log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


@FAST
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                   elements=finite),
       fn=st.sampled_from(["softmax", "log_softmax", "logsumexp"]), dtype=DTYPES,
       scale=st.sampled_from([1.0, 1e4]), data=st.data())
def test_softmax_family_on_random_axes_and_huge_inputs(x, fn, dtype, scale, data):
    axis = data.draw(st.integers(-x.ndim - 1, x.ndim))
    xs = (x * scale).astype(dtype)
    t = tg.Tensor(xs, requires_grad=True)
    call = {"softmax": lambda: F.softmax(t, axis), "log_softmax": lambda: F.log_softmax(t, axis),
            "logsumexp": lambda: tg.logsumexp(t, axis=axis)}[fn]
    if not -x.ndim <= axis < x.ndim:
        with pytest.raises(tg.ShapeError, match=f"{fn}: axis {axis} is out of range"):
            call()
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow / invalid-value warnings at ±1e4
        out = call()
        w = np.random.default_rng(5).standard_normal(out.shape)
        (out * w.astype(dtype)).sum().backward()
    x64 = xs.astype(np.float64)
    ref = {"softmax": lambda a: np.exp(np_log_softmax(a, axis)),
           "log_softmax": lambda a: np_log_softmax(a, axis),
           "logsumexp": lambda a: (a - np_log_softmax(a, axis)).max(axis=axis)}[fn]
    assert out.dtype == dtype and t.grad.dtype == dtype
    np.testing.assert_allclose(out.numpy(), ref(x64), rtol=TOL[dtype]["rtol"] * 5,
                               atol=1e-5 if dtype == np.float32 else 1e-10)
    assert np.isfinite(t.grad.numpy()).all()
    if scale == 1.0:
        fd = numeric_grad(lambda a: (ref(a) * w).sum(), x64)
        np.testing.assert_allclose(t.grad.numpy(), fd, rtol=1e-4, atol=1e-4)


@FAST
@given(n=st.integers(1, 4), c=st.integers(1, 4), dtype=DTYPES,
       label_dtype=st.sampled_from([np.int32, np.int64, np.uint8, np.float32, np.bool_]),
       smoothing=st.sampled_from([0.0, 0.1]), reduction=st.sampled_from(["mean", "sum", "none"]),
       data=st.data())
def test_cross_entropy_random_labels(n, c, dtype, label_dtype, smoothing, reduction, data):
    logits = data.draw(hnp.arrays(dtype, (n, c), elements=st.floats(-1e4, 1e4, width=32)))
    labels = np.array(data.draw(st.lists(st.integers(-2, c + 1), min_size=n, max_size=n)))
    target = labels.astype(label_dtype) if label_dtype != np.uint8 else np.abs(labels).astype(
        np.uint8)
    t = tg.Tensor(logits, requires_grad=True)
    call = lambda: F.cross_entropy(t, target, label_smoothing=smoothing,  # noqa: E731
                                   reduction=reduction)
    if target.dtype.kind not in "iu":
        with pytest.raises(TypeError, match="cross_entropy: class-index targets must be "):
            call()
        return
    bad = [int(v) for v in target if not 0 <= int(v) < c]
    if bad:
        with pytest.raises(ValueError, match=f"cross_entropy: target label {bad[0]} is out of "):
            call()
        assert t.grad is None
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = call()
        loss.sum().backward()
    logp = np_log_softmax(logits.astype(np.float64), 1)
    y = target.astype(np.int64)
    per = (1 - smoothing) * -logp[np.arange(n), y] - smoothing * logp.mean(axis=1)
    ref = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    assert loss.dtype == dtype and t.grad.dtype == dtype
    np.testing.assert_allclose(loss.numpy(), ref, rtol=1e-5, atol=1e-3)
    p = np.exp(logp)
    q = np.full((n, c), smoothing / c)
    q[np.arange(n), y] += 1 - smoothing
    grad = (p - q) / (n if reduction == "mean" else 1)  # dL/dlogits = softmax - smoothed target
    np.testing.assert_allclose(t.grad.numpy(), grad, rtol=1e-4, atol=1e-5)


@FAST
@given(a_shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=3),
       b_shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=3), dtype=DTYPES)
def test_matmul_random_shapes(a_shape, b_shape, dtype):
    rng = np.random.default_rng(6)
    a = rng.standard_normal(a_shape).astype(dtype)
    b = rng.standard_normal(b_shape).astype(dtype)
    try:
        expected = np.matmul(a.astype(np.float64), b.astype(np.float64))
    except ValueError:
        expected = None
    ta, tb = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
    try:
        out = ta @ tb
    except tg.ShapeError as e:
        assert expected is None and str(e).startswith("matmul: ") and str(a_shape) in str(e)
        return
    assert expected is not None and out.shape == expected.shape and out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), expected, **TOL[dtype])
    w = rng.standard_normal(out.shape)
    (out * w.astype(dtype)).sum().backward()
    fa = numeric_grad(lambda x: (np.matmul(x, b.astype(np.float64)) * w).sum(), a)
    fb = numeric_grad(lambda y: (np.matmul(a.astype(np.float64), y) * w).sum(), b)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ta.grad.numpy(), fa, **tol)
    np.testing.assert_allclose(tb.grad.numpy(), fb, **tol)


@FAST
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4),
                   elements=finite),
       k=st.integers(1, 3), dtype=DTYPES, affine=st.booleans())
def test_layer_norm_over_random_trailing_axes(x, k, dtype, affine):
    shape = x.shape[-k:] if k <= x.ndim else x.shape
    xs = x.astype(dtype)
    t = tg.Tensor(xs, requires_grad=True)
    rng = np.random.default_rng(7)
    w = b = None
    if affine:
        w = tg.Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
        b = tg.Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    out = F.layer_norm(t, shape, w, b)
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    x64 = xs.astype(np.float64)

    def ref(a):
        z = (a - a.mean(axis=axes, keepdims=True)) / np.sqrt(a.var(axis=axes, keepdims=True)
                                                             + 1e-5)
        return z if w is None else z * w.numpy() + b.numpy()
    assert out.dtype == dtype and out.shape == x.shape
    # the mean's rounding in the tensor's dtype (a few ulps of max |x|), amplified by
    # 1/√(var + ε): a feature that is constant in float32 comes out at ~1e-4, not 0
    amplified = (4 * np.finfo(dtype).eps * np.abs(x64).max()
                 / np.sqrt(x64.var(axis=axes).min() + 1e-5))
    np.testing.assert_allclose(out.numpy(), ref(x64), rtol=1e-4, atol=1e-4 + amplified)
    if dtype == np.float64 and x64.var(axis=axes).min() > 1e-2:  # FD is ill-conditioned
        g = rng.standard_normal(x.shape)  # where the variance is near ε = 1e-5
        (out * g).sum().backward()
        np.testing.assert_allclose(t.grad.numpy(), numeric_grad(lambda a: (ref(a) * g).sum(),
                                                                x64), rtol=1e-4, atol=1e-5)


@FAST
@given(shape=hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4), dtype=DTYPES,
       training=st.booleans(), affine=st.booleans(), data=st.data())
def test_batch_norm_random_shapes_match_numpy(shape, dtype, training, affine, data):
    rng = np.random.default_rng(8)
    x = (rng.standard_normal(shape) * data.draw(st.sampled_from([1.0, 1e4]))).astype(dtype)
    c = shape[1]
    rm, rv = rng.standard_normal(c).astype(dtype), rng.uniform(0.5, 2, c).astype(dtype)
    running = [tg.Tensor(rm.copy()), tg.Tensor(rv.copy())]
    w = tg.Tensor(rng.standard_normal(c).astype(dtype), requires_grad=True) if affine else None
    b = tg.Tensor(rng.standard_normal(c).astype(dtype), requires_grad=True) if affine else None
    axes = (0,) if len(shape) == 2 else (0, 2)
    count = shape[0] * (shape[2] if len(shape) == 3 else 1)
    t = tg.Tensor(x, requires_grad=True)
    if training and count == 1:
        with pytest.raises(ValueError, match="batch_norm: expected more than 1 value"):
            F.batch_norm(t, *running, w, b, training=True)
        assert running[0].numpy().tolist() == rm.tolist()  # nothing changed
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.batch_norm(t, *running, w, b, training=training)
        out.sum().backward()
    x64 = x.astype(np.float64)
    view = (1, c) if len(shape) == 2 else (1, c, 1)
    mu = x64.mean(axis=axes) if training else rm.astype(np.float64)
    var = x64.var(axis=axes) if training else rv.astype(np.float64)
    ref = (x64 - mu.reshape(view)) / np.sqrt(var.reshape(view) + 1e-5)
    if affine:
        ref = ref * w.numpy().reshape(view) + b.numpy().reshape(view)
    assert out.dtype == dtype and t.grad.dtype == dtype and np.isfinite(t.grad.numpy()).all()
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-4, atol=1e-3 if dtype == np.float32
                               else 1e-9)
    if training:  # PyTorch's update: unbiased batch variance, momentum 0.1
        np.testing.assert_allclose(running[0].numpy(), 0.9 * rm + 0.1 * mu, rtol=1e-5)
        np.testing.assert_allclose(running[1].numpy(),
                                   0.9 * rv + 0.1 * var * count / (count - 1), rtol=1e-4)
    else:
        assert running[0].numpy().tolist() == rm.tolist()


@FAST
@given(shapes=st.tuples(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
                        hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)),
       loss=st.sampled_from(["mse_loss", "binary_cross_entropy",
                             "binary_cross_entropy_with_logits"]),
       reduction=st.sampled_from(["mean", "sum", "none"]), dtype=DTYPES)
def test_elementwise_losses_on_random_shape_pairs(shapes, loss, reduction, dtype):
    rng = np.random.default_rng(9)
    x = rng.uniform(0.05, 0.95, shapes[0]).astype(dtype)
    y = rng.uniform(0, 1, shapes[1]).astype(dtype)
    t = tg.Tensor(x, requires_grad=True)
    if shapes[0] != shapes[1]:  # no silent broadcasting of a (N, 1) output against (N,)
        with pytest.raises(tg.ShapeError, match=f"{loss}: input shape .* and target shape"):
            getattr(F, loss)(t, y, reduction=reduction)
        return
    out = getattr(F, loss)(t, y, reduction=reduction)
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    per = {"mse_loss": (x64 - y64) ** 2,
           "binary_cross_entropy": -(y64 * np.log(x64) + (1 - y64) * np.log(1 - x64)),
           "binary_cross_entropy_with_logits": np.logaddexp(0, x64) - y64 * x64}[loss]
    ref = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    assert out.dtype == dtype and out.shape == np.shape(ref)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5 if dtype == np.float32 else 1e-12)


@FAST
@given(shapes=st.lists(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3), min_size=1,
                       max_size=3),
       join=st.sampled_from(["concatenate", "stack"]), axis=st.integers(-4, 3))
def test_joins_of_random_shapes(shapes, join, axis):
    rng = np.random.default_rng(10)
    arrays = [rng.standard_normal(s) for s in shapes]
    try:
        expected = getattr(np, join)(arrays, axis=axis)
    except (ValueError, np.exceptions.AxisError):
        expected = None
    ts = [tg.Tensor(a, requires_grad=True) for a in arrays]
    try:
        out = getattr(tg, join)(ts, axis=axis)
    except (ValueError, TypeError) as e:
        assert expected is None, f"tapegrad refused what numpy accepts: {e}"
        assert str(e).startswith(f"{join}")
        return
    assert expected is not None
    np.testing.assert_array_equal(out.numpy(), expected)
    w = rng.standard_normal(out.shape)
    (out * w).sum().backward()
    # the adjoint of a join hands each input its own slice of w
    pieces = (np.split(w, np.cumsum([a.shape[axis] for a in arrays])[:-1], axis=axis)
              if join == "concatenate" else np.moveaxis(w, axis, 0))
    for t, piece in zip(ts, pieces):
        np.testing.assert_array_equal(t.grad.numpy(), piece)


@FAST
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=4, max_side=3),
                   elements=finite), data=st.data())
def test_permute_and_reshape_random(x, data):
    perm = tuple(data.draw(st.permutations(range(x.ndim))))
    bad = data.draw(st.booleans()) and x.ndim > 1
    if bad:  # a repeated axis (Tensor.permute does not yet reject out-of-range axes)
        perm = perm[:-1] + (perm[0],)
    t = tg.Tensor(x, requires_grad=True)
    if bad:
        with pytest.raises(tg.ShapeError, match="permute: "):
            t.permute(*perm)
        return
    out = t.permute(*perm).reshape(-1)
    np.testing.assert_array_equal(out.numpy(), np.transpose(x, perm).reshape(-1))
    w = np.random.default_rng(11).standard_normal(out.shape)
    (out * w).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(),
                                  np.transpose(w.reshape(np.transpose(x, perm).shape),
                                               np.argsort(perm)))


@FAST
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                   elements=finite),
       op=st.sampled_from(["sum", "mean", "var", "logsumexp"]), keepdims=st.booleans(),
       dtype=DTYPES, data=st.data())
def test_reductions_over_axis_tuples_in_both_dtypes(x, op, keepdims, dtype, data):
    axis = tuple(data.draw(st.lists(st.integers(-x.ndim, x.ndim - 1), max_size=x.ndim)))
    xs = x.astype(dtype)
    t = tg.Tensor(xs, requires_grad=True)
    norm = sorted(a % x.ndim for a in axis)
    if len(set(norm)) < len(norm):
        with pytest.raises(tg.ShapeError, match=f"{op}: repeated axis"):
            getattr(t, op)(axis=axis, keepdims=keepdims)
        return
    out = getattr(t, op)(axis=axis, keepdims=keepdims)
    x64 = xs.astype(np.float64)
    ref = {"logsumexp": lambda a: np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))}.get(
        op, lambda a: getattr(np, op)(a, axis=axis, keepdims=keepdims))
    assert out.dtype == dtype and out.shape == np.shape(ref(x64))
    np.testing.assert_allclose(out.numpy(), ref(x64), rtol=1e-5 if dtype == np.float32
                               else 1e-10, atol=1e-5 if dtype == np.float32 else 1e-12)
    w = np.random.default_rng(12).standard_normal(out.shape)
    (out * w.astype(dtype)).sum().backward()
    assert t.grad.dtype == dtype
    np.testing.assert_allclose(t.grad.numpy(), numeric_grad(lambda a: (ref(a) * w).sum(), x64),
                               rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------------- PyTorch spellings
@FAST
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0,
                                                  max_side=3), elements=finite),
       op=st.sampled_from(["max", "min"]), keepdim=st.booleans(), data=st.data())
def test_max_min_with_dim_are_values_and_first_indices(x, op, keepdim, data):
    """x.max(dim=d) is (values, indices) with numpy's argmax (first on ties) and the gradient
    going to that one index; an empty axis or a dim out of range is a ShapeError naming op."""
    nd = max(x.ndim, 1)
    dim = data.draw(st.integers(-nd - 1, nd))
    t = tg.Tensor(x, requires_grad=True)
    ax = dim % nd if -nd <= dim < nd else None
    if ax is None or x.ndim and x.shape[ax] == 0:
        with pytest.raises(tg.ShapeError, match=f"{op}: "):
            getattr(t, op)(dim=dim, keepdim=keepdim)
        return
    values, indices = getattr(t, op)(dim=dim, keepdim=keepdim)
    a = x.reshape(1) if x.ndim == 0 else x
    idx = getattr(np, f"arg{op}")(a, axis=ax, keepdims=True)
    ref = np.take_along_axis(a, idx, ax)
    assert indices.dtype == np.int64 and values.dtype == np.float64
    shape = ref.shape if keepdim else np.squeeze(ref, ax).shape
    assert values.shape == indices.shape == (shape if x.ndim else ())
    np.testing.assert_array_equal(values.numpy().reshape(ref.shape), ref)
    np.testing.assert_array_equal(indices.numpy().reshape(idx.shape), idx)
    w = np.random.default_rng(13).standard_normal(values.shape)
    (values * w).sum().backward()
    g = np.zeros_like(a)
    np.put_along_axis(g, idx, w.reshape(idx.shape), ax)
    np.testing.assert_array_equal(t.grad.numpy(), g.reshape(x.shape))


@FAST
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0,
                                                  max_side=4),
                   elements=st.integers(-2, 2).map(float)),  # many ties
       descending=st.booleans(), data=st.data())
def test_sort_argsort_topk_are_stable_and_scatter_their_gradient(x, descending, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    t = tg.Tensor(x, requires_grad=True)
    values, indices = t.sort(dim, descending)
    ref = np.argsort(-x if descending else x, axis=dim, kind="stable")
    np.testing.assert_array_equal(indices.numpy(), ref)
    np.testing.assert_array_equal(t.argsort(dim, descending).numpy(), ref)
    np.testing.assert_array_equal(values.numpy(), np.take_along_axis(x, ref, dim))
    k = data.draw(st.integers(0, x.shape[dim]))
    top, where = t.topk(k, dim, largest=descending)
    np.testing.assert_array_equal(where.numpy(), np.take(ref, range(k), axis=dim))
    w = np.random.default_rng(14).standard_normal(top.shape)
    (top * w).sum().backward()
    g = np.zeros_like(x)
    np.put_along_axis(g, where.numpy(), w, dim)
    np.testing.assert_array_equal(t.grad.numpy(), g)


@FAST
@given(sizes=st.tuples(*[st.integers(0, 3)] * 3), ones=st.tuples(*[st.booleans()] * 6),
       spec=st.sampled_from(["ij,jk->ik", "ij,jk", "ij,ij->i", "ij,ik->jk", "i,j->ij"]),
       dtype=DTYPES)
def test_einsum_broadcasts_size_1_axes_both_ways(sizes, ones, spec, dtype):
    """A letter may have size n in one operand and 1 in another (numpy's and PyTorch's
    broadcast); each operand's gradient has its own shape (broadcast back to n, or summed
    to 1). A letter repeated with two sizes in one operand is a ShapeError."""
    n = dict(zip("ijk", sizes))
    terms = spec.split("->")[0].split(",")
    flags = iter(ones)
    shapes = [tuple(1 if next(flags) else n[c] for c in term) for term in terms]
    rng = np.random.default_rng(15)
    xs = [rng.standard_normal(s).astype(dtype) for s in shapes]
    try:
        expected = np.einsum(spec, *[x.astype(np.float64) for x in xs])
    except ValueError:
        with pytest.raises(tg.ShapeError, match="einsum"):
            tg.einsum(spec, *xs)
        return
    ts = [tg.Tensor(x, requires_grad=True) for x in xs]
    out = tg.einsum(spec, *ts)
    assert out.dtype == dtype and out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)
    w = rng.standard_normal(out.shape)
    (out * w.astype(dtype)).sum().backward()
    for i, (t, x) in enumerate(zip(ts, xs)):
        def f(v, i=i):
            args = [a.astype(np.float64) for a in xs]
            args[i] = v
            return (np.einsum(spec, *args) * w).sum()
        assert t.grad.shape == x.shape and t.grad.dtype == dtype
        np.testing.assert_allclose(t.grad.numpy(), numeric_grad(f, x.astype(np.float64)),
                                   rtol=1e-4, atol=1e-4)


@FAST
@given(shape=hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3),
       dtype=st.sampled_from([np.int64, np.int32, np.bool_, np.float32]),
       value=st.sampled_from([np.nan, np.inf, -np.inf, 1e30, 2.5, -3, True]),
       as_tensor=st.booleans())
def test_fill_and_masked_fill_store_only_values_the_dtype_holds(shape, dtype, value,
                                                                 as_tensor):
    x = np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)
    v = tg.tensor(value) if as_tensor else value
    fits = dtype not in (np.int64, np.int32) or (np.isfinite(value)
                                                 and abs(value) <= np.iinfo(dtype).max)
    mask = np.ones(shape, bool)
    t = tg.Tensor(x.copy())
    if not fits:
        for call, who in ((lambda: t.masked_fill(mask, v), "masked_fill"),
                          (lambda: t.fill_(v), "fill_")):
            with pytest.raises(ValueError, match=f"{who}: .* does not fit"):
                call()
            np.testing.assert_array_equal(t.numpy(), x)  # nothing changed
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy's own casts of 1e30 to float32 etc.
        ref = np.full(shape, np.array(value).astype(dtype))
    filled = t.masked_fill(mask, v)
    assert filled.dtype == dtype
    np.testing.assert_array_equal(filled.numpy(), ref)
    assert t.fill_(v) is t and t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), ref)
