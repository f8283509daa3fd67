"""Tier 3: end-to-end backward() against the lectures' hand derivations."""

import numpy as np
import pytest

import tapegrad as tg


def test_y_equals_Wx():
    # L = sum(y^2), y = W x: dL/dy = 2y, dL/dW = 2 y x^T, dL/dx = W^T 2y
    rng = np.random.default_rng(0)
    W, x = rng.standard_normal((3, 4)), rng.standard_normal(4)
    tW, tx = tg.Tensor(W, requires_grad=True), tg.Tensor(x, requires_grad=True)
    y = tW @ tx
    (y ** 2).sum().backward()
    yv = W @ x
    np.testing.assert_allclose(tW.grad.numpy(), 2 * np.outer(yv, x), rtol=1e-12)
    np.testing.assert_allclose(tx.grad.numpy(), W.T @ (2 * yv), rtol=1e-12)


def test_batched_dL_dW_is_G_Xt():
    # Y = W X for a batch of column vectors: dL/dW = dL/dY X^T
    rng = np.random.default_rng(1)
    W, X, G = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((3, 5))
    tW = tg.Tensor(W, requires_grad=True)
    (tW @ tg.Tensor(X) * tg.Tensor(G)).sum().backward()
    np.testing.assert_allclose(tW.grad.numpy(), G @ X.T, rtol=1e-12)


def test_relu_network_scalar():
    # h1 = relu(w1 x), h2 = w2 h1, C = (y - h2)^2  (DTU lecture)
    x, y, w1v, w2v = 1.5, 1.0, 0.8, -0.4
    w1 = tg.tensor(w1v, requires_grad=True, dtype="float64")
    w2 = tg.tensor(w2v, requires_grad=True, dtype="float64")
    h1 = (w1 * x).relu()
    h2 = w2 * h1
    C = (y - h2) ** 2
    C.backward()
    dC_dh2 = -2 * (y - w2v * w1v * x)
    assert w2.grad.item() == pytest.approx(dC_dh2 * w1v * x)
    assert w1.grad.item() == pytest.approx(dC_dh2 * w2v * x)  # relu' = 1 since w1 x > 0


def test_two_weight_cost_gradient():
    # C = (w1 w2 - 1.5)^2 + 0.04 (w1^2 + w2^2)
    a, b = 0.3, 2.0
    w1 = tg.tensor(a, requires_grad=True, dtype="float64")
    w2 = tg.tensor(b, requires_grad=True, dtype="float64")
    ((w1 * w2 - 1.5) ** 2 + 0.04 * (w1 ** 2 + w2 ** 2)).backward()
    assert w1.grad.item() == pytest.approx(2 * (a * b - 1.5) * b + 0.08 * a)
    assert w2.grad.item() == pytest.approx(2 * (a * b - 1.5) * a + 0.08 * b)


def test_sigmoid_neuron_quadratic_vs_cross_entropy():
    # one sigmoid neuron, input 1, target 0: quadratic dC/dw = a σ'(z), cross-entropy dC/dw = a
    for w0, b0 in ((0.6, 0.9), (2.0, 2.0)):
        w = tg.tensor(w0, requires_grad=True, dtype="float64")
        b = tg.tensor(b0, requires_grad=True, dtype="float64")
        a = (w * 1.0 + b).sigmoid()
        (a ** 2 / 2).backward()
        av = 1 / (1 + np.exp(-(w0 + b0)))
        assert w.grad.item() == pytest.approx(av * av * (1 - av))
        w.grad = None
        a = (w * 1.0 + b).sigmoid()
        (-(1 - a).log()).backward()  # cross-entropy with y = 0
        assert w.grad.item() == pytest.approx(av)


def test_softmax_log_likelihood_gradient():
    # dC/dz = softmax(z) - onehot(y)
    z = np.array([1.0, -2.0, 0.5, 3.0])
    t = tg.Tensor(z, requires_grad=True)
    (-tg.log_softmax(t, axis=0)[2]).backward()
    p = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(t.grad.numpy(), p - np.eye(4)[2], rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_stable_at_huge_inputs(dtype):
    x = tg.tensor([1e4, -1e4, 0.0], dtype=dtype, requires_grad=True)
    with np.errstate(all="raise", under="ignore"):
        lse = x.logsumexp()
        ls = tg.log_softmax(x, axis=0)
        sm = tg.softmax(x, axis=0)
        sg = x.sigmoid()
        (lse + ls.sum() + sm[0] + sg.sum()).backward()
    assert lse.item() == pytest.approx(1e4)
    assert np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(sg.numpy(), [1.0, 0.0, 0.5])
