"""Optimizers against the textbook update rules written out in plain numpy, plus the
lecture's experiments (GD stability limit 2/λmax) and bad-input errors."""

from functools import partial

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.optim as optim

# ---------------------------------------------------------------------- a test problem
# L(W, v) = Σ(W v − y)² + 0.1 Σ v⁴, W (2, 3), v (3,): gradients by hand below.
Y = np.array([0.5, -1.0])
W0 = np.array([[0.3, -0.2, 0.8], [1.1, 0.4, -0.6]])
V0 = np.array([0.7, -1.3, 0.2])


def np_loss(W, v):
    return ((W @ v - Y) ** 2).sum() + 0.1 * (v ** 4).sum()


def np_grads(W, v):
    r = W @ v - Y
    return [2 * np.outer(r, v), 2 * W.T @ r + 0.4 * v ** 3]


def run_tapegrad(make_opt, steps, sign=1.0):
    """The parameters after `steps` steps of the optimizer on sign·L."""
    W = tg.Tensor(W0.copy(), requires_grad=True)
    v = tg.Tensor(V0.copy(), requires_grad=True)
    opt = make_opt([W, v])
    for _ in range(steps):
        opt.zero_grad()
        loss = ((W @ v - tg.Tensor(Y)) ** 2).sum() + 0.1 * (v ** 4).sum()
        (sign * loss).backward()
        opt.step()
    return [W.numpy().copy(), v.numpy().copy()]


def run_numpy(update, steps, grads=np_grads):
    """update(k, theta, g, state) -> new theta, for each parameter k; state is a dict."""
    thetas = [W0.copy(), V0.copy()]
    states = [{}, {}]
    for _ in range(steps):
        gs = grads(*thetas)
        thetas = [update(theta, g, s) for theta, g, s in zip(thetas, gs, states)]
    return thetas


def assert_same(a, b):
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-11, atol=1e-13)


STEPS = 7


# ---------------------------------------------------------------------- SGD
def test_plain_gd():
    def upd(th, g, s):
        return th - 0.05 * g
    assert_same(run_tapegrad(lambda p: optim.SGD(p, lr=0.05), STEPS), run_numpy(upd, STEPS))


def test_sgd_momentum_is_the_lectures_heavy_ball():
    # notes 000: Δw(τ) = −η∇E + μΔw(τ−1), w ← w + Δw
    eta, mu = 0.05, 0.9

    def upd(th, g, s):
        s["dw"] = -eta * g + mu * s.get("dw", 0.0)
        return th + s["dw"]
    assert_same(run_tapegrad(lambda p: optim.SGD(p, lr=eta, momentum=mu), STEPS),
                run_numpy(upd, STEPS))


def test_sgd_nesterov_with_weight_decay_is_the_lectures_form():
    # notes 001: p_old = p; p = α p − ε g; x += p + α (p − p_old), with g = ∇L + wd·θ
    eps, alpha, wd = 0.03, 0.8, 0.01

    def upd(th, g, s):
        g = g + wd * th
        p_old = s.get("p", np.zeros_like(th))
        s["p"] = alpha * p_old - eps * g
        return th + s["p"] + alpha * (s["p"] - p_old)
    got = run_tapegrad(lambda p: optim.SGD(p, lr=eps, momentum=alpha, nesterov=True,
                                           weight_decay=wd), STEPS)
    assert_same(got, run_numpy(upd, STEPS))


def test_sgd_dampening_follows_pytorch():
    # first step b = g, then b = μ b + (1 − d) g
    def upd(th, g, s):
        s["b"] = g.copy() if "b" not in s else 0.9 * s["b"] + 0.7 * g
        return th - 0.02 * s["b"]
    got = run_tapegrad(lambda p: optim.SGD(p, lr=0.02, momentum=0.9, dampening=0.3), STEPS)
    assert_same(got, run_numpy(upd, STEPS))


# ---------------------------------------------------------------------- adaptive
def test_adagrad_is_the_lectures_rule():
    # notes 001: a ← a + g⊙g, θ ← θ − ε/(√a + ν) ⊙ g
    eps, nu = 0.1, 1e-7

    def upd(th, g, s):
        s["a"] = s.get("a", 0.0) + g * g
        return th - eps / (np.sqrt(s["a"]) + nu) * g
    assert_same(run_tapegrad(lambda p: optim.Adagrad(p, lr=eps, eps=nu), STEPS),
                run_numpy(upd, STEPS))


def test_adagrad_lr_decay_and_initial_accumulator():
    def upd(th, g, s):
        s["t"] = s.get("t", 0) + 1
        s["a"] = s.get("a", 0.5) + g * g
        return th - 0.1 / (1 + (s["t"] - 1) * 0.2) * g / (np.sqrt(s["a"]) + 1e-10)
    got = run_tapegrad(lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.2,
                                               initial_accumulator_value=0.5), STEPS)
    assert_same(got, run_numpy(upd, STEPS))


def test_adagrad_initial_accumulator_is_each_groups_own():
    # deliberately unlike PyTorch, whose Adagrad starts every group from the constructor's
    # initial_accumulator_value: a group's own value is an option like its lr
    a, b = leaf(), leaf()
    opt = optim.Adagrad([{"params": [a]}, {"params": [b], "initial_accumulator_value": 3.0}],
                        lr=0.1, initial_accumulator_value=1.0)
    a.grad, b.grad = tg.Tensor(np.array([2.0])), tg.Tensor(np.array([2.0]))
    opt.step()
    np.testing.assert_allclose(a.numpy(), 1 - 0.1 * 2 / (np.sqrt(1 + 4) + 1e-10), rtol=1e-15)
    np.testing.assert_allclose(b.numpy(), 1 - 0.1 * 2 / (np.sqrt(3 + 4) + 1e-10), rtol=1e-15)


def test_rmsprop_plain():
    # notes 001: a ← β a + (1 − β) g⊙g, θ ← θ − ε/(√a + ν) ⊙ g
    def upd(th, g, s):
        s["a"] = 0.9 * s.get("a", 0.0) + 0.1 * g * g
        return th - 0.01 * g / (np.sqrt(s["a"]) + 1e-8)
    assert_same(run_tapegrad(lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9), STEPS),
                run_numpy(upd, STEPS))


def test_rmsprop_with_momentum_is_the_lectures_form():
    # notes 001: v ← α v − ε/(√a + ν) ⊙ g, θ ← θ + v
    def upd(th, g, s):
        s["a"] = 0.99 * s.get("a", 0.0) + 0.01 * g * g
        s["v"] = 0.5 * s.get("v", 0.0) - 0.01 / (np.sqrt(s["a"]) + 1e-6) * g
        return th + s["v"]
    got = run_tapegrad(lambda p: optim.RMSprop(p, lr=0.01, eps=1e-6, momentum=0.5), STEPS)
    assert_same(got, run_numpy(upd, STEPS))


def test_rmsprop_centered_with_weight_decay():
    def upd(th, g, s):
        g = g + 0.05 * th
        s["a"] = 0.9 * s.get("a", 0.0) + 0.1 * g * g
        s["m"] = 0.9 * s.get("m", 0.0) + 0.1 * g
        return th - 0.01 * g / (np.sqrt(s["a"] - s["m"] ** 2) + 1e-8)
    got = run_tapegrad(lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9, centered=True,
                                               weight_decay=0.05), STEPS)
    assert_same(got, run_numpy(upd, STEPS))


def adam_numpy(lr, b1, b2, nu, bias_correction=True, amsgrad=False, wd=0.0, decoupled=False):
    def upd(th, g, s):
        if decoupled:
            th = th * (1 - lr * wd)
        elif wd:
            g = g + wd * th
        s["t"] = s.get("t", 0) + 1
        s["v"] = b1 * s.get("v", 0.0) + (1 - b1) * g
        s["a"] = b2 * s.get("a", 0.0) + (1 - b2) * g * g
        a = s["a"]
        if amsgrad:
            s["amax"] = a = np.maximum(s.get("amax", 0.0), a)
        v = s["v"]
        if bias_correction:
            v, a = v / (1 - b1 ** s["t"]), a / (1 - b2 ** s["t"])
        return th - lr / (np.sqrt(a) + nu) * v
    return upd


@pytest.mark.parametrize("bias_correction", [True, False])
def test_adam_is_the_lectures_rule(bias_correction):
    got = run_tapegrad(lambda p: optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-7,
                                            bias_correction=bias_correction), STEPS)
    assert_same(got, run_numpy(adam_numpy(0.01, 0.8, 0.99, 1e-7, bias_correction), STEPS))


def test_adam_amsgrad_and_l2_weight_decay():
    got = run_tapegrad(lambda p: optim.Adam(p, lr=0.05, amsgrad=True, weight_decay=0.1), 12)
    assert_same(got, run_numpy(adam_numpy(0.05, 0.9, 0.999, 1e-8, amsgrad=True, wd=0.1), 12))


def test_adamw_decouples_the_decay():
    got = run_tapegrad(lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.1), STEPS)
    assert_same(got, run_numpy(adam_numpy(0.05, 0.9, 0.999, 1e-8, wd=0.1, decoupled=True),
                               STEPS))
    adam = run_tapegrad(lambda p: optim.Adam(p, lr=0.05, weight_decay=0.1), STEPS)
    assert not np.allclose(got[1], adam[1])


def test_amsgrad_keeps_the_running_max():
    w = tg.Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.Adam([w], lr=0.1, betas=(0.0, 0.5), amsgrad=True)
    for g in (4.0, 0.0, 0.0):
        w.grad = tg.Tensor(np.array([g]))
        opt.step()
    st = opt.state[w]
    assert st["exp_avg_sq"].item() == pytest.approx(16 * 0.5 ** 3)
    assert st["max_exp_avg_sq"].item() == pytest.approx(8.0)


# ---------------------------------------------------------------------- maximize
# PyTorch: with maximize=True every rule starts from g = −∇L, before the weight decay is
# added: the steps of minimizing −L. The references below are the rules written out again
# in numpy, fed −∇L; all use weight decay, so negating g + wd·θ instead would show.
def sgd_rule(th, g, s):
    g = g + 0.05 * th
    s["b"] = g.copy() if "b" not in s else 0.9 * s["b"] + g
    return th - 0.01 * (g + 0.9 * s["b"])  # Nesterov


def adagrad_rule(th, g, s):
    g = g + 0.05 * th
    s["t"] = s.get("t", 0) + 1
    s["a"] = s.get("a", 0.0) + g * g
    return th - 0.1 / (1 + (s["t"] - 1) * 0.2) * g / (np.sqrt(s["a"]) + 1e-10)


def rmsprop_rule(th, g, s):
    g = g + 0.05 * th
    s["a"] = 0.9 * s.get("a", 0.0) + 0.1 * g * g
    s["m"] = 0.9 * s.get("m", 0.0) + 0.1 * g
    s["b"] = 0.5 * s.get("b", 0.0) + g / (np.sqrt(s["a"] - s["m"] ** 2) + 1e-8)
    return th - 0.01 * s["b"]


MAXIMIZE_CASES = {
    "sgd": (partial(optim.SGD, lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.05),
            sgd_rule),
    "adagrad": (partial(optim.Adagrad, lr=0.1, lr_decay=0.2, weight_decay=0.05),
                adagrad_rule),
    "rmsprop": (partial(optim.RMSprop, lr=0.01, alpha=0.9, centered=True, momentum=0.5,
                        weight_decay=0.05), rmsprop_rule),
    "adam": (partial(optim.Adam, lr=0.05, amsgrad=True, weight_decay=0.1),
             adam_numpy(0.05, 0.9, 0.999, 1e-8, amsgrad=True, wd=0.1)),
    "adamw": (partial(optim.AdamW, lr=0.05, weight_decay=0.1),
              adam_numpy(0.05, 0.9, 0.999, 1e-8, wd=0.1, decoupled=True)),
}


@pytest.mark.parametrize("make, rule", MAXIMIZE_CASES.values(), ids=MAXIMIZE_CASES)
def test_maximize_takes_the_steps_of_minimizing_the_negated_loss(make, rule):
    steps = 4
    got = run_tapegrad(lambda p: make(p, maximize=True), steps)
    assert_same(got, run_numpy(rule, steps, grads=lambda W, v: [-g for g in np_grads(W, v)]))
    assert_same(got, run_tapegrad(make, steps, sign=-1.0))  # tapegrad minimizing −L
    assert np_loss(*got) > np_loss(W0, V0)


def test_maximize_is_saved_and_loaded_with_the_other_options(tmp_path):
    opt, w = _trained(lambda ps: optim.Adam(ps, lr=0.1, maximize=True))
    assert w.numpy()[0] > 1.0  # up the gradient (1, −2)
    sd = opt.state_dict()
    assert sd["param_groups"][0]["maximize"] is True
    tg.save(sd, tmp_path / "adam.npz")
    w2 = tg.Tensor(w.numpy().copy(), requires_grad=True)
    resumed = optim.Adam([w2], lr=0.1)
    resumed.load_state_dict(tg.load(tmp_path / "adam.npz"))
    assert resumed.param_groups[0]["maximize"] is True
    for p, o in ((w, opt), (w2, resumed)):
        p.grad = tg.Tensor(np.array([1.0, -2.0]))
        o.step()
    np.testing.assert_array_equal(w2.numpy(), w.numpy())


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam,
                                 optim.AdamW])
def test_maximize_must_be_a_bool_and_a_bad_one_changes_nothing(cls):
    with pytest.raises(TypeError, match=f"{cls.__name__}: maximize must be True or False, "
                                        "got 1"):
        cls([leaf()], lr=0.1, maximize=1)
    opt, w = _trained(lambda ps: cls(ps, lr=0.1))
    before = opt.state_dict()
    with pytest.raises(TypeError, match="maximize must be True or False, got 'yes'"):
        opt.add_param_group({"params": [leaf()], "maximize": "yes"})
    bad = opt.state_dict()
    bad["param_groups"][0]["maximize"] = None
    with pytest.raises(TypeError, match="maximize must be True or False, got None"):
        opt.load_state_dict(bad)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert [g["maximize"] for g in opt.param_groups] == [False]
    for name, value in before["state"][0].items():
        np.testing.assert_array_equal(after["state"][0][name], value)


# ---------------------------------------------------------------------- groups, float32
def test_param_groups_have_their_own_lr():
    a = tg.Tensor(np.array([1.0]), requires_grad=True)
    b = tg.Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    (a * 2 + b * 2).sum().backward()
    opt.step()
    assert a.item() == pytest.approx(0.8) and b.item() == pytest.approx(0.0)
    c = tg.Tensor(np.array([3.0]), requires_grad=True)
    opt.add_param_group({"params": [c], "momentum": 0.9})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one place"):
        opt.add_param_group({"params": [a]})
    assert len(opt.param_groups) == 3


def test_float32_params_stay_float32_and_skip_params_without_grad():
    w = tg.Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    u = tg.Tensor(np.array([5.0], dtype=np.float32), requires_grad=True)
    opt = optim.Adam([w, u], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    assert w.dtype == np.float32 and opt.state[w]["exp_avg"].dtype == np.float32
    np.testing.assert_allclose(w.numpy(), [0.9, 1.9], rtol=1e-6)
    assert u.item() == 5.0 and u not in opt.state


def test_zero_grad():
    w = tg.Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * 3).sum().backward()
    g = w.grad
    opt.zero_grad(set_to_none=False)
    # in place, as PyTorch's zero_(): a reference kept to .grad sees the zeros
    assert w.grad is g and g.numpy().tolist() == [0.0]
    opt.zero_grad()
    assert w.grad is None


def test_closure_is_evaluated_with_grad_even_under_no_grad():
    w = tg.Tensor(np.array([2.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss
    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0 and w.item() == pytest.approx(1.0)


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=0.1), lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW,
], ids=["sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw"])
def test_a_step_between_forward_and_backward_is_caught(make):
    w = tg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = make([w])
    x = tg.Tensor(np.array([3.0, 4.0]))
    (w * x).sum().backward()
    loss = (w * w).sum()
    opt.step()
    with pytest.raises(tg.TapeError, match="mul"):
        loss.backward()


# ---------------------------------------------------------------------- lecture experiment
def lecture_loss(w):
    return (w[0] * w[1] - 1.5) ** 2 + 0.04 * (w ** 2).sum()


def gd_path(lr, steps):
    w = tg.Tensor(np.array([1.0, 0.5]), requires_grad=True)
    opt = optim.SGD([w], lr=lr)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        lecture_loss(w).backward()
        opt.step()
        path.append(w.numpy().copy())
    return np.array(path)


def test_gd_stability_limit_from_the_lecture():
    # minimum: w1 = w2 = s = √(1.5 − 0.04) (from ∂C/∂w1 = 2(s² − 1.5)s + 0.08s = 0)
    w_star = np.sqrt(1.46)
    H = tg.hessian(lecture_loss, tg.Tensor(np.array([w_star, w_star]))).numpy()
    lam = np.linalg.eigvalsh(H)
    # by hand at w1 = w2 = s: H = [[2s² + .08, 4s² − 3], [4s² − 3, 2s² + .08]], with
    # eigenvalues 6s² − 2.92 = 5.84 and 3.08 − 2s² = 0.16
    np.testing.assert_allclose(sorted(lam), sorted([6 * 1.46 - 2.92, 3.08 - 2 * 1.46]))
    assert lam.max() == pytest.approx(5.84)
    assert 0.25 < 2 / lam.max() < 0.35
    path = gd_path(0.25, 450)  # slow direction contracts by 1 − 0.25·0.16 per step
    np.testing.assert_allclose(path[-1], [w_star, w_star], atol=1e-6)
    path = gd_path(0.35, 300)
    a, b, c = path[-3], path[-2], path[-1]
    np.testing.assert_allclose(a, c, atol=1e-10)  # period 2 ...
    assert np.abs(a - b).max() > 0.1              # ... and not a fixed point
    assert np.all(np.abs(a - w_star) > 0.05) and np.all(np.abs(b - w_star) > 0.05)


# ---------------------------------------------------------------------- bad input
def leaf():
    return tg.Tensor(np.array([1.0]), requires_grad=True)


@pytest.mark.parametrize("make, match", [
    (lambda: optim.SGD([leaf()], lr=-0.1), "lr=-0.1"),
    (lambda: optim.SGD([leaf()], lr=0.1, momentum=-1), "momentum=-1"),
    (lambda: optim.SGD([leaf()], lr=0.1, nesterov=True), "nesterov"),
    (lambda: optim.Adam([leaf()], betas=(0.9, 1.0)), r"betas\[1\]=1.0"),
    (lambda: optim.Adam([leaf()], betas=(-0.1, 0.9)), r"betas\[0\]=-0.1"),
    (lambda: optim.Adam([leaf()], eps=float("nan")), "eps=nan"),
    (lambda: optim.RMSprop([leaf()], alpha=1.5), "alpha=1.5"),
    (lambda: optim.Adagrad([leaf()], lr_decay=-1.0), "lr_decay=-1.0"),
    (lambda: optim.SGD([], lr=0.1), "empty"),
    (lambda: optim.SGD([tg.Tensor(np.array([1]))], lr=0.1), "int64.*only floating-point"),
    (lambda: optim.SGD([leaf() * 2], lr=0.1), "not a leaf"),
    (lambda: optim.SGD([{"params": [leaf()], "lrr": 0.1}], lr=0.1), "lrr"),
])
def test_bad_options_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("make, match", [
    (lambda: optim.SGD(leaf(), lr=0.1), "single Tensor"),
    (lambda: optim.SGD([np.ones(2)], lr=0.1), "ndarray"),
    (lambda: optim.SGD([leaf()], lr="0.1"), "lr"),
    (lambda: optim.Adam([leaf()], amsgrad=1), "amsgrad"),
    (lambda: optim.SGD([leaf()], lr=0.1, momentum_=0.9), "momentum_"),
    # a set's order changes between runs (state_dict numbers the parameters in order);
    # PyTorch refuses a set as a group's params; these were accepted
    (lambda: optim.SGD([{"params": {leaf(), leaf()}}], lr=0.1), "SGD: .* got a set"),
    (lambda: optim.Adam({leaf(), leaf()}), "Adam: .* got a set"),
    (lambda: optim.LBFGS(frozenset([leaf()])), "LBFGS: .* got a frozenset"),
])
def test_bad_types_raise_type_error(make, match):
    with pytest.raises(TypeError, match=match):
        make()


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps, lr=0.1),
    lambda ps: optim.LBFGS(ps, lr=0.1), lambda ps: optim.Newton(ps, damping=1.0),
])
def test_frozen_parameters_are_accepted_and_left_alone(make):
    # PyTorch's fine-tuning idiom: freeze a layer (requires_grad=False), still pass
    # model.parameters(); the frozen tensor gets no grad and is not moved, until unfrozen
    import tapegrad.nn as nn
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    model[0].requires_grad_(False)
    frozen = model[0].weight.numpy().copy()
    head = model[2].weight.numpy().copy()
    opt = make(model.parameters())
    x = tg.Tensor(np.array([[0.5, -1.0], [1.0, 2.0]], np.float32))

    def closure():
        opt.zero_grad()
        loss = (model(x) ** 2).mean()
        if not isinstance(opt, optim.Newton):  # Newton differentiates the loss itself
            loss.backward()
        return loss
    opt.step(closure)
    assert model[0].weight.grad is None
    np.testing.assert_array_equal(model[0].weight.numpy(), frozen)
    assert not np.array_equal(model[2].weight.numpy(), head)
    model[0].requires_grad_(True)
    opt.step(closure)
    assert not np.array_equal(model[0].weight.numpy(), frozen)


def test_failed_add_param_group_changes_nothing():
    opt = optim.SGD([leaf()], lr=0.1)
    with pytest.raises(ValueError, match="lr=-1"):
        opt.add_param_group({"params": [leaf()], "lr": -1})
    with pytest.raises(TypeError, match="SGD: .* got a set"):
        opt.add_param_group({"params": {leaf()}})
    assert len(opt.param_groups) == 1


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps, lr=0.1),
    lambda ps: optim.RMSprop(ps, lr=0.1, centered=True), lambda ps: optim.Adagrad(ps, lr=0.1),
])
@pytest.mark.parametrize("bad_grad, error", [
    (np.ones(3), r"shape \(3,\) but the tensor has shape \(1,\)"),
    (np.ones(1, np.float32), "float32 but the tensor is float64"), ("g", "got str")])
def test_a_mis_shaped_or_mistyped_grad_cannot_reach_a_step(make, bad_grad, error):
    # p.grad assigned by hand with the wrong shape or dtype is refused at the assignment (as
    # in PyTorch), so no step ever sees it; the step then uses the grads that are there
    a, b = tg.Tensor(np.array([1.0, 2.0]), requires_grad=True), leaf()
    opt = make([a, b])
    a.grad = tg.Tensor(np.array([0.5, -0.5]))
    with pytest.raises((ValueError, TypeError), match=error):
        b.grad = bad_grad if isinstance(bad_grad, str) else tg.Tensor(bad_grad)
    assert b.grad is None
    opt.step()
    assert a.numpy()[0] < 1.0 and a.numpy()[1] > 2.0  # moved against the gradient


def _trained(make):
    """An optimizer after two steps on a 2-vector (grad (1, −2)), and its parameter."""
    w = tg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = make([w])
    for _ in range(2):
        w.grad = tg.Tensor(np.array([1.0, -2.0]))
        opt.step()
    return opt, w


@pytest.mark.parametrize("make, entry, match", [
    # a state lacking what the rule reads (PyTorch accepts it, then raises KeyError)
    (lambda ps: optim.Adam(ps), {"step": 3},
     r"state of parameter 0 has entries \['step'\]; Adam with these options keeps "
     r"\['exp_avg', 'exp_avg_sq', 'step'\]"),
    (lambda ps: optim.Adam(ps, amsgrad=True), {"step": 1, "exp_avg": np.zeros(2),
                                               "exp_avg_sq": np.zeros(2)}, "max_exp_avg_sq"),
    (lambda ps: optim.RMSprop(ps, momentum=0.9), {"step": 1, "square_avg": np.zeros(2)},
     "momentum_buffer"),
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), {"buf": np.zeros(2)},
     r"has entries \['buf'\]"),
    (lambda ps: optim.Adagrad(ps), {"step": "a", "sum": np.zeros(2)}, "invalid step='a'"),
    (lambda ps: optim.Adagrad(ps), {"step": 1.5, "sum": np.zeros(2)}, "invalid step=1.5"),
    (lambda ps: optim.Adagrad(ps), {"step": 1, "sum": 0.0}, "'sum' must be an array"),
    (lambda ps: optim.LBFGS(ps), {"func_evals": 3, "n_iter": 2}, "lacks .*'old_dirs'"),
    (lambda ps: optim.Newton(ps), {"n_iter": -1}, "invalid n_iter=-1"),
])
def test_load_state_dict_checks_each_parameters_state(make, entry, match):
    w = tg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = make([w])
    sd = opt.state_dict()
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict({"state": {0: entry}, "param_groups": sd["param_groups"]})
    assert opt.state == {}


@pytest.mark.parametrize("make, option, value", [
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), "momentum", 0.0),
    (lambda ps: optim.RMSprop(ps, momentum=0.9, centered=True), "momentum", 0.0),
    (lambda ps: optim.RMSprop(ps, momentum=0.9, centered=True), "centered", False),
    (lambda ps: optim.Adam(ps, amsgrad=True), "amsgrad", False),
])
def test_a_state_kept_from_earlier_options_loads(make, option, value):
    # an option turned off in param_groups mid-run leaves its buffer in the state (as in
    # PyTorch), so the optimizer's own state_dict has it: loading that once raised
    opt, w = _trained(make)
    opt.param_groups[0][option] = value
    w.grad = tg.Tensor(np.array([0.5, 1.0]))
    opt.step()
    sd = opt.state_dict()
    w2 = tg.Tensor(w.numpy().copy(), requires_grad=True)
    opt2 = make([w2])
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0][option] == value and set(opt2.state[w2]) == set(sd["state"][0])
    for g in ([1.0, -1.0], [0.25, 2.0]):
        w.grad, w2.grad = tg.Tensor(np.array(g)), tg.Tensor(np.array(g))
        opt.step()
        opt2.step()
    np.testing.assert_array_equal(w2.numpy(), w.numpy())


def test_sgd_with_momentum_turned_off_is_plain_gd():
    opt, w = _trained(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9))
    opt.param_groups[0]["momentum"] = 0.0
    before = w.numpy().copy()
    w.grad = tg.Tensor(np.array([0.5, 1.0]))
    opt.step()
    np.testing.assert_array_equal(w.numpy(), before - 0.1 * np.array([0.5, 1.0]))
    assert "momentum_buffer" in opt.state[w]  # kept, unused, as in PyTorch


@pytest.mark.parametrize("key", ["x", -1, 1, 0.0, True])
def test_load_state_dict_names_a_state_key_that_is_no_parameter(key):
    opt, w = _trained(lambda ps: optim.Adam(ps))
    sd = opt.state_dict()
    with pytest.raises(ValueError, match=f"state entry {key!r} does not name a parameter"):
        opt.load_state_dict({"state": {key: sd["state"][0]}, "param_groups": sd["param_groups"]})
    assert opt.state[w]["step"] == 2


@pytest.mark.parametrize("make", [
    lambda ps: optim.Adam(ps, amsgrad=True), lambda ps: optim.RMSprop(ps, momentum=0.9,
                                                                       centered=True),
    lambda ps: optim.Adagrad(ps),
])
def test_a_failing_step_leaves_the_state_as_it_was(make):
    # the rule reads every state entry before changing any: a state that lost an entry
    # (edited by hand after loading) fails the step without counting it
    opt, w = _trained(make)
    state = opt.state[w]
    victim = sorted(set(state) - {"step"})[-1]
    del state[victim]
    before = {k: v.numpy().copy() if isinstance(v, tg.Tensor) else v for k, v in state.items()}
    w.grad = tg.Tensor(np.array([1.0, -2.0]))
    with pytest.raises(KeyError, match=victim):
        opt.step()
    assert state["step"] == 2 and set(state) == set(before)
    for k, v in state.items():
        np.testing.assert_array_equal(v.numpy() if isinstance(v, tg.Tensor) else v, before[k])


def test_repr_lists_groups():
    opt = optim.Adam([leaf(), leaf()], lr=0.01)
    assert "Adam" in repr(opt) and "2 params" in repr(opt) and "lr=0.01" in repr(opt)


# ---------------------------------------------------------------------- closure-based methods
TIGHT = {"tolerance_change": 1e-14, "tolerance_grad": 1e-12}


def beale(w):
    x, y = w[0], w[1]
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2
            + (2.625 - x + x * y ** 3) ** 2)


def rosenbrock(w):
    return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2


def minimize(make_opt, fn, start, steps, backward=True):
    w = tg.Tensor(np.array(start, dtype=np.float64), requires_grad=True)
    opt = make_opt([w])

    def closure():
        opt.zero_grad()
        loss = fn(w)
        if backward:
            loss.backward()
        return loss
    for _ in range(steps):
        opt.step(closure)
    return w.numpy().copy(), opt


def test_lbfgs_minimizes_beale_from_1_1():
    w, opt = minimize(lambda p: optim.LBFGS(p, line_search_fn="strong_wolfe",
                                            **TIGHT), beale, [1.0, 1.0], 3)
    np.testing.assert_allclose(w, [3.0, 0.5], atol=1e-6)
    assert opt.state[opt.param_groups[0]["params"][0]]["n_iter"] < 40


@pytest.mark.parametrize("make", [optim.BFGS, optim.ConjugateGradient, optim.LBFGS])
def test_one_iteration_per_step_line_searches_within_max_eval(make):
    # max_iter=1 defaults to max_eval=1, which leaves the line search only its first trial;
    # max_eval=25 gives it room, so stepping one iteration at a time (to record a path)
    # reaches Beale's minimum
    search = {} if make is optim.ConjugateGradient else {"line_search_fn": "strong_wolfe"}
    w, opt = minimize(lambda p: make(p, max_iter=1, max_eval=25, **search, **TIGHT),
                      beale, [1.0, 1.5], 60)
    np.testing.assert_allclose(w, [3.0, 0.5], atol=1e-5)


@pytest.mark.parametrize("make", [optim.BFGS, optim.ConjugateGradient, optim.LBFGS])
@pytest.mark.parametrize("lr, max_iter, max_eval, w_end, evals", [
    (50.0, 1, None, 10.0, 2),     # max_eval = 1: the trial t = 2.5 (w = −40) is worse: t = 0
    (0.002, 1, None, 9.998, 2),   # ... the trial t = 1e-4 is better: kept
    (0.002, 1, 3, 9.8, 4),        # trials t = 1e-4, 1e-3, 1e-2: the budget is spent
    (0.002, 20, 3, 9.8, 4),       # the same: max_eval counts across the step's iterations
])
def test_line_search_budget_is_what_max_eval_leaves(make, lr, max_iter, max_eval, w_end,
                                                    evals):
    # f = w² from w = 10: g = 20, d = −20, first trial t = min(1, 1/20)·lr; φ(t) = (10 − 20t)²
    # has φ'(t) = −400 + 800t, so a trial meets the curvature condition only from
    # t = 0.05 (c2 = 0.9; 0.45 for CG's c2 = 0.1). Each extrapolation is the cubic's (here
    # the parabola's) minimizer 0.5 clamped to 10t. The search gets max_eval − 1 evaluations
    # after its first trial (PyTorch's max_ls), then keeps the lower of t = 0 and its last
    # trial; with the evaluation at the start, func_evals = max_eval + 1.
    search = {} if make is optim.ConjugateGradient else {"line_search_fn": "strong_wolfe"}
    w, opt = minimize(lambda p: make(p, lr=lr, max_iter=max_iter, max_eval=max_eval,
                                     **search), lambda w: (w * w).sum(), [10.0], 1)
    np.testing.assert_allclose(w, [w_end], rtol=1e-12)
    state = opt.state[opt.param_groups[0]["params"][0]]
    assert (state["func_evals"], state["n_iter"]) == (evals, 1)


@pytest.mark.parametrize("make, w_end, evals", [
    (optim.LBFGS, 8.0, 5),              # t = 1e-4, 1e-3, 1e-2, 0.1: |φ'(0.1)| = 320 ≤ 360
    (optim.ConjugateGradient, 0.0, 6),  # ... then 0.5 (under 10t = 1): w = 0, φ' = 0
])
def test_line_search_with_room_stops_at_a_wolfe_point(make, w_end, evals):
    # the problem above with max_eval = 10: the search ends on its own
    search = {} if make is optim.ConjugateGradient else {"line_search_fn": "strong_wolfe"}
    w, opt = minimize(lambda p: make(p, lr=0.002, max_iter=1, max_eval=10, **search),
                      lambda w: (w * w).sum(), [10.0], 1)
    np.testing.assert_allclose(w, [w_end], rtol=1e-12, atol=1e-11)
    assert opt.state[opt.param_groups[0]["params"][0]]["func_evals"] == evals


def test_lbfgs_without_line_search_and_short_history_on_rosenbrock():
    w, opt = minimize(lambda p: optim.LBFGS(p, history_size=3, max_iter=50,
                                            **TIGHT),
                      rosenbrock, [-1.2, 1.0], 10)
    np.testing.assert_allclose(w, [1.0, 1.0], atol=1e-5)
    assert len(opt.state[opt.param_groups[0]["params"][0]]["old_dirs"]) == 3


def quadratic_problem(n=6, seed=3):
    rng = np.random.default_rng(seed)
    Q = rng.standard_normal((n, n))
    A = Q @ Q.T + n * np.eye(n)
    b = rng.standard_normal(n)
    return A, b


def quadratic(A, b):
    At, bt = tg.Tensor(A), tg.Tensor(b)
    return lambda w: 0.5 * (w * (At @ w)).sum() - (bt * w).sum()


@pytest.mark.parametrize("make", [
    lambda p: optim.LBFGS(p, line_search_fn="strong_wolfe", **TIGHT),
    lambda p: optim.BFGS(p, **TIGHT),
    lambda p: optim.ConjugateGradient(p, **TIGHT),
], ids=["lbfgs", "bfgs", "cg"])
def test_quasi_newton_and_cg_solve_a_quadratic(make):
    A, b = quadratic_problem()
    w, _ = minimize(make, quadratic(A, b), np.zeros(6), 2)
    # the loss-change tolerance stops them once f changes by ~1e-16, i.e. |x − x*| ~ 1e-8
    np.testing.assert_allclose(w, np.linalg.solve(A, b), atol=5e-8)


@pytest.mark.parametrize("make", [
    lambda p: optim.BFGS(p, max_iter=100, **TIGHT),
    lambda p: optim.ConjugateGradient(p, max_iter=300, **TIGHT),
], ids=["bfgs", "cg"])
def test_bfgs_and_cg_minimize_rosenbrock(make):
    w, _ = minimize(make, rosenbrock, [-1.2, 1.0], 2)
    np.testing.assert_allclose(w, [1.0, 1.0], atol=1e-6)


def test_bfgs_update_is_the_lectures_formula():
    A, b = quadratic_problem(4)
    x0 = np.array([1.0, -1.0, 0.5, 2.0])
    w = tg.Tensor(x0.copy(), requires_grad=True)
    opt = optim.BFGS([w], max_iter=1)
    fn = quadratic(A, b)

    def closure():
        opt.zero_grad()
        loss = fn(w)
        loss.backward()
        return loss
    opt.step(closure)          # iteration 1: d = −g0, line search to x1
    x1 = w.numpy().copy()
    opt.step(closure)          # iteration 2: H from (s, y) = (x1 − x0, g1 − g0)
    s, y = x1 - x0, A @ (x1 - x0)
    rho = 1 / (y @ s)
    H0 = (y @ s) / (y @ y) * np.eye(4)  # Nocedal & Wright eq. 6.20
    V = np.eye(4) - rho * np.outer(s, y)
    H1 = V @ H0 @ (np.eye(4) - rho * np.outer(y, s)) + rho * np.outer(s, s)
    np.testing.assert_allclose(opt.state[w]["H"], H1, rtol=1e-12)
    np.testing.assert_allclose(H1 @ y, s, rtol=1e-12)  # the secant condition


def test_closure_optimizers_handle_several_parameters():
    A, b = quadratic_problem(5)
    W = tg.Tensor(np.zeros((2, 2)), requires_grad=True)
    c = tg.Tensor(np.zeros(1), requires_grad=True)
    At, bt = tg.Tensor(A), tg.Tensor(b)
    opt = optim.LBFGS([W, c], line_search_fn="strong_wolfe", **TIGHT)

    def closure():
        opt.zero_grad()
        x = tg.concatenate([W.reshape(-1), c])
        loss = 0.5 * (x * (At @ x)).sum() - (bt * x).sum()
        loss.backward()
        return loss
    opt.step(closure)
    sol = np.linalg.solve(A, b)
    np.testing.assert_allclose(W.numpy(), sol[:4].reshape(2, 2), atol=1e-8)
    np.testing.assert_allclose(c.numpy(), sol[4:], atol=1e-8)


# ---------------------------------------------------------------------- Newton
def test_newton_solves_a_quadratic_in_one_step():
    A, b = quadratic_problem(5)
    w, _ = minimize(lambda p: optim.Newton(p), quadratic(A, b), np.ones(5), 1, backward=False)
    np.testing.assert_allclose(w, np.linalg.solve(A, b), rtol=1e-10)


def test_damped_newton_step_is_the_lectures_formula():
    # θ ← θ − (H + αI)⁻¹ g with H, g of Beale at (1, 1) by hand:
    # g = (2·(1.5)·0 + 2·(2.25)·0 + 2·(2.625)·0, 2·1.5·1 + 2·2.25·2 + 2·2.625·3) = (0, 27.75)
    # H = [[0, 27.75], [27.75, 68.5]] (∂²f/∂y² = 2(1 + 4 + 9) + 2(2.25·2 + 2.625·6) = 68.5)
    H = np.array([[0.0, 27.75], [27.75, 68.5]])
    g = np.array([0.0, 27.75])
    w, opt = minimize(lambda p: optim.Newton(p, damping=3.0), beale, [1.0, 1.0], 1,
                      backward=False)
    np.testing.assert_allclose(w, np.array([1.0, 1.0]) - np.linalg.solve(H + 3 * np.eye(2), g),
                               rtol=1e-12)
    np.testing.assert_allclose(opt.param_groups[0]["params"][0].grad.numpy(), g, rtol=1e-12)


def test_undamped_newton_is_drawn_to_the_saddle_of_beale():
    w, _ = minimize(lambda p: optim.Newton(p), beale, [1.0, 1.0], 30, backward=False)
    np.testing.assert_allclose(w, [0.0, 1.0], atol=1e-10)
    lam = np.linalg.eigvalsh(tg.hessian(beale, tg.Tensor(w)).numpy())
    assert lam[0] < 0 < lam[1]  # a saddle point, not a minimum


def test_damped_newton_minimizes_beale_from_1_1():
    w, opt = minimize(lambda p: optim.Newton(p, damping=10.0, adaptive=True), beale,
                      [1.0, 1.0], 25, backward=False)
    np.testing.assert_allclose(w, [3.0, 0.5], atol=1e-10)
    # a fixed α = 15 > 27.75/2 (half the saddle's negative eigenvalue) repels the saddle
    # too, but contracts by only α/(α + 0.30) per step near the minimum
    w, _ = minimize(lambda p: optim.Newton(p, damping=15.0), beale, [1.0, 1.0], 40,
                    backward=False)
    assert np.abs(w - [3.0, 0.5]).max() < 0.2 and beale(tg.Tensor(w)).item() < 1e-2


def test_newton_accepts_a_create_graph_closure_and_rejects_a_plain_one():
    w = tg.Tensor(np.array([1.0, 1.0]), requires_grad=True)
    opt = optim.Newton([w])

    def closure(create_graph):
        opt.zero_grad()
        loss = beale(w)
        loss.backward(create_graph=create_graph)
        return loss
    opt.step(lambda: closure(True))
    np.testing.assert_allclose(w.numpy(), [1.0, 1.0] - np.linalg.solve(
        [[0.0, 27.75], [27.75, 68.5]], [0.0, 27.75]), rtol=1e-12)
    before = w.numpy().copy()
    with pytest.raises(ValueError, match="create_graph=True"):
        opt.step(lambda: closure(False))
    assert np.array_equal(w.numpy(), before)


def test_dense_methods_refuse_too_many_parameters():
    big = [tg.Tensor(np.zeros((60, 100)), requires_grad=True)]
    with pytest.raises(ValueError, match="6000 parameters.*max_params=2000"):
        optim.Newton(big)
    with pytest.raises(ValueError, match="6000 parameters.*max_params=5000"):
        optim.BFGS(big)
    optim.LBFGS(big)
    optim.BFGS(big, max_params=6000)


@pytest.mark.parametrize("make, match", [
    (lambda: optim.LBFGS([leaf()], line_search_fn="wolfe"), "line_search_fn='wolfe'"),
    (lambda: optim.LBFGS([leaf()], history_size=0), "history_size=0"),
    (lambda: optim.BFGS([leaf()], max_iter=0), "max_iter=0"),
    (lambda: optim.ConjugateGradient([leaf()], restart=0), "restart=0"),
    (lambda: optim.Newton([leaf()], damping=-1.0), "damping=-1.0"),
    (lambda: optim.LBFGS([{"params": [leaf()]}, {"params": [leaf()]}]), "single param group"),
    (lambda: optim.LBFGS([leaf()]).step(), "needs a closure"),
    (lambda: optim.Newton([leaf()]).step(), "needs a closure"),
])
def test_closure_optimizer_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("t0", [1e-3, 1.0, 50.0])
def test_strong_wolfe_search_meets_both_conditions(t0):
    from tapegrad.optim.line_search import strong_wolfe

    A, b = quadratic_problem(3)

    def evaluate(x):  # f = ½xᵀAx − bᵀx + Σx⁴ in plain numpy
        return 0.5 * x @ A @ x - b @ x + (x ** 4).sum(), A @ x - b + 4 * x ** 3
    x = np.array([1.0, -2.0, 0.5])
    f0, g0 = evaluate(x)
    d = -g0
    t, f, g, evals = strong_wolfe(evaluate, x, t0, d, f0, g0, c1=1e-4, c2=0.9)
    f_check, g_check = evaluate(x + t * d)
    assert f == f_check and np.array_equal(g, g_check) and 1 <= evals <= 25
    assert f <= f0 + 1e-4 * t * (g0 @ d)            # sufficient decrease
    assert abs(g @ d) <= 0.9 * abs(g0 @ d)           # curvature


def test_strong_wolfe_insufficient_progress_rule():
    """φ(t) = −t + 6t² − 8t²(1 − t)² along d = 1 from x = 0: φ(0) = 0, φ'(0) = −1,
    φ(1) = 5, φ'(1) = 11. The bump 8t²(1 − t)² and its slope vanish at 0 and 1, so the cubic
    through the ends of [0, 1] is −t + 6t², minimized at t = 1/12."""
    from tapegrad.optim.line_search import strong_wolfe

    def phi(t):
        return -t + 6 * t**2 - 8 * t**2 * (1 - t)**2, -1 + 12 * t - 16 * t * (1 - t) * (1 - 2 * t)
    trials = []

    def evaluate(x):
        trials.append(x[0])
        f, s = phi(x[0])
        return f, np.array([s])
    t, f, g, evals = strong_wolfe(evaluate, np.zeros(1), 1.0, np.ones(1), 0.0,
                                  np.array([-1.0]))
    # 1: φ(1) = 5 > φ(0) brackets [0, 1].
    # 2: 1/12 is within 0.1·width = 0.1 of the end 0: taken as it is, once. φ(1/12) < 0 with
    #    φ'(1/12) = −1.0185 (no curvature condition, still descending): the bracket is [1/12, 1].
    # 3: its cubic's minimizer (below) is again within 0.1·(11/12) of 1/12: moved to
    #    1/12 + 0.1·11/12 = 0.175, where φ'(0.175) = −0.4015 meets the curvature condition.
    np.testing.assert_allclose(trials, [1.0, 1 / 12, 0.175], rtol=1e-12)
    assert (t, evals) == (trials[-1], 3) and abs(g[0]) <= 0.9
    f1, s1 = phi(1 / 12)
    a = s1 + 11 - 3 * (f1 - 5) / (1 / 12 - 1)  # N&W eq. 3.59 through (1/12, f1, s1), (1, 5, 11)
    b = np.sqrt(a * a - 11 * s1)
    cubic = 1 - (1 - 1 / 12) * (11 + b - a) / (11 - s1 + 2 * b)
    assert 1 / 12 < cubic < 1 / 12 + 0.1 * 11 / 12 and abs(cubic - 0.1449) < 1e-4


def test_lbfgs_two_loop_equals_the_dense_bfgs_recursion():
    """d = −H g with H built by the lecture's BFGS update from H₀ = γI over the stored
    pairs, oldest first: the two-loop recursion must give the same vector."""
    A, b = quadratic_problem(5)
    _, opt = minimize(lambda p: optim.LBFGS(p, max_iter=4, line_search_fn="strong_wolfe"),
                      quadratic(A, b), np.ones(5), 1)
    st = opt.state[opt.param_groups[0]["params"][0]]
    assert len(st["old_dirs"]) == 3
    g = np.random.default_rng(0).standard_normal(5)
    H = st["H_diag"] * np.eye(5)
    for s, y in zip(st["old_stps"], st["old_dirs"]):
        rho = 1 / (y @ s)
        V = np.eye(5) - rho * np.outer(s, y)
        H = V @ H @ V.T + rho * np.outer(s, s)
    st["n_iter"] = 2  # ask for a direction without adding a new pair
    st["d"], st["t"], st["prev_grad"] = np.zeros(5), 0.0, g
    np.testing.assert_allclose(opt._direction(g, st), -H @ g, rtol=1e-10)


def test_lbfgs_keeps_float32_parameters_float32():
    w = tg.Tensor(np.array([-1.2, 1.0], dtype=np.float32), requires_grad=True)
    opt = optim.LBFGS([w], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = rosenbrock(w)
        loss.backward()
        return loss
    first = opt.step(closure).item()
    assert w.dtype == np.float32 and opt.state[w]["prev_grad"].dtype == np.float32
    assert rosenbrock(w).item() < first / 10


@pytest.mark.parametrize("module", ["tapegrad.optim", "tapegrad.optim.lr_scheduler"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_a_closure_step_between_forward_and_backward_is_caught():
    w = tg.Tensor(np.array([-1.2, 1.0]), requires_grad=True)
    opt = optim.LBFGS([w], max_iter=2)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(w)
        loss.backward()
        return loss
    stale = rosenbrock(w) + (w * w).sum()  # mul keeps w itself for its vjps
    opt.step(closure)
    with pytest.raises(tg.TapeError, match="'mul'.*changed in place"):
        stale.backward()


@pytest.mark.parametrize("cls", [optim.LBFGS, optim.BFGS, optim.ConjugateGradient])
def test_a_step_stopped_by_the_slope_test_leaves_a_usable_state(cls):
    """A gradient too small for a step (gᵀd above −tolerance_change) but above
    tolerance_grad: no step is taken, and the next step() starts from a complete state
    (it used to look for the direction the first one never stored). A closure that fails on
    the very first step leaves no state at all."""
    w = tg.tensor(np.array([1e-6, -2e-6]), requires_grad=True)
    opt = cls([w], tolerance_grad=1e-12, tolerance_change=1e-9)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    np.testing.assert_array_equal(w.numpy(), [1e-6, -2e-6])
    assert opt.state[w]["n_iter"] == 3

    fresh = cls([tg.tensor(np.ones(2), requires_grad=True)])
    with pytest.raises(ZeroDivisionError):
        fresh.step(lambda: 1 / 0)
    assert not fresh.state


def test_a_step_stopped_by_the_slope_test_keeps_d_and_t_like_pytorch():
    """PyTorch's LBFGS keeps the direction and the trial step of an iteration that stops on
    the slope test; the next step's curvature pair then uses them."""
    w = tg.tensor(np.array([1e-6, -2e-6]), requires_grad=True)
    opt = optim.LBFGS([w], lr=0.5, tolerance_grad=1e-12, tolerance_change=1e-9)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    g = 2 * np.array([1e-6, -2e-6])
    np.testing.assert_allclose(opt.state[w]["d"], -g)
    assert opt.state[w]["t"] == pytest.approx(min(1.0, 1.0 / np.abs(g).sum()) * 0.5)


# ---------------------------------------------------------------------- Adadelta
def adadelta_rule(th, g, s, lr=0.5, rho=0.8, eps=1e-3, wd=0.05):
    """Zeiler's rule written out: a ← ρa + (1−ρ)g², Δ = √(d + ε)/√(a + ε)·g,
    d ← ρd + (1−ρ)Δ², θ ← θ − lr·Δ."""
    g = g + wd * th
    s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g * g
    delta = np.sqrt(s.get("d", 0.0) + eps) / np.sqrt(s["a"] + eps) * g
    s["d"] = rho * s.get("d", 0.0) + (1 - rho) * delta * delta
    return th - lr * delta


def test_adadelta_is_zeilers_rule_and_maximizes():
    make = partial(optim.Adadelta, lr=0.5, rho=0.8, eps=1e-3, weight_decay=0.05)
    assert_same(run_tapegrad(make, STEPS), run_numpy(adadelta_rule, STEPS))
    up = run_tapegrad(lambda p: make(p, maximize=True), 4)
    assert_same(up, run_numpy(adadelta_rule, 4,
                              grads=lambda W, v: [-g for g in np_grads(W, v)]))
    assert np_loss(*up) > np_loss(W0, V0)


def test_adadelta_first_step_has_no_unit_of_the_gradient():
    """With empty state the first step is √ε/√((1−ρ)g² + ε)·g ≈ sign(g)·√(ε/(1−ρ)) once
    g² ≫ ε: the same size whatever the gradient's scale (the rule needs no learning rate)."""
    for scale in (1e2, 1e5):
        w = tg.tensor(np.array([0.0, 0.0]), requires_grad=True)
        opt = optim.Adadelta([w])  # lr 1, ρ 0.9, ε 1e-6
        w.grad = tg.tensor(np.array([scale, -3 * scale]))
        opt.step()
        size = np.sqrt(1e-6 / 0.1)
        np.testing.assert_allclose(w.numpy(), [-size, size], rtol=1e-6)
        assert sorted(opt.state[w]) == ["acc_delta", "square_avg", "step"]


def test_adadelta_checks_its_options_and_resumes_exactly():
    for kwargs, match in (({"lr": -1.0}, "Adadelta: invalid lr=-1.0"),
                          ({"rho": 1.5}, r"Adadelta: invalid rho=1.5; it must lie in \[0.0, "
                                         r"1.0\]"),
                          ({"eps": -1e-6}, "invalid eps"), ({"weight_decay": -0.1},
                                                           "invalid weight_decay")):
        with pytest.raises(ValueError, match=match):
            optim.Adadelta([leaf()], **kwargs)
    with pytest.raises(TypeError, match="Adadelta: maximize must be True or False"):
        optim.Adadelta([leaf()], maximize=1)
    opt, w = _trained(lambda ps: optim.Adadelta(ps, rho=0.5))
    w2 = tg.Tensor(w.numpy().copy(), requires_grad=True)
    resumed = optim.Adadelta([w2])
    resumed.load_state_dict(opt.state_dict())
    assert resumed.param_groups[0]["rho"] == 0.5
    for p, o in ((w, opt), (w2, resumed)):
        p.grad = tg.Tensor(np.array([0.5, 3.0]))
        o.step()
    np.testing.assert_array_equal(w2.numpy(), w.numpy())
