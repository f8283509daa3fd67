"""GELU (exact and tanh), SiLU and Mish against their closed forms, finite differences and
the limits for huge inputs."""

import math
import warnings

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F

np_erf = np.vectorize(math.erf)


def np_gelu(x):
    return 0.5 * x * (1 + np_erf(x / math.sqrt(2)))


def np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def np_silu(x):
    return x / (1 + np.exp(-x))


def np_mish(x):
    return x * np.tanh(np.log1p(np.exp(x)))


GELU_TANH = lambda x: F.gelu(x, approximate="tanh")  # noqa: E731
CASES = [(F.gelu, np_gelu), (GELU_TANH, np_gelu_tanh), (F.silu, np_silu), (F.mish, np_mish)]


@pytest.mark.parametrize("fn, ref", CASES)
def test_forward_and_gradcheck(fn, ref, rng):
    x = np.concatenate([rng.standard_normal(21) * 3, [0.0, -0.5, 0.46875 * math.sqrt(2)]])
    np.testing.assert_allclose(fn(tg.Tensor(x)).numpy(), ref(x), rtol=1e-13, atol=1e-15)
    assert tg.gradcheck(fn, [tg.Tensor(x.reshape(4, 6), requires_grad=True)])


def test_exact_gelu_gradient_is_phi_plus_x_times_density():
    # d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π)
    x = np.linspace(-6, 6, 241)
    t = tg.Tensor(x, requires_grad=True)
    F.gelu(t).sum().backward()
    want = 0.5 * (1 + np_erf(x / math.sqrt(2))) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(t.grad.numpy(), want, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("fn, expected", [
    (F.gelu, 0.5), (GELU_TANH, 0.5), (F.silu, 0.5), (F.mish, math.tanh(math.log(2))),
])
def test_gradient_at_zero(fn, expected):
    x = tg.Tensor(np.array([0.0]), requires_grad=True)
    fn(x).sum().backward()
    assert x.grad.numpy()[0] == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("fn", [f for f, _ in CASES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_inputs_give_the_limits_without_warnings(fn, dtype):
    # x for large x (gradient 1), 0 for very negative x (gradient 0); float32 keeps float32
    x = tg.Tensor(np.array([-1e30, -1e4, 1e4, 1e30], dtype), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        out = fn(x)
        out.sum().backward()
    assert out.dtype == x.grad.dtype == dtype
    np.testing.assert_array_equal(out.numpy(), np.array([0, 0, 1e4, 1e30], dtype))
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 1, 1])


@pytest.mark.parametrize("fn", [f for f, _ in CASES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inputs_at_the_dtype_max_do_not_overflow(fn, dtype):
    # GELU(x) = x·Φ(x) is x itself at the largest float (PyTorch gives it); ½·x is taken
    # first, as x·(1 + erf) would be 2x = inf
    big = np.finfo(dtype).max
    x = tg.Tensor(np.array([-big, big], dtype), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        out = fn(x)
        out.sum().backward()
    np.testing.assert_array_equal(out.numpy(), np.array([0, big], dtype))
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1])


def test_float32_stays_float32_and_matches_float64(rng):
    x = rng.standard_normal(50) * 4
    for fn, _ in CASES:
        got = fn(tg.Tensor(x.astype(np.float32))).numpy()
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, fn(tg.Tensor(x)).numpy(), rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("module, fn, text", [
    (nn.GELU(), F.gelu, "GELU(approximate='none')"),
    (nn.GELU(approximate="tanh"), GELU_TANH, "GELU(approximate='tanh')"),
    (nn.SiLU(), F.silu, "SiLU()"),
    (nn.Mish(inplace=True), F.mish, "Mish(inplace=True)"),
])
def test_modules_wrap_the_functions(module, fn, text, rng):
    x = tg.Tensor(rng.standard_normal((3, 4)))
    np.testing.assert_array_equal(module(x).numpy(), fn(x).numpy())
    assert repr(module) == text and list(module.parameters()) == []


def test_bad_approximate_is_refused():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got "
                                         "'exact'"):
        F.gelu(tg.zeros(2), approximate="exact")
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh', got "
                                         "'erf'"):
        nn.GELU("erf")
    with pytest.raises(TypeError, match="silu: input must be a Tensor"):
        F.silu("x")
