"""F.l1_loss, smooth_l1_loss, huber_loss, kl_div, normalize, cosine_similarity, logsigmoid,
hardtanh, relu6, softmin: values against numpy closed forms, gradients by finite differences
(float64) and by hand at the kinks, reductions, dtypes and errors."""

import math
import warnings

import numpy as np
import pytest
from conftest import t64

import tapegrad as tg
import tapegrad.nn.functional as F

KINKS = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])


def grad_of(fn, x, *args, **kwargs):
    x = t64(x)
    fn(x, *args, **kwargs).sum().backward()
    return x.grad.numpy()


def away_from(points, rng, shape):
    """Normal samples at least 0.05 from every kink in points (finite differences)."""
    x = rng.standard_normal(shape) * 2
    for p in points:
        x = np.where(np.abs(x - p) < 0.05, p + 0.1, x)
    return x


# ================================================================ regression losses
def np_huber(d, delta):
    a = np.abs(d)
    return np.where(a < delta, 0.5 * d ** 2, delta * (a - 0.5 * delta))


@pytest.mark.parametrize("fn, ref, kinks", [
    (F.l1_loss, np.abs, [0.0]),
    (F.smooth_l1_loss, lambda d: np_huber(d, 1.0), [-1.0, 1.0]),
    (lambda x, t, **k: F.smooth_l1_loss(x, t, beta=0.5, **k), lambda d: np_huber(d, 0.5) / 0.5,
     [-0.5, 0.5]),
    (lambda x, t, **k: F.smooth_l1_loss(x, t, beta=0.0, **k), np.abs, [0.0]),
    (F.huber_loss, lambda d: np_huber(d, 1.0), [-1.0, 1.0]),
    (lambda x, t, **k: F.huber_loss(x, t, delta=2.0, **k), lambda d: np_huber(d, 2.0),
     [-2.0, 2.0]),
])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_regression_losses_values_reductions_and_gradcheck(fn, ref, kinks, reduction, rng):
    x, t = away_from(kinks, rng, (3, 4)), np.zeros((3, 4))
    reduce = {"none": lambda v: v, "mean": np.mean, "sum": np.sum}[reduction]
    out = fn(t64(x), t64(t, False), reduction=reduction)
    np.testing.assert_allclose(out.numpy(), reduce(ref(x - t)), rtol=1e-12)
    assert tg.gradcheck(lambda a, b: fn(a, b, reduction=reduction), [t64(x), t64(t)])


@pytest.mark.parametrize("fn, expected", [
    # PyTorch's gradients at the kinks: l1 takes sign(0) = 0; smooth_l1 and huber are
    # continuously differentiable, d/β and d meet ±1 and ±δ at |d| = β, δ
    (F.l1_loss, [-1, -1, -1, 0, 1, 1, 1]),
    (F.smooth_l1_loss, [-1, -1, -0.5, 0, 0.5, 1, 1]),
    (lambda x, t, **k: F.smooth_l1_loss(x, t, beta=0.5, **k), [-1, -1, -1, 0, 1, 1, 1]),
    (lambda x, t, **k: F.smooth_l1_loss(x, t, beta=0.0, **k), [-1, -1, -1, 0, 1, 1, 1]),
    (F.huber_loss, [-1, -1, -0.5, 0, 0.5, 1, 1]),
    (lambda x, t, **k: F.huber_loss(x, t, delta=0.5, **k),
     [-0.5, -0.5, -0.5, 0, 0.5, 0.5, 0.5]),
])
def test_regression_loss_gradients_at_the_kinks(fn, expected):
    g = grad_of(fn, KINKS, np.zeros(7), reduction="sum")
    np.testing.assert_array_equal(g, expected)


def test_regression_losses_differentiate_the_target_and_keep_float32():
    t = t64([0.5, -3.0])
    F.l1_loss(t64([0.0, 0.0], False), t, reduction="sum").backward()
    np.testing.assert_array_equal(t.grad.numpy(), [1.0, -1.0])
    x = tg.tensor(np.array([1e4, -1e4, 0.3], np.float32))
    for fn in (F.l1_loss, F.smooth_l1_loss, F.huber_loss):
        out = fn(x, np.zeros(3))
        assert out.dtype == np.float32 and np.isfinite(out.item())


@pytest.mark.parametrize("fn, name", [
    (F.l1_loss, "l1_loss"), (F.smooth_l1_loss, "smooth_l1_loss"),
    (F.huber_loss, "huber_loss"), (F.kl_div, "kl_div"),
])
def test_losses_reject_bad_shapes_and_reductions(fn, name):
    with pytest.raises(ValueError, match=rf"{name}: input shape \(3,\) and target shape \(2,\)"):
        fn(t64(np.zeros(3)), np.zeros(2))
    with pytest.raises(ValueError, match=f"{name}: reduction must be one of"):
        fn(t64(np.zeros(3)), np.zeros(3), reduction="avg")


def test_beta_and_delta_are_checked():
    x, t = t64([1.0]), [0.0]
    for beta in (-1.0, math.nan):  # NaN is refused too (PyTorch: beta >= 0), not a NaN loss
        with pytest.raises(ValueError, match="smooth_l1_loss: beta must be non-negative, got"):
            F.smooth_l1_loss(x, t, beta=beta)
    for delta in (0.0, -1.0, math.nan):
        with pytest.raises(ValueError, match="huber_loss: delta must be positive"):
            F.huber_loss(x, t, delta=delta)
    with pytest.raises(TypeError, match="huber_loss: delta must be a number"):
        F.huber_loss(x, t, delta="1")
    assert x.grad is None


# ================================================================ kl_div
def log_probs(rng, shape):
    z = rng.standard_normal(shape)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def test_kl_div_values_and_reductions(rng):
    logq, p = log_probs(rng, (3, 4)), np.exp(log_probs(rng, (3, 4)))
    p[0, 1] = 0.0  # contributes 0 (0·log 0 = 0), not NaN
    pointwise = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1)) - logq), 0.0)
    assert F.kl_div(t64(logq), p, reduction="none").numpy() == pytest.approx(pointwise)
    assert F.kl_div(t64(logq), p, reduction="sum").item() == pytest.approx(pointwise.sum())
    assert F.kl_div(t64(logq), p, reduction="batchmean").item() == pytest.approx(
        pointwise.sum() / 3)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        mean = F.kl_div(t64(logq), p)
    assert mean.item() == pytest.approx(pointwise.mean())
    # log_target: the same divergence from log p
    q = np.exp(log_probs(rng, (3, 4)))
    assert F.kl_div(t64(logq), np.log(q), reduction="batchmean", log_target=True).item() == (
        pytest.approx(F.kl_div(t64(logq), q, reduction="batchmean").item()))
    # 0-d input: batchmean is the sum
    assert F.kl_div(t64(-1.0), 0.5, reduction="batchmean").item() == pytest.approx(
        0.5 * (np.log(0.5) + 1))


def test_kl_div_is_zero_at_the_target_and_its_gradients(rng):
    logq = log_probs(rng, (2, 5))
    assert F.kl_div(t64(logq), np.exp(logq), reduction="sum").item() == pytest.approx(0.0,
                                                                                      abs=1e-12)
    p = np.exp(log_probs(rng, (2, 5)))
    np.testing.assert_allclose(grad_of(F.kl_div, logq, p, reduction="batchmean"), -p / 2)
    for log_target in (False, True):
        target = np.log(p) if log_target else p
        assert tg.gradcheck(lambda a, b, lt=log_target: F.kl_div(a, b, reduction="batchmean",
                                                                log_target=lt),
                            [t64(logq), t64(target)])
    # d/dp = log p + 1 − log q; where p = 0 the p·log p term gives 0 (deliberately not
    # PyTorch's NaN), leaving −log q
    target = t64([0.0, 0.5])
    F.kl_div(t64([-1.0, -1.0], False), target, reduction="sum").backward()
    np.testing.assert_allclose(target.grad.numpy(), [1.0, np.log(0.5) + 1 + 1])


def test_kl_div_rejects_negative_probabilities_and_bad_reductions():
    with pytest.raises(ValueError, match="kl_div: target holds probabilities.*-0.5"):
        F.kl_div(t64([-1.0, -1.0]), [0.5, -0.5])
    F.kl_div(t64([-1.0]), [-0.5], log_target=True, reduction="sum")  # log p may be negative
    with pytest.raises(ValueError, match="kl_div: reduction must be one of"):
        F.kl_div(t64([-1.0]), [0.5], reduction="batch")


# ================================================================ normalize, cosine_similarity
def test_normalize_values_and_gradients(rng):
    x = rng.standard_normal((3, 4))
    for p, norm in ((2, lambda a, ax: np.sqrt((a ** 2).sum(ax, keepdims=True))),
                    (1, lambda a, ax: np.abs(a).sum(ax, keepdims=True)),
                    (np.inf, lambda a, ax: np.abs(a).max(ax, keepdims=True))):
        for dim in (1, 0, -1):
            out = F.normalize(t64(x), p=p, dim=dim)
            np.testing.assert_allclose(out.numpy(), x / norm(x, dim), rtol=1e-12)
    np.testing.assert_allclose(F.normalize(t64([3.0, 4.0]), dim=0).numpy(), [0.6, 0.8])
    assert tg.gradcheck(lambda a: F.normalize(a, p=3), [t64(x)])
    assert tg.gradcheck(lambda a: F.normalize(a, dim=(0, 1)), [t64(x)])


def test_normalize_below_eps_divides_by_eps_with_gradient_one_over_eps():
    x = t64([[1e-13, 0.0], [3.0, 4.0]])
    out = F.normalize(x)
    np.testing.assert_allclose(out.numpy(), [[0.1, 0.0], [0.6, 0.8]])
    out.sum().backward()  # the clamp passes nothing to the norm, as in PyTorch
    np.testing.assert_allclose(x.grad.numpy()[0], [1e12, 1e12])
    assert F.normalize(tg.tensor(np.ones((2, 2), np.float32))).dtype == np.float32


def test_normalize_errors():
    with pytest.raises(ValueError, match="normalize: p must be >= 1 or inf, got 0.5"):
        F.normalize(t64([[1.0]]), p=0.5)
    with pytest.raises(ValueError, match="normalize: axis 2 is out of range for a 2-d"):
        F.normalize(t64([[1.0]]), dim=2)
    with pytest.raises(TypeError, match="normalize: input must be floating point"):
        F.normalize(tg.tensor([[1, 2]]))


def np_cosine(a, b, axis, eps):
    a, b = np.broadcast_arrays(a, b)
    na = np.maximum(np.sqrt((a ** 2).sum(axis, keepdims=True)), eps)
    nb = np.maximum(np.sqrt((b ** 2).sum(axis, keepdims=True)), eps)
    return ((a / na) * (b / nb)).sum(axis)


@pytest.mark.parametrize("shapes, dim", [
    (((3, 4), (3, 4)), 1), (((3, 4), (3, 4)), 0), (((5,), (5,)), 0), (((3, 1), (2, 1, 4)), 1),
    (((2, 3), (3,)), -1),
])
def test_cosine_similarity_values_broadcasting_and_gradcheck(shapes, dim, rng):
    a, b = (rng.standard_normal(s) for s in shapes)
    out = F.cosine_similarity(t64(a), t64(b), dim=dim)
    np.testing.assert_allclose(out.numpy(), np_cosine(a, b, dim, 1e-8), rtol=1e-12)
    assert tg.gradcheck(lambda x, y: F.cosine_similarity(x, y, dim=dim), [t64(a), t64(b)])


def test_cosine_similarity_clamps_each_norm_as_pytorch_2():
    a, b = np.array([[1e-9, 2e-9, 0.0]]), np.array([[1.0, -1.0, 2.0]])
    x, y = t64(a), t64(b)
    out = F.cosine_similarity(x, y)
    # ‖a‖ < eps: a/eps·b/‖b‖, not a·b/max(‖a‖‖b‖, eps) (PyTorch 1.x)
    assert out.item() == pytest.approx(-1e-9 / (1e-8 * np.sqrt(6)))
    out.backward()
    # the gradient goes through the unclamped norm (PyTorch clamps outside the graph):
    # g/ε − (a·b̂)·a/(ε²‖a‖)
    n, bhat = np.sqrt(5) * 1e-9, b / np.sqrt(6)
    np.testing.assert_allclose(x.grad.numpy(), bhat / 1e-8 - (a @ bhat.T) * a / (1e-16 * n))
    z = t64(np.zeros((1, 3)))  # a zero vector: value 0, gradient b̂/ε
    F.cosine_similarity(z, t64(b, False)).backward()
    np.testing.assert_allclose(z.grad.numpy(), bhat / 1e-8)
    assert F.cosine_similarity(t64(a), t64(b), eps=0.5).item() == pytest.approx(
        np_cosine(a, b, 1, 0.5)[0])


def test_cosine_similarity_errors():
    with pytest.raises(ValueError, match=r"cosine_similarity: x1 shape \(2, 3\) and x2 shape "
                                         r"\(4, 3\) do not broadcast"):
        F.cosine_similarity(t64(np.ones((2, 3))), t64(np.ones((4, 3))))
    with pytest.raises(ValueError, match="cosine_similarity: axis 1 is out of range"):
        F.cosine_similarity(t64(np.ones(3)), t64(np.ones(3)))  # dim=1 of 1-d, as PyTorch
    with pytest.raises(TypeError, match="cosine_similarity: x2 must be a Tensor"):
        F.cosine_similarity(t64(np.ones(3)), "x", dim=0)


# ================================================================ activations
def test_logsigmoid_is_exact_and_stable():
    x = np.array([-1e4, -30.0, -1.0, 0.0, 1.0, 30.0, 1e4])
    expected = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(F.logsigmoid(t64(x)).numpy(), expected, rtol=1e-15)
        g = grad_of(F.logsigmoid, x)
    np.testing.assert_allclose(g, np.exp(-np.logaddexp(0, x)), rtol=1e-12)  # σ(−x)
    assert g[3] == 0.5
    assert tg.gradcheck(F.logsigmoid, [t64(np.linspace(-5, 5, 11) + 0.05)])
    assert F.logsigmoid(tg.tensor(np.float32([-1e4]))).dtype == np.float32


@pytest.mark.parametrize("fn, lo, hi", [
    (F.hardtanh, -1.0, 1.0), (lambda x: F.hardtanh(x, -2.0, 0.5), -2.0, 0.5),
    (F.relu6, 0.0, 6.0),
])
def test_hardtanh_and_relu6_values_and_gradients(fn, lo, hi):
    x = np.array([-7.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 6.0, 7.0])
    np.testing.assert_array_equal(fn(t64(x)).numpy(), np.clip(x, lo, hi))
    # 1 strictly inside, 0 outside and at the bounds themselves (PyTorch's hardtanh_backward)
    np.testing.assert_array_equal(grad_of(fn, x), np.where((x > lo) & (x < hi), 1.0, 0.0))


def test_hardtanh_errors_and_dtype():
    with pytest.raises(ValueError, match="hardtanh: min_val 1.0 is greater than max_val -1.0"):
        F.hardtanh(t64([0.0]), 1.0, -1.0)
    assert F.hardtanh(t64([3.0]), 1.0, 1.0).item() == 1.0
    assert F.relu6(tg.tensor(np.float32([7.0]))).dtype == np.float32


def test_softmin(rng):
    x = rng.standard_normal((3, 4))
    e = np.exp(-x)
    np.testing.assert_allclose(F.softmin(t64(x)).numpy(), e / e.sum(1, keepdims=True))
    np.testing.assert_allclose(F.softmin(t64(x), dim=0).numpy(), e / e.sum(0, keepdims=True))
    assert np.isfinite(F.softmin(t64([-1e4, 0.0]), 0).numpy()).all()
    assert tg.gradcheck(lambda a: F.softmin(a, dim=0), [t64(x)])
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        F.softmin(t64(x), None)  # PyTorch's signature default
