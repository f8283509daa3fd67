"""tg.autograd (PyTorch's torch.autograd spellings), backward(gradient=), and tensor hooks."""

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.autograd.functional as AF


def test_backward_takes_pytorchs_gradient_keyword():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.backward(gradient=tg.tensor([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, 12.0])
    with pytest.raises(TypeError, match="gradient"):
        (x * x).backward(tg.ones(3), gradient=tg.ones(3))


def test_autograd_grad_and_backward():
    assert tg.autograd.grad is tg.grad
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = tg.autograd.grad((x ** 3).sum(), x)
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0])
    tg.autograd.backward([(x * x).sum(), x * 3], [None, tg.tensor([1.0, 2.0])])
    np.testing.assert_allclose(x.grad.numpy(), [2.0 + 3.0, 4.0 + 6.0])
    y = (x * x).sum()
    tg.autograd.backward(y, create_graph=True)  # retain_graph defaults to create_graph
    tg.autograd.backward(y)
    with pytest.raises(TypeError, match="tensor 0"):
        tg.autograd.backward([np.ones(2)])


def test_jacobian_against_closed_forms():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3))
    x = tg.tensor(rng.standard_normal(3))
    np.testing.assert_allclose(AF.jacobian(lambda v: tg.tensor(a) @ v, x).numpy(), a)
    np.testing.assert_allclose(AF.jacobian(lambda v: v.tanh(), x).numpy(),
                               np.diag(1 - np.tanh(x.numpy()) ** 2))
    m = tg.tensor(rng.standard_normal((2, 3)))
    jm, jx = AF.jacobian(lambda p, q: p @ q, (m, x))
    assert jm.shape == (2, 2, 3) and jx.shape == (2, 3)
    np.testing.assert_allclose(jx.numpy(), m.numpy())
    np.testing.assert_allclose(jm.numpy(), np.einsum("ij,k->ijk", np.eye(2), x.numpy()))
    assert not jm.requires_grad and not x.requires_grad
    const = AF.jacobian(lambda v: tg.ones(2), x)  # no dependence: zeros, as in PyTorch
    assert const.shape == (2, 3) and not const.numpy().any()
    with pytest.raises(TypeError, match="input 0"):
        AF.jacobian(lambda v: v, tg.tensor([1, 2]))


def test_jacobian_with_create_graph_is_differentiable():
    x = tg.tensor([0.5, -1.0], dtype="float64", requires_grad=True)
    j = AF.jacobian(lambda v: v ** 3, x, create_graph=True)  # diag(3x²)
    np.testing.assert_allclose(j.numpy(), np.diag(3 * x.numpy() ** 2))
    (g,) = tg.grad(j.sum(), x)  # d/dx Σ 3x² = 6x
    np.testing.assert_allclose(g.numpy(), 6 * x.numpy())


def test_functional_hessian_and_hvp_are_tapegrads():
    x = tg.tensor([1.0, 2.0], dtype="float64")
    f = lambda v: (v[0] ** 2 * v[1]).sum()  # noqa: E731
    h = AF.hessian(f, x)
    np.testing.assert_allclose(h.numpy(), [[4.0, 2.0], [2.0, 0.0]])
    y, hv = AF.hvp(f, x, tg.tensor([1.0, 1.0], dtype="float64"))
    assert y.item() == 2.0
    np.testing.assert_allclose(hv.numpy(), [6.0, 2.0])
