"""Tier 1: every primitive alone against finite differences, in float64, with broadcast
shapes on both sides; and second derivatives through the vjps."""

import math
import warnings

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import ops, tape


@pytest.fixture(autouse=True, params=["small values kept", "every value freed"])
def value_policy(request, monkeypatch):
    """Each check runs twice: as the engine treats small values (kept in their records for
    display) and as it treats large ones (dropped when no vjp reads them, let go during
    backward), so the freeing paths meet every primitive too."""
    if request.param == "every value freed":
        monkeypatch.setattr(tape, "SMALL_VALUES", 0)


def rnd(rng, *shape, positive=False):
    a = rng.standard_normal(shape)
    if positive:
        a = np.abs(a) + 0.5
    return tg.Tensor(a, requires_grad=True)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "maximum": tg.maximum,
    "minimum": tg.minimum,
    "pow": lambda a, b: a ** b,
}
SHAPE_PAIRS = [((3,), (3,)), ((2, 3), (3,)), ((3,), (2, 3)), ((2, 1, 4), (3, 1)), ((), (2, 2)),
               ((4, 1), ())]


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", SHAPE_PAIRS)
def test_binary_broadcast(name, shapes, rng):
    positive = name in ("pow", "div")
    a, b = rnd(rng, *shapes[0], positive=positive), rnd(rng, *shapes[1], positive=positive)
    assert tg.gradcheck(BINARY[name], [a, b])
    expected = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
                "maximum": np.maximum, "minimum": np.minimum, "pow": np.power}[name]
    np.testing.assert_allclose(BINARY[name](a, b).numpy(), expected(a.numpy(), b.numpy()))


UNARY = {
    "neg": (lambda x: -x, False),
    "exp": (lambda x: x.exp(), False),
    "log": (lambda x: x.log(), True),
    "log1p": (lambda x: x.log1p(), True),
    "sqrt": (lambda x: x.sqrt(), True),
    "square": (lambda x: x.square(), False),
    "tanh": (lambda x: x.tanh(), False),
    "sin": (lambda x: x.sin(), False),
    "cos": (lambda x: x.cos(), False),
    "sigmoid": (lambda x: x.sigmoid(), False),
    "erf": (lambda x: ops.erf(x * 2), False),  # reaching both of its rational branches
    "relu": (lambda x: x.relu(), False),
    "abs": (lambda x: x.abs(), False),
    "clip": (lambda x: x.clip(-0.5, 0.7), False),
    "pow_scalar": (lambda x: x ** 3, False),
    "pow_fraction": (lambda x: x ** 1.5, True),
    "rpow": (lambda x: 2.0 ** x, False),
    "rsub": (lambda x: 1 - x, False),
    "rdiv": (lambda x: 1 / x, True),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_unary(name, shape, rng):
    fn, positive = UNARY[name]
    x = rnd(rng, *shape, positive=positive)
    if name in ("relu", "abs", "clip"):  # keep away from the kinks
        x.data[np.abs(x.numpy()) < 0.05] = 0.3
        x.data[np.abs(x.numpy() - 0.7) < 0.05] = 0.3
        x.data[np.abs(x.numpy() + 0.5) < 0.05] = 0.3
    assert tg.gradcheck(fn, [x])


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "logsumexp", "var"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(op, axis, keepdims, rng):
    x = rnd(rng, 3, 4, 2)
    fn = lambda t: getattr(t, op)(axis=axis, keepdims=keepdims)  # noqa: E731
    assert tg.gradcheck(fn, [x])
    ref = {"logsumexp": lambda a: np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))}.get(
        op, lambda a: getattr(np, op)(a, axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(fn(x).numpy(), ref(x.numpy()), rtol=1e-12)


def test_max_ties_split_gradient():
    x = tg.Tensor(np.array([1.0, 3.0, 3.0, 2.0]), requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0.5, 0.5, 0])


@pytest.mark.parametrize("shapes", [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)),
                                    ((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((4,), (2, 4, 5)),
                                    ((2, 1, 3, 4), (5, 4, 2)), ((2, 3, 4), (4,))])
def test_matmul_shapes(shapes, rng):
    a, b = rnd(rng, *shapes[0]), rnd(rng, *shapes[1])
    np.testing.assert_allclose((a @ b).numpy(), a.numpy() @ b.numpy())
    assert tg.gradcheck(lambda p, q: p @ q, [a, b])


SHAPE_FNS = {
    "reshape": lambda x: x.reshape(4, 6),
    "reshape_minus1": lambda x: x.reshape(-1, 3),
    "transpose": lambda x: x.T,
    "swap": lambda x: x.transpose(0, 2),
    "permute": lambda x: x.permute(2, 0, 1),
    "flatten": lambda x: x.flatten(),
    "flatten_from_1": lambda x: x.flatten(1),
    "broadcast_to": lambda x: x[:, :1].broadcast_to(3, 2, 3, 4),
    "unsqueeze_squeeze": lambda x: x.unsqueeze(1).squeeze(1) * 2,
    "slice": lambda x: x[1:, ::2, -1],
    "int_index": lambda x: x[1],
    "ellipsis_newaxis": lambda x: x[..., None, 0],
    "int_array_repeats": lambda x: x[np.array([0, 1, 0, 0])],
    "list_index": lambda x: x[:, [2, 2, 0]],
    "bool_mask": lambda x: x[x.numpy() > 0],
    "tensor_index": lambda x: x[tg.tensor([1, 0, 1])],
    "concatenate": lambda x: tg.concatenate([x, x * 2, x[:, :1]], axis=1),
    "stack": lambda x: tg.stack([x, x.exp()], axis=-1),
    "where": lambda x: tg.where(x.numpy() > 0, x, x * 3),
}


@pytest.mark.parametrize("name", sorted(SHAPE_FNS))
def test_shape_and_indexing(name, rng):
    x = rnd(rng, 2, 3, 4)
    assert tg.gradcheck(SHAPE_FNS[name], [x])


def test_repeated_index_accumulates():
    x = tg.Tensor(np.arange(3.0), requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 0, 1])


SECOND_ORDER = {
    "mul": lambda x, y: (x * y * x).sum(),
    "div": lambda x, y: (x / y).sum(),
    "exp_log": lambda x, y: (x.exp() * y.log()).sum(),
    "tanh_sigmoid": lambda x, y: (x.tanh() * y.sigmoid()).sum(),
    "erf": lambda x, y: (ops.erf(x - y) * y).sum(),
    "sin_cos": lambda x, y: (x.sin() * (x * y).cos()).sum(),
    "sqrt_pow": lambda x, y: (x ** 3 + y.sqrt() * x ** y).sum(),
    "matmul": lambda x, y: ((x.reshape(2, 2) @ y.reshape(2, 2)) ** 2).sum(),
    "logsumexp": lambda x, y: (x * y).logsumexp(),
    "max_mean": lambda x, y: (x * y).max() + (x ** 2).mean(),
    "softmax": lambda x, y: (tg.softmax(x, 0) * y).sum(),
    "getitem_concat": lambda x, y: tg.concatenate([x[1:], y]).square().sum(),
    # integers then arrays (PyTorch's order), the vjp a scatter through a view
    "getitem_int_then_array": lambda x, y: (x.reshape(2, 1, 2)[0, :, [1, 1, 0]] ** 3
                                            * y[:3]).sum(),
    "broadcast": lambda x, y: (x.reshape(4, 1) * y).square().sum(),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_order(name, rng):
    """gradcheck of the gradient: the vjps themselves are differentiated correctly."""
    f = SECOND_ORDER[name]
    x, y = rnd(rng, 4, positive=True), rnd(rng, 4, positive=True)

    def gradient(a, b):
        ga, gb = tg.grad(f(a, b), [a, b], create_graph=True)
        return tg.concatenate([ga, gb])

    assert tg.gradcheck(gradient, [x, y])


def test_float32_stays_float32():
    x = tg.randn(3, requires_grad=True)
    y = (x * 0.5 + 1) / 2.0 - np.float64(3.0)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_mixed_dtype_gradient_matches_input_dtype():
    x = tg.randn(3, requires_grad=True)  # float32
    y = x * tg.Tensor(np.ones(3))  # float64 operand promotes the output
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_numbers_with_bool_and_small_int_tensors():
    """A number takes a bool tensor to int64 (PyTorch's promotion), never to bool; a number
    that does not fit a small integer dtype is an error naming the op, not numpy's."""
    np.testing.assert_array_equal((tg.tensor([True, False]) + 2).numpy(), [3, 2])
    np.testing.assert_array_equal((2 * tg.tensor([True, False]) * 3).numpy(), [6, 0])
    np.testing.assert_array_equal(tg.where(np.array([True, False]), 5, 7).numpy(), [5, 7])
    assert tg.maximum(tg.tensor([True]), 2).numpy().tolist() == [2]
    with pytest.raises(ValueError, match="mul: .*200 out of bounds for int8; convert"):
        tg.tensor(np.array([1], np.int8)) * 200
    with pytest.raises(ValueError, match="add: .*-1 out of bounds for uint8; convert"):
        tg.tensor(np.array([5], np.uint8)) + (-1)
    b = tg.tensor([True, False])
    assert b.square().dtype == np.int64 and b.square().tolist() == [1, 0]  # not numpy's int8
    assert (b ** 2).dtype == np.int64 and (b * b).dtype == np.bool_


def test_a_cast_to_integers_carries_no_gradient():
    """As in PyTorch: x.astype('int64') does not require grad, so (n * x) sends x only n."""
    x = tg.tensor(np.array([1.7, -2.3]), requires_grad=True)
    n = x.astype("int64")
    assert not n.requires_grad and n.numpy().tolist() == [1, -2]
    (n * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, -2.0])


def test_sin_and_cos_match_numpy():
    x = np.linspace(-4.0, 4.0, 9)
    np.testing.assert_allclose(tg.sin(tg.tensor(x)).numpy(), np.sin(x), rtol=1e-15)
    np.testing.assert_allclose(tg.tensor(x).cos().numpy(), np.cos(x), rtol=1e-15)
    assert tg.tensor([1, 2]).sin().dtype == np.float32


def test_sigmoid_of_integers_is_float32():
    assert tg.tensor([True, False]).sigmoid().dtype == np.float32
    s = tg.tensor([1, 2]).sigmoid()
    assert s.dtype == np.float32
    np.testing.assert_allclose(s.numpy(), 1 / (1 + np.exp(-np.array([1.0, 2.0]))), rtol=1e-6)


def test_pow_with_exponent_zero_has_gradient_zero_at_zero():
    """d/dx x^0 = 0 everywhere (x^0 = 1), also at x = 0 where b·x^(b−1) would be 0·inf; and
    x^x at 0: both parts are 0 (PyTorch's convention)."""
    for exponent in (0, 0.0, tg.tensor(0.0)):
        x = tg.tensor([-1.0, 0.0, 2.0], requires_grad=True)
        (x ** exponent).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    x = tg.tensor([0.5, 2.0], requires_grad=True)
    (x ** x).sum().backward()
    v = np.array([0.5, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), v ** v * (np.log(v) + 1), rtol=1e-6)


def test_reductions_of_nothing_are_nan_and_minus_inf_without_warnings():
    """PyTorch's values: the mean of no elements is NaN, logsumexp of none is −inf (log 0);
    numpy's warnings about empty slices do not leak out."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(tg.zeros(0, 3).mean().item())
        assert np.isnan(tg.zeros(0, 3).mean(axis=0).numpy()).all()
        np.testing.assert_array_equal(tg.zeros(0, 3).logsumexp(axis=0).numpy(), [-np.inf] * 3)
        assert tg.zeros(2, 0).logsumexp(axis=1).numpy().tolist() == [-np.inf, -np.inf]
        x = tg.zeros(0, 3, requires_grad=True)
        x.logsumexp(axis=0).sum().backward()
        assert x.grad.shape == (0, 3)


def test_integers_meeting_floats_take_the_float_dtype():
    """PyTorch's promotion where numpy's differs: an integer tensor, list or number meeting a
    float32 one computes in float32 (numpy: float64), and integers divide to float32; the
    gradient reaching the float input keeps its dtype."""
    f32, i64 = tg.tensor([1.0, 2.0]), tg.tensor([3, 4])
    for result in (f32 + i64, i64 * f32, f32 + [1, 2], i64 + 2.5, i64 / 2, i64 / i64,
                   f32 ** np.float64(2.0), tg.maximum(i64, 2.5), f32 - tg.tensor([True, False])):
        assert result.dtype == np.float32, result
    for result in (i64 ** 0.5, i64.exp(), i64.log(), i64.log1p(), i64.sqrt(), i64.tanh(),
                   tg.where(np.array([True, False]), i64, 2.5),
                   tg.where(np.array([True, False]), f32, i64)):
        assert result.dtype == np.float32, result
    assert (i64 ** 2).dtype == np.int64
    assert i64.mean().dtype == np.float32 and i64.mean().item() == 3.5
    for result in (i64.clip(0.5, None), i64.logsumexp(), i64 ** np.float64(0.5)):
        assert result.dtype == np.float32, result
    assert i64.clip(0, 3).dtype == np.int64
    s64, k64 = tg.tensor(np.array(2.0)), tg.tensor(np.array(2))  # 0-d float64 and int64
    assert (f32 * s64).dtype == np.float32 and tg.maximum(f32, s64).dtype == np.float32
    assert (tg.tensor([1, 2], dtype="int32") + k64).dtype == np.int32
    assert (s64 * tg.tensor(np.array(1.0, np.float32))).dtype == np.float64  # both 0-d
    assert tg.concatenate([f32, i64]).dtype == np.float32
    assert tg.stack([i64, f32, tg.tensor([True, False])]).dtype == np.float32
    assert tg.concatenate([i64, tg.tensor([1, 2], dtype="int32")]).dtype == np.int64
    np.testing.assert_allclose(i64.sqrt().numpy(), np.sqrt([3.0, 4.0]), rtol=1e-6)
    np.testing.assert_array_equal((i64 / tg.tensor([2, 8])).numpy(), [1.5, 0.5])
    f64 = tg.tensor([1.0, 2.0], dtype="float64")
    assert (f64 * i64).dtype == np.float64
    assert (i64 + tg.tensor([1, 2], dtype="int32")).dtype == np.int64
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    (w * i64 / 2).sum().backward()
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad.numpy(), [1.5, 2.0])


def test_pow_exponent_gradient_where_the_base_is_not_positive():
    """d/db a^b = a^b·log a: NaN for a < 0 (no derivative in b there); at a = 0, 0 for
    b ≥ 0 and −inf for b < 0 (PyTorch's values, instead of a silent 0)."""
    import warnings

    a = tg.tensor([-2.0, 0.0, 0.0, 3.0], requires_grad=True)
    b = tg.tensor([1.0, 2.0, -1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0 ** -1 in the forward
        (a ** b).sum().backward()
    assert np.isnan(b.grad.numpy()[0])
    np.testing.assert_array_equal(b.grad.numpy()[1:3], [0.0, -np.inf])
    np.testing.assert_allclose(b.grad.numpy()[3], 9 * np.log(3), rtol=1e-6)


def test_erf_against_math_erf():
    """Cody's rational approximations: within 4 ulp of math.erf in float64 (near 0, across
    the branch point 0.46875, in the tails, and at ±inf), the input's float dtype kept."""
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(-8, 8, 40001), rng.standard_normal(20000) * 2,
                        [0.46875, -0.46875, 4.0, 6.5, 1e-300, 5e-324, 1e300, -1e300,
                         np.inf, -np.inf]])
    want = np.array([math.erf(v) for v in x])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = ops.erf(tg.Tensor(x)).numpy()
        x32 = x[np.abs(x) < 1e30].astype(np.float32)
        got32 = ops.erf(tg.Tensor(x32)).numpy()
        big = tg.Tensor(np.array([1e300, -1e300, 3.0]), requires_grad=True)
        ops.erf(big).sum().backward()  # (2/√π)·exp(−x²): no overflow warning, exact 0
    assert np.all(np.abs(got - want) <= 4 * np.spacing(np.abs(want)))
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, [math.erf(v) for v in x32.astype(np.float64)],
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(big.grad.numpy()[:2], [0.0, 0.0])
    assert big.grad.numpy()[2] == pytest.approx(2 / math.sqrt(math.pi) * math.exp(-9), 1e-14)
    assert np.isnan(ops.erf(tg.tensor([np.nan])).numpy()).all()
    assert np.signbit(ops.erf(tg.Tensor(np.array([-0.0]))).numpy()).all()
    assert ops.erf(tg.tensor([1, 2])).dtype == np.float32  # integers: PyTorch's float32


def test_erf_of_float16_is_finite_and_close_without_warnings():
    """float16 keeps its dtype; its values are erf's rounded to float16 (Cody's rationals
    would overflow float16's range in the tails: NaN and overflow warnings)."""
    x = np.linspace(-8, 8, 2001).astype(np.float16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = ops.erf(tg.Tensor(x)).numpy()
    assert got.dtype == np.float16
    want = np.array([math.erf(float(v)) for v in x])
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=0, atol=1e-3)
