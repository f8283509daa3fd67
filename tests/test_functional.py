"""tapegrad.functional (= tapegrad.nn.functional): each composite against numpy formulas
written here, finite differences (float64), and the closed-form gradients of the lectures."""

import warnings

import numpy as np
import pytest
from conftest import t64
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F


def np_log_softmax(z):
    m = z.max(axis=1, keepdims=True)
    return z - (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))


def np_sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))  # overflow-free identity


def away_from_zero(rng, shape):
    x = rng.standard_normal(shape)
    return x + np.where(x >= 0, 0.1, -0.1)


# ================================================================ activations
@pytest.mark.parametrize("fn, ref", [
    (F.relu, lambda x: np.maximum(x, 0)),
    (F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x)),
    (lambda x: F.leaky_relu(x, negative_slope=0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (F.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    (lambda x: F.elu(x, alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(np.minimum(x, 0)))),
    (F.softplus, lambda x: np.logaddexp(0, x)),
    (lambda x: F.softplus(x, beta=2.0), lambda x: np.logaddexp(0, 2 * x) / 2),
    (F.sigmoid, np_sigmoid),
    (F.tanh, np.tanh),
])
def test_activation_forward_and_gradcheck(fn, ref, rng):
    x = away_from_zero(rng, (4, 5))
    np.testing.assert_allclose(fn(t64(x)).numpy(), ref(x), rtol=1e-12, atol=1e-12)
    assert tg.gradcheck(fn, [t64(x)])


@pytest.mark.parametrize("fn, expected", [
    (F.relu, 0.0), (F.leaky_relu, 0.01), (lambda x: F.elu(x, alpha=0.7), 0.7),
    (F.softplus, 0.5), (F.sigmoid, 0.25), (F.tanh, 1.0),
])
def test_activation_gradient_at_zero(fn, expected):
    # relu'(0) = 0 and leaky/elu take the left branch (PyTorch); softplus' = sigmoid(0) = 1/2
    x = t64([0.0])
    fn(x).sum().backward()
    assert x.grad.numpy()[0] == pytest.approx(expected)


def test_softmax_and_log_softmax(rng):
    z = rng.standard_normal((3, 6))
    np.testing.assert_allclose(F.log_softmax(t64(z), axis=1).numpy(), np_log_softmax(z),
                               atol=1e-12)
    np.testing.assert_allclose(F.softmax(t64(z), axis=1).numpy(), np.exp(np_log_softmax(z)),
                               atol=1e-12)
    assert tg.gradcheck(lambda a: F.softmax(a, axis=0), [t64(z)])
    assert tg.gradcheck(lambda a: F.log_softmax(a, axis=1), [t64(z)])


# ================================================================ losses
def test_mse_loss(rng):
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    assert F.mse_loss(t64(a), t64(b, False)).item() == pytest.approx(np.mean((a - b) ** 2))
    assert F.mse_loss(t64(a), b, reduction="sum").item() == pytest.approx(np.sum((a - b) ** 2))
    np.testing.assert_allclose(F.mse_loss(t64(a), b, reduction="none").numpy(), (a - b) ** 2)
    assert tg.gradcheck(lambda x, y: F.mse_loss(x, y), [t64(a), t64(b)])
    with pytest.raises(ValueError, match=r"mse_loss.*\(4, 3\).*\(3, 4\)"):
        F.mse_loss(t64(a), b.T)


def test_cross_entropy_with_class_indices(rng):
    z = rng.standard_normal((5, 4)) * 3
    y = np.array([0, 3, 1, 1, 2])
    per = -np_log_softmax(z)[np.arange(5), y]
    assert F.cross_entropy(t64(z), y).item() == pytest.approx(per.mean(), rel=1e-12)
    assert F.cross_entropy(t64(z), tg.tensor(y), reduction="sum").item() == pytest.approx(
        per.sum(), rel=1e-12)
    np.testing.assert_allclose(F.cross_entropy(t64(z), y, reduction="none").numpy(), per,
                               rtol=1e-12)
    # the closed form: dL/dz = (softmax(z) - onehot(y)) / N
    x = t64(z)
    F.cross_entropy(x, y).backward()
    np.testing.assert_allclose(x.grad.numpy(), (np.exp(np_log_softmax(z)) - np.eye(4)[y]) / 5,
                               atol=1e-12)
    assert tg.gradcheck(lambda a: F.cross_entropy(a, y, reduction="none"), [t64(z)])


def test_cross_entropy_with_probabilities_and_one_hot(rng):
    z = rng.standard_normal((4, 3))
    y = np.array([2, 0, 1, 2])
    onehot = np.eye(3)[y]
    assert F.cross_entropy(t64(z), onehot).item() == pytest.approx(
        F.cross_entropy(t64(z), y).item(), rel=1e-12)
    assert F.cross_entropy(t64(z), onehot.astype(np.int64)).item() == pytest.approx(
        F.cross_entropy(t64(z), y).item(), rel=1e-12)
    p = rng.random((4, 3))
    p /= p.sum(axis=1, keepdims=True)
    expected = -(p * np_log_softmax(z)).sum(axis=1)
    assert F.cross_entropy(t64(z), p).item() == pytest.approx(expected.mean(), rel=1e-12)
    assert tg.gradcheck(lambda a: F.cross_entropy(a, p), [t64(z)])


@pytest.mark.parametrize("eps", [0.1, 0.3])
def test_cross_entropy_label_smoothing(eps, rng):
    z = rng.standard_normal((6, 5))
    y = rng.integers(0, 5, 6)
    smooth = np.eye(5)[y] * (1 - eps) + eps / 5  # PyTorch's definition
    expected = -(smooth * np_log_softmax(z)).sum(axis=1)
    np.testing.assert_allclose(F.cross_entropy(t64(z), y, reduction="none",
                                               label_smoothing=eps).numpy(), expected)
    np.testing.assert_allclose(F.cross_entropy(t64(z), np.eye(5)[y], reduction="none",
                                               label_smoothing=eps).numpy(), expected)
    assert tg.gradcheck(lambda a: F.cross_entropy(a, y, label_smoothing=eps), [t64(z)])


def test_cross_entropy_unbatched():
    z = np.array([1.0, 2.0, 0.5])
    assert F.cross_entropy(t64(z), 1).item() == pytest.approx(
        -np_log_softmax(z[None])[0, 1])


def test_cross_entropy_class_weights_and_ignore_index(rng):
    # PyTorch's definition: l_n = -w[y_n] log p[n, y_n]; 'mean' = Σ l_n / Σ w[y_n]
    z = rng.standard_normal((7, 4))
    y = np.array([0, 3, 1, -100, 2, 3, 1])
    w = np.array([0.5, 2.0, 1.0, 3.0])
    logp = np_log_softmax(z)
    kept = y != -100
    nll = -logp[np.arange(7)[kept], y[kept]]
    assert F.cross_entropy(t64(z), y).item() == pytest.approx(nll.mean(), rel=1e-12)
    wy = w[y[kept]]
    assert F.cross_entropy(t64(z), y, w).item() == pytest.approx((wy * nll).sum() / wy.sum(),
                                                                 rel=1e-12)
    none = F.cross_entropy(t64(z), y, weight=w, reduction="none").numpy()
    np.testing.assert_allclose(none[kept], wy * nll, rtol=1e-12)
    assert none[3] == 0.0
    eps = 0.2
    smooth = -(logp * w).sum(axis=1)[kept]
    expected = ((1 - eps) * (wy * nll).sum() + eps / 4 * smooth.sum()) / wy.sum()
    assert F.cross_entropy(t64(z), y, w, label_smoothing=eps).item() == pytest.approx(
        expected, rel=1e-12)
    assert tg.gradcheck(lambda a: F.cross_entropy(a, y, w, label_smoothing=eps), [t64(z)])
    y2 = np.where(y == -100, 2, y)  # a custom ignore_index
    k2 = y2 != 2
    assert F.nll_loss(t64(logp), y2, ignore_index=2).item() == pytest.approx(
        -logp[np.arange(7)[k2], y2[k2]].mean(), rel=1e-12)
    p = np.eye(4)[[0, 3, 1, 1, 2, 3, 1]] * 0.8 + 0.05
    assert F.cross_entropy(t64(z), p, w).item() == pytest.approx(
        -(w * p * logp).sum(axis=1).mean(), rel=1e-12)
    with np.errstate(all="raise"):
        assert np.isnan(F.cross_entropy(t64(z[:2]), [-100, -100]).item())  # as PyTorch
    with pytest.raises(ValueError, match=r"cross_entropy: weight must have shape \(4,\)"):
        F.cross_entropy(t64(z), y, w[:3])


def test_nll_loss(rng):
    logp = np_log_softmax(rng.standard_normal((4, 3)))
    y = np.array([1, 0, 2, 2])
    assert F.nll_loss(t64(logp), y).item() == pytest.approx(-logp[np.arange(4), y].mean())
    assert tg.gradcheck(lambda a: F.nll_loss(a, y, reduction="sum"), [t64(logp)])


def test_cross_entropy_with_every_target_ignored_is_nan_with_zero_gradient(rng):
    # PyTorch: 'mean' over no counted sample is 0/0 = NaN, but the ignored samples' gradient
    # stays 0 (a batch of padding only must not turn the parameters into NaN); samples that
    # count with weight 0 get NaN
    z = rng.standard_normal((3, 4))
    for ls in (0.0, 0.2):
        x = t64(z)
        loss = F.cross_entropy(x, [-100, -100, -100], label_smoothing=ls)
        assert np.isnan(loss.item())
        loss.backward()
        np.testing.assert_array_equal(x.grad.numpy(), np.zeros((3, 4)))
    x = t64(z)
    F.nll_loss(x, [0, 0, -100], weight=[0.0, 1.0, 1.0, 1.0]).backward()
    g = x.grad.numpy()
    assert np.isnan(g[:2, 0]).all() and (g[:2, 1:] == 0).all() and (g[2] == 0).all()
    x = t64(z)
    F.cross_entropy(x, np.array([0, 0, -100]), weight=[0.0, 1.0, 1.0, 1.0]).backward()
    assert np.isnan(x.grad.numpy()[:2]).all() and (x.grad.numpy()[2] == 0).all()


def test_cross_entropy_and_nll_loss_k_dimensional(rng):
    # PyTorch's (N, C, d1, ..., dk) logits with (N, d1, ..., dk) targets: the loss of each
    # position is the (N, C) loss of the classes along axis 1
    z = rng.standard_normal((2, 4, 3, 2))
    y = rng.integers(0, 4, (2, 3, 2))
    y[0, 1, 1] = -100
    w = np.array([0.5, 2.0, 1.0, 3.0])
    rows = np.moveaxis(z, 1, -1).reshape(-1, 4)  # the positions as rows (N·d1·d2, C)
    flat = y.reshape(-1)
    y2 = np.where(y == -100, 2, y)  # for a custom ignore_index
    for labels, kw in ((y, {}), (y, {"weight": w}), (y, {"label_smoothing": 0.3}),
                       (y2, {"weight": w, "ignore_index": 2})):
        none = F.cross_entropy(t64(z), labels, reduction="none", **kw)
        assert none.shape == (2, 3, 2)
        np.testing.assert_allclose(none.numpy().reshape(-1), F.cross_entropy(
            t64(rows), labels.reshape(-1), reduction="none", **kw).numpy(), rtol=1e-12)
        for reduction in ("mean", "sum"):
            assert F.cross_entropy(t64(z), labels, reduction=reduction, **kw).item() == \
                pytest.approx(F.cross_entropy(t64(rows), labels.reshape(-1),
                                              reduction=reduction, **kw).item(), rel=1e-12)
        assert tg.gradcheck(lambda a, t=labels, kw=kw: F.cross_entropy(a, t, **kw), [t64(z)])
    logp = np_log_softmax(rows)
    kept = flat != -100
    nll = F.nll_loss(t64(np.moveaxis(logp.reshape(2, 3, 2, 4), -1, 1)), y)
    assert nll.item() == pytest.approx(-logp[np.arange(12)[kept], flat[kept]].mean(),
                                       rel=1e-12)
    p = rng.random(z.shape)  # probabilities along axis 1; 'mean' divides by N·d1·d2
    expected = -(np.moveaxis(p, 1, -1).reshape(-1, 4) * logp).sum(axis=1)
    assert F.cross_entropy(t64(z), p).item() == pytest.approx(expected.mean(), rel=1e-12)
    loss = nn.CrossEntropyLoss(reduction="none")(t64(z[:, :, :, 0]), y[:, :, 0].clip(0))
    assert loss.shape == (2, 3)
    with pytest.raises(ValueError, match=r"cross_entropy: target shape \(2, 3\) does not "
                                         r"match: expected \(2, 3, 2\) class indices"):
        F.cross_entropy(t64(z), y[:, :, 0])


def test_cross_entropy_refuses_ignore_index_with_probability_targets(rng):
    z = rng.standard_normal((3, 4))
    p = np.full((3, 4), 0.25)
    with pytest.raises(ValueError, match="cross_entropy: ignore_index=1 is not supported for "
                                         "probability targets"):
        F.cross_entropy(t64(z), p, ignore_index=1)
    F.cross_entropy(t64(z), p, ignore_index=-100)  # the default is fine
    # as in PyTorch, a negative ignore_index (no class) is unused, not refused: a
    # CrossEntropyLoss(ignore_index=-1) also takes soft targets (mixup, distillation)
    loss = nn.CrossEntropyLoss(ignore_index=-1)(t64(z), p)
    assert loss.item() == pytest.approx(-(p * np_log_softmax(z)).sum(axis=1).mean(), rel=1e-12)


def test_binary_cross_entropy(rng):
    p = rng.uniform(0.05, 0.95, (3, 4))
    t = (rng.random((3, 4)) > 0.5).astype(np.float64)
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert F.binary_cross_entropy(t64(p), t).item() == pytest.approx(expected.mean())
    w = rng.random((3, 4))
    assert F.binary_cross_entropy(t64(p), t, weight=w, reduction="sum").item() == \
        pytest.approx((w * expected).sum())
    assert tg.gradcheck(lambda a: F.binary_cross_entropy(a, t), [t64(p)])
    # PyTorch clamps each log at -100: a certain wrong answer costs 100, not inf
    assert F.binary_cross_entropy(t64([0.0, 1.0]), [1.0, 0.0], reduction="none").numpy(
    ).tolist() == pytest.approx([100.0, 100.0])
    with pytest.raises(ValueError, match=r"binary_cross_entropy.*\[0, 1\].*1\.5"):
        F.binary_cross_entropy(t64([0.5, 1.5]), [1.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_near_zero_is_clamped_finite_and_warning_free(dtype):
    # p = 0, a float32 denormal, e^-120 (float64) and the sigmoid of -1e4: PyTorch's value
    # max(log p, -100) and gradient (p − t)/max(p(1 − p), 1e-12), finite and warning-free
    floor = max(np.exp(-100.0), float(np.finfo(dtype).tiny))
    p_np = np.array([0.0, 1e-40 if dtype == np.float32 else np.exp(-120.0), 3 * floor, 0.5],
                    dtype)
    p = tg.Tensor(p_np, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy(p, np.ones(4, dtype), reduction="sum")
        loss.backward()
        x = tg.Tensor(np.array([-1e4, 1e4], dtype), requires_grad=True)
        F.binary_cross_entropy(F.sigmoid(x), np.array([1.0, 0.0], dtype)).backward()
    with np.errstate(divide="ignore"):
        expected = -np.maximum(np.log(p_np.astype(np.float64)), -100.0)
    assert loss.dtype == dtype and p.grad.dtype == dtype
    np.testing.assert_allclose(loss.item(), expected.sum(), rtol=1e-6)
    np.testing.assert_allclose(p.grad.numpy(), [-1e12, -1e12, -1e12, -2.0], rtol=1e-6)
    assert np.isfinite(x.grad.numpy()).all()  # σ'(∓1e4) = 0 times a finite 1e12


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_gradient_at_saturated_p_points_to_the_target(dtype):
    # PyTorch's gradient w·(p − t)/max(p(1 − p), 1e-12) (worked out by hand below): at
    # p = 0 or 1, or within ~1e-12 of them, it is w·(p − t)·1e12, pushing p toward t. A
    # clamped log with gradient 0 would leave the other term's alone: (1 − t)/(1 − p) = +0.7
    # at p = 0 with t = 0.3, which pushes p further from the target.
    p_np = np.array([0.0, 1.0, 1e-30, 0.0, 1.0, 0.25], dtype)
    t = np.array([0.3, 0.7, 0.2, 0.0, 1.0, 0.5], dtype)
    w = np.array([1.0, 2.0, 1.0, 1.0, 1.0, 3.0], dtype)
    p = tg.Tensor(p_np, requires_grad=True)
    loss = F.binary_cross_entropy(p, t, weight=w, reduction="sum")
    loss.backward()
    np.testing.assert_allclose(p.grad.numpy(), [
        -0.3e12,                        # (0 − 0.3)/1e-12
        2 * 0.3e12,                     # 2·(1 − 0.7)/1e-12
        -0.2e12,                        # (1e-30 − 0.2)/1e-12
        0.0, 0.0,                       # p = t: no push
        3 * (0.25 - 0.5) / (0.25 * 0.75),   # unsaturated: the exact derivative, −4
    ], rtol=1e-6, atol=1e-6)
    # the value is still PyTorch's: each log clamped at −100
    values = [30.0, 2 * 30.0, -0.2 * np.log(1e-30), 0.0, 0.0,
              -3 * (0.5 * np.log(0.25) + 0.5 * np.log(0.75))]
    assert loss.item() == pytest.approx(sum(values), rel=1e-6)


def test_softmax_without_an_axis_takes_pytorchs_implicit_axis_and_warns(rng):
    # axis/dim None is PyTorch's legacy choice: 0 for 0-, 1- and 3-d input, else 1, with
    # its deprecation warning at the caller's line; never the whole tensor (the batch)
    x = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    for fn, module, ref in ((F.softmax, nn.Softmax, np.exp(np_log_softmax(x))),
                            (F.log_softmax, nn.LogSoftmax, np_log_softmax(x))):
        with pytest.warns(UserWarning, match=r"Implicit dimension choice .* axis=1") as rec:
            out = fn(t64(x), None)
        assert rec[0].filename == __file__
        np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)
        with pytest.warns(UserWarning, match="dim=1") as rec:
            out = module(dim=None)(t64(x))
        assert rec[0].filename == __file__
        np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)
    for shape, axis in (((4,), 0), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)):
        z = rng.standard_normal(shape)
        with pytest.warns(UserWarning, match=f"axis={axis}"):
            out = F.softmax(t64(z), None).numpy()
        np.testing.assert_allclose(out, np.exp(z) / np.exp(z).sum(axis=axis, keepdims=True),
                                   atol=1e-12)
    with pytest.warns(UserWarning, match="axis=0"):
        assert F.log_softmax(t64(3.0), None).item() == 0.0


@pytest.mark.parametrize("call", [
    lambda bad: F.relu(bad), lambda bad: F.leaky_relu(bad), lambda bad: F.elu(bad),
    lambda bad: F.softplus(bad), lambda bad: F.softmax(bad), lambda bad: F.log_softmax(bad),
    lambda bad: F.sigmoid(bad), lambda bad: F.tanh(bad), lambda bad: F.dropout(bad),
    lambda bad: F.layer_norm(bad, 2), lambda bad: F.linear(bad, tg.ones(3, 2)),
    lambda bad: F.batch_norm(bad, None, None, training=True),
    lambda bad: F.mse_loss(bad, [1.0]), lambda bad: F.binary_cross_entropy(bad, [1.0]),
    lambda bad: F.binary_cross_entropy_with_logits(bad, [1.0]),
    lambda bad: F.cross_entropy(bad, [0]), lambda bad: F.nll_loss(bad, [0]),
])
def test_functional_input_types(call):
    # a non-array input is a TypeError naming the function, never an AttributeError
    with pytest.raises(TypeError, match=r"^\w+: input must be a Tensor or array, got str"):
        call("x")


def test_cross_entropy_differentiates_a_soft_target_that_requires_grad(rng):
    # dL/dt_nc = −(1 − ε)·w_c·log p_nc / N for 'mean' (closed form), and finite differences
    z, q = rng.standard_normal((3, 4)), rng.dirichlet(np.ones(4), 3)
    w = rng.uniform(0.5, 2, 4)
    t = t64(q)
    F.cross_entropy(t64(z), t, weight=w, label_smoothing=0.1).backward()
    np.testing.assert_allclose(t.grad.numpy(), -0.9 * w * np_log_softmax(z) / 3, rtol=1e-12)
    assert tg.gradcheck(lambda a, b: F.cross_entropy(a, b, label_smoothing=0.2,
                                                     reduction="sum"), [t64(z), t64(q)])


def test_softplus_threshold_follows_pytorch():
    # βx > threshold: the result is x and the gradient 1 (PyTorch's linear region)
    x = t64([25.0, 10.0, -30.0, 3.0])
    y = F.softplus(x)
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [25.0, np.logaddexp(0, 10), np.logaddexp(0, -30),
                                           np.logaddexp(0, 3)], rtol=1e-15)
    assert y.numpy()[0] == 25.0  # exactly x, not x + log1p(e^-25)
    np.testing.assert_allclose(x.grad.numpy(), [1.0] + list(np_sigmoid(np.array(
        [10.0, -30.0, 3.0]))), rtol=1e-12, atol=1e-16)
    z = t64([3.0, 2.0])
    np.testing.assert_allclose(F.softplus(z, beta=2.0, threshold=5.0).numpy(),
                               [3.0, np.logaddexp(0, 4.0) / 2])  # 2·3 > 5, 2·2 is not
    assert repr(nn.Softplus(2.0, 5.0)) == "Softplus(beta=2.0, threshold=5.0)"


def test_numpy_weights_keep_float32_float32():
    # a float64 numpy weight/bias/pos_weight is taken in the input's dtype (numpy's promotion
    # would silently turn the whole float32 loss and every gradient into float64)
    rng = np.random.default_rng(0)
    x64 = rng.standard_normal((4, 3))
    x = tg.Tensor(x64.astype(np.float32), requires_grad=True)
    w, pw, t = rng.uniform(0.5, 2, 3), rng.uniform(0.5, 2, 3), (x64 > 0).astype(np.float64)
    loss = F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw.tolist())
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32
    log_sig = -np.logaddexp(0, -x64)  # PyTorch's formula with both weights, in float64
    expected = -(w * (pw * t * log_sig + (1 - t) * (log_sig - x64))).mean()
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    p = F.sigmoid(x)
    assert F.binary_cross_entropy(p, t, weight=w).dtype == np.float32
    out = [F.linear(x, rng.standard_normal((2, 3)), np.zeros(2)),
           F.layer_norm(x, 3, np.ones(3), np.zeros(3)),
           F.batch_norm(x, None, None, np.ones(3), np.zeros(3), training=True)]
    assert [o.dtype for o in out] == [np.float32] * 3
    with pytest.raises(tg.ShapeError, match=r"binary_cross_entropy_with_logits: pos_weight "
                                            r"shape \(4,\) does not broadcast to the input "
                                            r"shape \(4, 3\)"):
        F.binary_cross_entropy_with_logits(x, t, pos_weight=np.ones(4))


def test_functional_accepts_array_likes_like_the_engine_ops():
    x = [[1.0, -2.0, 0.5]]
    np.testing.assert_allclose(F.softmax(x).numpy(), np.exp(np_log_softmax(np.array(x))),
                               rtol=1e-6)
    np.testing.assert_allclose(F.elu(x).numpy(), [[1.0, np.expm1(-2.0), 0.5]], rtol=1e-6)
    assert F.cross_entropy(x, [0]).item() == pytest.approx(-np_log_softmax(np.array(x))[0, 0])
    assert F.mse_loss([1.0, 2.0], [1.0, 4.0]).item() == pytest.approx(2.0)
    with pytest.raises(TypeError, match="batch_norm: running_mean must be a Tensor"):
        F.batch_norm(tg.randn(3, 2), np.zeros(2), np.ones(2), training=True)
    with pytest.raises(TypeError, match="leaky_relu: negative_slope must be a number"):
        F.leaky_relu(tg.randn(2), "0.1")
    with pytest.raises(TypeError, match="binary_cross_entropy: input must be floating"):
        F.binary_cross_entropy(tg.tensor([0, 1]), [0.0, 1.0])


def test_binary_cross_entropy_with_logits(rng):
    x = rng.standard_normal((3, 4)) * 4
    t = rng.random((3, 4))
    expected = np.logaddexp(0, x) - t * x  # = -[t log s + (1-t) log(1-s)]
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(
        t64(x), t, reduction="none").numpy(), expected, rtol=1e-12)
    a = t64(x)
    F.binary_cross_entropy_with_logits(a, t, reduction="sum").backward()
    np.testing.assert_allclose(a.grad.numpy(), np_sigmoid(x) - t, atol=1e-12)  # σ(x) - t
    pw = np.array([1.0, 2.0, 0.5, 3.0])
    s = np_sigmoid(x)
    expected_pw = -(pw * t * np.log(s) + (1 - t) * np.log(1 - s))
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(
        t64(x), t, pos_weight=pw, reduction="none").numpy(), expected_pw, rtol=1e-10)
    assert tg.gradcheck(lambda a: F.binary_cross_entropy_with_logits(a, t, pos_weight=pw),
                        [t64(x)])


# ================================================================ stability (issue 8)
STRICT = dict(over="raise", divide="raise", invalid="raise")  # underflow to 0 is exact enough


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_logits_give_finite_losses_and_exact_gradients(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    y = np.array([0, 0, 2])
    with np.errstate(**STRICT), warnings.catch_warnings():
        warnings.simplefilter("error")
        x = tg.Tensor(z, requires_grad=True)
        loss = F.cross_entropy(x, y, reduction="sum")
        loss.backward()
        # row 0 is right with margin 1e4 (loss 0), rows 1 and 2 are wrong by 2e4
        assert loss.item() == pytest.approx(4e4 + np.log(2), rel=1e-6)
        assert x.dtype == dtype and x.grad.dtype == dtype
        softmax = np.array([[1, 0, 0], [0, 0, 1], [0.5, 0.5, 0]])
        # shifted by the row max first: exact to a few eps, not to one ulp of 1e4 (1e-3)
        atol = np.finfo(dtype).eps * 4
        np.testing.assert_allclose(x.grad.numpy(), softmax - np.eye(3)[y], atol=atol)
        for fn in (lambda a: F.log_softmax(a, axis=1), lambda a: F.softmax(a, axis=1),
                   F.sigmoid, F.softplus, F.elu, F.tanh,
                   lambda a: F.binary_cross_entropy_with_logits(a, np.ones_like(z)),
                   lambda a: F.cross_entropy(a, np.eye(3, dtype=dtype)[y], label_smoothing=0.1)):
            a = tg.Tensor(z, requires_grad=True)
            out = fn(a)
            out.sum().backward()
            assert np.isfinite(out.numpy()).all() and np.isfinite(a.grad.numpy()).all()


def test_softmax_of_huge_float32_logits_is_accurate_to_eps():
    # closed form: softmax([c, c + 1, c - 1]) = e^[0, 1, -1] / (1 + e + 1/e) for any c; the
    # unshifted x − logsumexp(x) rounds logsumexp to one ulp of 1e4 (4.9e-4 in float32)
    want = np.exp([0.0, 1.0, -1.0]) / (1 + np.e + 1 / np.e)
    for c in (1e4, -1e4):
        x = tg.Tensor(np.array([c, c + 1, c - 1], np.float32), requires_grad=True)
        np.testing.assert_allclose(F.softmax(x).numpy(), want, rtol=1e-6)
        np.testing.assert_allclose(F.log_softmax(x).numpy(), np.log(want), rtol=1e-6)
        F.cross_entropy(x, 1).backward()  # dL/dx = softmax − onehot
        np.testing.assert_allclose(x.grad.numpy(), want - [0, 1, 0], atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_inputs_match_limits(dtype):
    z = np.array([-1e4, 1e4], dtype=dtype)
    with np.errstate(**STRICT):
        a = tg.Tensor(z, requires_grad=True)
        F.softplus(a).sum().backward()
        np.testing.assert_allclose(F.softplus(tg.Tensor(z)).numpy(), [0.0, 1e4])
        np.testing.assert_allclose(a.grad.numpy(), [0.0, 1.0])  # sigmoid(±1e4)
        b = tg.Tensor(z, requires_grad=True)
        loss = F.binary_cross_entropy_with_logits(b, np.array([1.0, 0.0], dtype),
                                                  reduction="none")
        loss.sum().backward()
        np.testing.assert_allclose(loss.numpy(), [1e4, 1e4])
        np.testing.assert_allclose(b.grad.numpy(), [-1.0, 1.0])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dtype=st.sampled_from([np.float32, np.float64]), data=st.data(),
       shape=st.tuples(st.integers(1, 5), st.integers(1, 6)))
def test_fuzzed_logits_up_to_1e4(dtype, data, shape):
    """Random logits in [-1e4, 1e4]: cross-entropy, BCE-with-logits and softplus match
    float64 numpy references, with grads softmax − onehot and σ(x) − t, and no warnings."""
    z = data.draw(hnp.arrays(dtype, shape, elements=st.floats(-1e4, 1e4, width=32)))
    y = np.array(data.draw(st.lists(st.integers(0, shape[1] - 1), min_size=shape[0],
                                    max_size=shape[0])))
    t = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(0, 1))).astype(dtype)
    z64 = z.astype(np.float64)
    tol = 16 * np.finfo(dtype).eps * max(1.0, np.abs(z64).max())
    with np.errstate(**STRICT), warnings.catch_warnings():
        warnings.simplefilter("error")
        x = tg.Tensor(z, requires_grad=True)
        ce = F.cross_entropy(x, y, reduction="none")
        ce.sum().backward()
        logp = z64 - np.logaddexp.reduce(z64, axis=1, keepdims=True)
        np.testing.assert_allclose(ce.numpy(), -logp[np.arange(shape[0]), y], atol=tol)
        np.testing.assert_allclose(x.grad.numpy(), np.exp(logp) - np.eye(shape[1])[y],
                                   atol=tol)
        b = tg.Tensor(z, requires_grad=True)
        bce = F.binary_cross_entropy_with_logits(b, t, reduction="none")
        bce.sum().backward()
        np.testing.assert_allclose(bce.numpy(), np.logaddexp(0, z64) - t * z64, atol=tol)
        np.testing.assert_allclose(b.grad.numpy(), np_sigmoid(z64) - t, atol=tol)
        np.testing.assert_allclose(F.softplus(tg.Tensor(z)).numpy(), np.logaddexp(0, z64),
                                   atol=tol)
    assert ce.dtype == dtype and x.grad.dtype == dtype


# ================================================================ bad input
def test_out_of_range_labels_name_the_label():
    z = t64(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"cross_entropy: target label 7 .* 4 classes"):
        F.cross_entropy(z, [0, 7, 1])
    with pytest.raises(ValueError, match=r"label -1"):
        F.cross_entropy(z, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=r"nll_loss: target label 4"):
        F.nll_loss(z, [4, 0, 0])


def test_wrong_label_dtype_or_shape():
    z = t64(np.zeros((3, 4)))
    with pytest.raises(TypeError, match=r"cross_entropy: class-index targets must be integers"):
        F.cross_entropy(z, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="integers, got dtype bool"):
        F.cross_entropy(z, np.array([True, False, True]))
    with pytest.raises(ValueError, match=r"target shape \(2,\).*\(3,\)"):
        F.cross_entropy(z, [0, 1])
    with pytest.raises(ValueError, match=r"target shape \(3, 1\)"):
        F.cross_entropy(z, np.zeros((3, 1), np.int64))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(z, [0, 1, 2], reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(z, [0, 1, 2], label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"cross_entropy: target shape \(2,\) does not match: "
                                         r"expected \(2, 4\) class indices"):
        F.cross_entropy(t64(np.zeros((2, 3, 4))), [0, 1])  # K-dim logits take (N, d1) labels
    with pytest.raises(ValueError, match=r"cross_entropy: input must be \(N, C\)"):
        F.cross_entropy(t64(np.zeros(())), 0)


# ================================================================ linear
def test_linear(rng):
    x, w, b = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    np.testing.assert_allclose(F.linear(t64(x), t64(w), t64(b)).numpy(), x @ w.T + b)
    np.testing.assert_allclose(F.linear(t64(x), t64(w)).numpy(), x @ w.T)
    assert tg.gradcheck(F.linear, [t64(x), t64(w), t64(b)])
    with pytest.raises(ValueError, match=r"linear: input shape \(5, 3\) has 3 features.*4"):
        F.linear(t64(x), t64(w.T))
    with pytest.raises(ValueError, match=r"linear: bias shape \(3,\)"):
        F.linear(t64(x), t64(w), t64(b[:3]))


# ================================================================ dropout
def test_dropout_inverted(rng):
    x = tg.ones(200, 100)
    tg.manual_seed(3)
    y = F.dropout(x, p=0.3).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01  # 20,000 draws: sd of the fraction is 0.003
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    tg.manual_seed(3)
    mask = np.random.default_rng(3).random((200, 100)) >= 0.3  # the same generator's draws
    np.testing.assert_array_equal(F.dropout(x, p=0.3).numpy() != 0, mask)
    assert F.dropout(x, p=0.3, training=False) is x
    assert (F.dropout(x, p=1.0).numpy() == 0).all()


def test_dropout_original_formulation_and_gradient():
    x = t64(np.full((50, 40), 2.0))
    y = F.dropout(x, p=0.25, inverted=False)
    kept = y.numpy() != 0
    np.testing.assert_allclose(y.numpy()[kept], 2.0)  # no scaling while training
    np.testing.assert_allclose(F.dropout(x, p=0.25, training=False, inverted=False).numpy(),
                               1.5)  # x·(1 - p) at evaluation
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), kept.astype(float))
    with pytest.raises(ValueError, match=r"dropout: p .* 1\.2"):
        F.dropout(x, p=1.2)


# ================================================================ batch_norm
def np_batch_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def test_batch_norm_forward_and_records(rng):
    x, g, b = rng.standard_normal((8, 3)) * 2 + 1, rng.standard_normal(3), rng.standard_normal(3)
    with tg.Tape() as tape:
        y = F.batch_norm(t64(x), None, None, t64(g), t64(b), training=True)
    np.testing.assert_allclose(y.numpy(), np_batch_norm(x, g, b), atol=1e-12)
    # the lecture's graph, primitive by primitive
    assert [r.op for r in tape.records] == ["mean", "sub", "square", "mean", "add", "sqrt",
                                             "div", "mul", "add"]


def test_batch_norm_backward_matches_lecture_closed_form(rng):
    m = 6
    x, g, b = rng.standard_normal((m, 4)), rng.standard_normal(4), rng.standard_normal(4)
    dy = rng.standard_normal((m, 4))
    xs, gs, bs = t64(x), t64(g), t64(b)
    (F.batch_norm(xs, None, None, gs, bs, training=True) * tg.Tensor(dy)).sum().backward()
    # lecture 001: dL/dx = dL/dx̂ /√(σ²+ε) + 2(x−μ)/m · dL/dσ² + 1/m · dL/dμ
    eps = 1e-5
    mu, var = x.mean(0), x.var(0)
    xhat = (x - mu) / np.sqrt(var + eps)
    dxhat = dy * g
    dvar = np.sum(-0.5 * (var + eps) ** -1.5 * (x - mu) * dxhat, axis=0)
    dmu = -np.sum(dxhat, axis=0) / np.sqrt(var + eps)
    dx = dxhat / np.sqrt(var + eps) + 2 * (x - mu) / m * dvar + dmu / m
    np.testing.assert_allclose(xs.grad.numpy(), dx, atol=1e-10)
    np.testing.assert_allclose(gs.grad.numpy(), np.sum(dy * xhat, axis=0), atol=1e-10)
    np.testing.assert_allclose(bs.grad.numpy(), dy.sum(axis=0), atol=1e-10)
    assert tg.gradcheck(lambda a, w, c: F.batch_norm(a, None, None, w, c, training=True),
                        [t64(x), t64(g), t64(b)])


def test_batch_norm_running_statistics(rng):
    x = rng.standard_normal((10, 3)) * 3 + 2
    rm, rv = tg.zeros(3, dtype="float64"), tg.ones(3, dtype="float64")
    F.batch_norm(t64(x), rm, rv, training=True, momentum=0.1)
    np.testing.assert_allclose(rm.numpy(), 0.1 * x.mean(0), atol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.9 + 0.1 * x.var(0, ddof=1), atol=1e-12)
    before = rm.numpy().copy(), rv.numpy().copy()
    y = F.batch_norm(t64(x), rm, rv, training=False)
    np.testing.assert_allclose(y.numpy(), (x - before[0]) / np.sqrt(before[1] + 1e-5))
    np.testing.assert_array_equal(rm.numpy(), before[0])
    np.testing.assert_array_equal(rv.numpy(), before[1])


def test_batch_norm_three_dimensional_input(rng):
    x = rng.standard_normal((4, 3, 5))
    mu = x.mean(axis=(0, 2), keepdims=True)
    var = x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(F.batch_norm(t64(x), None, None, training=True).numpy(),
                               (x - mu) / np.sqrt(var + 1e-5), atol=1e-12)
    assert tg.gradcheck(lambda a: F.batch_norm(a, None, None, training=True), [t64(x)])


def test_batch_norm_constant_feature_and_batch_of_one():
    x = np.array([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]])  # feature 1 has zero variance
    with np.errstate(**STRICT):
        a, g = t64(x), t64([1.5, 2.0])
        y = F.batch_norm(a, None, None, g, t64([0.0, 0.0]), training=True)
        (y * tg.tensor(np.arange(6.0).reshape(3, 2), dtype="float64")).sum().backward()
    np.testing.assert_allclose(y.numpy()[:, 1], 0.0)
    assert np.isfinite(a.grad.numpy()).all() and np.isfinite(g.grad.numpy()).all()
    # x̂ = 0 there, so the closed form reduces to dL/dx = γ/√ε · (dy − mean(dy))
    np.testing.assert_allclose(a.grad.numpy()[:, 1], 2.0 / np.sqrt(1e-5) * np.array(
        [-2.0, 0.0, 2.0]), rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="more than 1 value per channel when training"):
        F.batch_norm(t64(x[:1]), tg.zeros(2), tg.ones(2), training=True)
    rm = tg.zeros(2)
    with pytest.raises(ValueError, match=r"running_mean has shape \(2,\), expected \(3,\)"):
        F.batch_norm(t64(np.zeros((4, 3))), rm, tg.ones(3), training=True)


def test_batch_norm_evaluation_needs_running_statistics():
    # PyTorch raises rather than silently normalizing with the batch's own statistics
    with pytest.raises(ValueError, match="batch_norm: training=False needs running_mean"):
        F.batch_norm(t64(np.arange(6.0).reshape(3, 2)), None, None, training=False)
    bn = nn.BatchNorm1d(2, track_running_stats=False, dtype="float64").eval()
    x = np.array([[1.0, 2.0], [3.0, 6.0]])  # the module without buffers: batch statistics
    np.testing.assert_allclose(bn(t64(x)).numpy(), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5))


# ================================================================ layer_norm
def test_layer_norm(rng):
    x, g, b = rng.standard_normal((4, 3, 5)), rng.standard_normal(5), rng.standard_normal(5)
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(F.layer_norm(t64(x), 5, t64(g), t64(b)).numpy(),
                               g * (x - mu) / np.sqrt(var + 1e-5) + b, atol=1e-12)
    mu2, var2 = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(F.layer_norm(t64(x), (3, 5), None, None).numpy(),
                               (x - mu2) / np.sqrt(var2 + 1e-5), atol=1e-12)
    assert tg.gradcheck(lambda a, w, c: F.layer_norm(a, (5,), w, c),
                        [t64(x[:2]), t64(g), t64(b)])
    with pytest.raises(ValueError, match=r"layer_norm: input shape \(4, 3, 5\).*\(3,\)"):
        F.layer_norm(t64(x), 3, None, None)
    # numpy ints are ints, as for nn.LayerNorm
    np.testing.assert_array_equal(F.layer_norm(t64(x), np.int64(5)).numpy(),
                                  F.layer_norm(t64(x), 5).numpy())


@pytest.mark.parametrize("call, match", [
    (lambda: F.cross_entropy(tg.zeros(2, 3), [0, 1], label_smoothing="a"),
     "cross_entropy: label_smoothing must be a number, got 'a'"),
    (lambda: F.cross_entropy(tg.zeros(2, 3), [0, 1], weight="abc"),
     r"cross_entropy: weight must be 3 numbers \(one per class\), got 'abc'"),
    (lambda: F.nll_loss(tg.zeros(2, 3), [0, 1], weight=[1.0, None, "x"]),
     "nll_loss: weight must be 3 numbers"),
    (lambda: F.layer_norm(tg.zeros(2, 3), 3.0), "layer_norm: normalized_shape must be an int "
     "or a sequence of ints, got 3.0"),
    (lambda: F.layer_norm(tg.zeros(2, 3), [True]), "layer_norm: normalized_shape"),
    (lambda: F.layer_norm(tg.zeros(2, 3), 3, eps="a"), "layer_norm: eps must be a number"),
    (lambda: F.batch_norm(tg.zeros(4, 3), tg.zeros(3), tg.ones(3), training=True,
                          momentum="a"), "batch_norm: momentum must be a number, got 'a'"),
    (lambda: F.batch_norm(tg.zeros(4, 3), None, None, training=True, eps=None),
     "batch_norm: eps must be a number, got None"),
])
def test_bad_arguments_are_type_errors_naming_the_function_and_value(call, match):
    # raised by tapegrad before Python or numpy fails with a message naming neither
    with pytest.raises(TypeError, match=match):
        call()


# ================================================================ penalties
def test_penalties(rng):
    w1, w2 = rng.standard_normal((3, 2)), rng.standard_normal(4)
    a, b = t64(w1), t64(w2)
    l1 = F.l1_penalty([a, b])
    assert l1.item() == pytest.approx(np.abs(w1).sum() + np.abs(w2).sum())
    l1.backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.sign(w1))
    c = t64(w1)
    l2 = F.l2_penalty(c)
    assert l2.item() == pytest.approx(0.5 * (w1 ** 2).sum())
    l2.backward()
    np.testing.assert_allclose(c.grad.numpy(), w1)  # d(½‖w‖²)/dw = w
    with pytest.raises(TypeError, match="l2_penalty: item 0"):
        F.l2_penalty([np.zeros(3)])


def test_array_targets_take_the_input_dtype():
    x = tg.zeros(2, 3, requires_grad=True)  # float32
    for loss in (F.mse_loss(x, np.ones((2, 3))),
                 F.binary_cross_entropy_with_logits(x, np.ones((2, 3))),
                 F.binary_cross_entropy(x + 0.5, [[1.0, 0.0, 1.0]] * 2),
                 F.cross_entropy(x, np.eye(3)[[0, 2]])):
        assert loss.dtype == np.float32


def test_linear_needs_the_weight_dtype_like_pytorch():
    """A float64 batch (numpy's default) into a float32 layer is an error naming both dtypes,
    as in PyTorch, instead of silently running the whole network in float64."""
    w, b = tg.zeros(3, 2), tg.zeros(3)
    with pytest.raises(TypeError, match=r"linear: input is float64 but weight is float32"):
        F.linear(tg.tensor(np.ones((4, 2))), w, b)
    assert F.linear(tg.ones(4, 2), w, b).dtype == np.float32
    assert F.linear(tg.tensor(np.ones((4, 2), np.int64)), w, b).dtype == np.float32
