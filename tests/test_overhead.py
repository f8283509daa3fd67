"""The lean per-step paths above the engine keep their behaviour: optimizer steps write into
the parameters' own storage and leave the gradients alone."""

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.optim as optim

OPTIMIZERS = [
    lambda p: optim.SGD(p, lr=0.1), lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW,
]
IDS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]


@pytest.mark.parametrize("make", OPTIMIZERS, ids=IDS)
def test_step_writes_in_place_and_leaves_the_grad(make):
    lin = nn.Linear(3, 2)
    views = {name: t.numpy() for name, t in lin.state_dict().items()}  # share memory
    before = {name: v.copy() for name, v in views.items()}
    opt = make(lin.parameters())
    x = tg.tensor(np.arange(12, dtype=np.float32).reshape(4, 3))
    lin(x).square().sum().backward()
    grads = {name: p.grad.numpy().copy() for name, p in lin.named_parameters()}
    opt.step()
    for name, p in lin.named_parameters():
        assert np.array_equal(p.grad.numpy(), grads[name])  # the rule read it, never wrote
        assert not np.array_equal(views[name], before[name])  # the old view sees the step
        assert p.numpy() is not views[name] and np.shares_memory(p.numpy(), views[name])


def test_sgd_step_is_numpys_in_place_update():
    rng = np.random.default_rng(0)
    w0, g0 = rng.standard_normal((5, 4)).astype(np.float32), rng.standard_normal((5, 4))
    w = tg.tensor(w0, requires_grad=True)
    w.grad = tg.tensor(g0.astype(np.float32))
    optim.SGD([w], lr=0.3).step()
    expected = w0.copy()
    expected -= np.float32(0.3) * g0.astype(np.float32)
    assert w.dtype == np.float32 and np.array_equal(w.numpy(), expected)


def test_a_parameter_without_grad_gets_no_state_and_does_not_move():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0], requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    (a * a).sum().backward()
    opt.step()
    assert list(opt.state) == [a] and opt.state[a]["step"] == 1
    assert b.numpy().tolist() == [3.0]
