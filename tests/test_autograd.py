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


# ---------------------------------------------------------------------- register_hook
def test_hooks_see_complete_gradients_and_replace_them_as_in_pytorch():
    """The values torch 2 gives: the hook of h doubles dL/dh = 2h before it reaches x; the
    hook of the leaf x multiplies its complete gradient by 10 before .grad."""
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(("x", g.numpy().tolist())) or g * 10)
    h = x * 3
    h.register_hook(lambda g: seen.append(("h", g.numpy().tolist())) or g * 2)
    h.retain_grad()
    y = (h * h).sum()
    gx, gh = tg.grad(y, [x, h], retain_graph=True)
    np.testing.assert_allclose(gx.numpy(), [360.0, 720.0])
    np.testing.assert_allclose(gh.numpy(), [12.0, 24.0])
    assert seen == [("h", [6.0, 12.0]), ("x", [36.0, 72.0])] and x.grad is None
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [360.0, 720.0])
    np.testing.assert_allclose(h.grad.numpy(), [12.0, 24.0])  # retain_grad keeps it hooked


def test_a_leaf_used_twice_is_hooked_once_on_the_sum_and_a_root_can_be_hooked():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append(g.numpy().tolist()))
    y = (x * 2 + x * 3).sum()
    y.register_hook(lambda g: g * 2)
    y.backward()
    assert calls == [[10.0, 10.0]]
    np.testing.assert_allclose(x.grad.numpy(), [10.0, 10.0])


def test_hooks_run_in_registration_order_and_handles_remove_them():
    a = tg.tensor([1.0], requires_grad=True)
    first = a.register_hook(lambda g: g + 1)
    second = a.register_hook(lambda g: g * 3)
    (a * 1).sum().backward()
    assert a.grad.item() == 6.0  # (1 + 1) * 3
    first.remove()
    first.remove()  # twice: nothing more happens
    a.grad = None
    (a * 1).sum().backward()
    assert a.grad.item() == 3.0
    with second:
        pass
    a.grad = None
    (a * 1).sum().backward()
    assert a.grad.item() == 1.0 and not tg.tape._hooks


def test_hooks_go_with_their_tensor():
    a = tg.tensor([1.0], requires_grad=True)
    a.register_hook(lambda g: g)
    assert tg.tape._hooks
    del a
    assert not tg.tape._hooks


def test_a_hook_on_a_dropped_large_intermediate_still_runs():
    """The hook of an intermediate lives on its record, so it is not lost when only the
    graph refers to the intermediate (relu's record lets go of the large h)."""
    x = tg.tensor(np.ones(5000, np.float32), requires_grad=True)
    calls = []

    def forward(x):
        h = x * 2
        h.register_hook(lambda g: calls.append(g.shape) or g * 5)
        return h.relu().sum()

    forward(x).backward()
    assert calls == [(5000,)]
    np.testing.assert_allclose(x.grad.numpy()[:3], 10.0)


def test_a_hook_registered_after_its_tensors_use_lives_on_its_record():
    """As PyTorch's live on grad_fn: exp's rule reads its output, not h, so the exp record
    lets go of the large h; a hook registered on h afterwards still runs when h itself is
    gone, and is gone with the graph."""
    x = tg.tensor(np.ones(5000, np.float32), requires_grad=True)
    calls = []
    h = x * 2
    y = h.exp()
    h.register_hook(lambda g: calls.append(g.shape) or g * 0.5)
    del h
    y.sum().backward()
    assert calls == [(5000,)]
    np.testing.assert_allclose(x.grad.numpy()[:3], np.exp(2.0), rtol=1e-6)  # 0.5·e²·2
    del y
    assert not tg.tape._hooks


def test_hooks_with_create_graph_see_recorded_tensors():
    x = tg.tensor([0.5, -2.0], dtype="float64", requires_grad=True)
    h = x ** 3
    kinds = []
    h.register_hook(lambda g: kinds.append(g.requires_grad) or g * 2)
    (gx,) = tg.grad(h.sum(), x, create_graph=True)  # 2·3x²
    np.testing.assert_allclose(gx.numpy(), 6 * x.numpy() ** 2)
    (ggx,) = tg.grad(gx.sum(), x)
    np.testing.assert_allclose(ggx.numpy(), 12 * x.numpy())
    assert kinds == [False]  # dL/dh = 1 is a constant; h's record is not in gx's graph
    w = tg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    hook = w.register_hook(lambda g: kinds.append(g.requires_grad) or g * w)  # recorded
    (w * w).sum().backward(create_graph=True)  # w.grad = 2w·w
    assert kinds[-1] is True
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 8.0])
    (g2,) = tg.grad(w.grad.sum(), w, retain_graph=True)  # the hook acts here too: 4w·w
    np.testing.assert_allclose(g2.numpy(), [4.0, 16.0])
    hook.remove()
    (g2,) = tg.grad(w.grad.sum(), w)
    np.testing.assert_allclose(g2.numpy(), [4.0, 8.0])


def test_a_hook_gets_a_read_only_view_and_what_it_keeps_is_not_changed_later():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    kept = []
    w.register_hook(kept.append)
    (w * 3).sum().backward()
    with pytest.raises(ValueError):
        kept[0].add_(1)
    (w * 3).sum().backward()  # accumulates into w.grad in place
    np.testing.assert_allclose(w.grad.numpy(), [6.0, 6.0])
    np.testing.assert_allclose(kept[0].numpy(), [3.0, 3.0])


@pytest.mark.parametrize("bad, error", [
    (lambda g: g.sum(), "shape"), (lambda g: g.double(), "dtype"), (lambda g: 1.0, "float")])
def test_a_bad_hook_fails_the_backward_and_writes_no_grad(bad, error):
    a = tg.tensor([1.0, 2.0], requires_grad=True, name="a")
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    b.grad = tg.tensor([1.0, 1.0])
    a.register_hook(bad)
    with pytest.raises((tg.TapeError, TypeError), match=error) as info:
        (a * b).sum().backward()
    assert "'a' of shape (2,)" in str(info.value)
    assert a.grad is None and b.grad.numpy().tolist() == [1.0, 1.0]


def test_register_hook_refuses_what_has_no_gradient():
    with pytest.raises(tg.TapeError, match="does not require grad"):
        tg.tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(TypeError, match="callable"):
        tg.tensor([1.0], requires_grad=True).register_hook(3)


def test_hooks_act_in_backward_steps():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.register_hook(lambda g: g * 2)
    loss = h.sum()
    steps = list(tg.backward_steps(loss))
    assert [s.record.op for s in steps] == ["sum", "mul"]
    np.testing.assert_allclose(steps[0].grad_inputs[0].numpy(), [1.0, 1.0])  # before h's hook
    np.testing.assert_allclose(steps[1].grad_output.numpy(), [2.0, 2.0])  # after it
    np.testing.assert_allclose(steps[1].grad_inputs[0].numpy(), [6.0, 6.0])
    assert x.grad is None


def test_backward_inputs_accumulates_into_those_tensors_only():
    """PyTorch's backward(inputs=...): y = Σ 3·x·w gives dy/dw = 3x, dy/dh = 3 for h = x·w;
    x (not chosen) keeps no grad, an unrelated z keeps its .grad, a retained h fills as ever."""
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    z = tg.tensor([5.0], requires_grad=True)
    h = x * w
    h.retain_grad()
    y = (h * 3).sum()
    y.backward(inputs=[w, z], retain_graph=True)
    assert x.grad is None and z.grad is None
    assert w.grad.tolist() == [3.0, 6.0] and h.grad.tolist() == [3.0, 3.0]
    tg.autograd.backward(y, inputs=(t for t in [h]), retain_graph=True)  # any iterable
    assert h.grad.tolist() == [6.0, 6.0]
    tg.autograd.backward(y, inputs=h)  # a computed tensor as the input: it accumulates
    assert h.grad.tolist() == [9.0, 9.0] and w.grad.tolist() == [3.0, 6.0] and x.grad is None
    for bad, error, match in (([], ValueError, "non-empty list"), (3, ValueError, "got 3"),
                              ([tg.ones(2)], ValueError, r"inputs\[0\] does not require grad"),
                              ([x, 3], TypeError, r"inputs\[1\] must be a Tensor, got int")):
        loss = (x * 2).sum()
        with pytest.raises(error, match=f"backward: .*{match}"):
            loss.backward(inputs=bad)
        loss.backward(inputs=x)  # the failed call freed nothing
    assert x.grad.tolist() == [8.0, 8.0]  # four failed calls, each followed by one that ran
