"""Exact resume (issue 8): N steps, save parameters + optimizer + scheduler state with
tg.save, tg.load into fresh objects, M more steps == N + M uninterrupted steps, bit for bit."""

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.optim as optim
from tapegrad.optim import lr_scheduler as S

Y = np.array([0.5, -1.0])
W0 = np.array([[0.3, -0.2, 0.8], [1.1, 0.4, -0.6]])
V0 = np.array([0.7, -1.3, 0.2])
N, M = 4, 5


def make_params(arrays=(W0, V0)):
    return [tg.Tensor(np.array(a, copy=True), requires_grad=True) for a in arrays]


def loss_fn(params, t):
    W, v = params
    shift = tg.Tensor(Y + 0.1 * np.sin(t))  # the "data" changes from step to step
    return ((W @ v - shift) ** 2).sum() + 0.1 * (v ** 4).sum()


def train(params, opt, sched, t0, steps):
    for t in range(t0, t0 + steps):
        def closure(t=t):
            opt.zero_grad()
            loss = loss_fn(params, t)
            if not isinstance(opt, optim.Newton):  # Newton differentiates the loss itself
                loss.backward()
            return loss
        loss = opt.step(closure)
        if isinstance(sched, S.ReduceLROnPlateau):
            sched.step(loss.item())
        elif sched is not None:
            sched.step()


OPTIMIZERS = {
    "sgd": lambda p: optim.SGD(p, lr=0.02),
    "sgd-nesterov-wd": lambda p: optim.SGD(p, lr=0.02, momentum=0.9, nesterov=True,
                                           weight_decay=1e-3),
    "sgd-groups": lambda p: optim.SGD([{"params": p[:1], "momentum": 0.5},
                                       {"params": p[1:], "lr": 0.05}], lr=0.02),
    "adagrad": lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01),
    "rmsprop-centered-momentum": lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5,
                                                         centered=True),
    "adam": lambda p: optim.Adam(p, lr=0.05),
    "adam-amsgrad-nobc": lambda p: optim.Adam(p, lr=0.05, amsgrad=True,
                                              bias_correction=False),
    "adamw": lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.1),
    "lbfgs": lambda p: optim.LBFGS(p, lr=0.5, max_iter=3, history_size=2),
    "lbfgs-strong-wolfe": lambda p: optim.LBFGS(p, max_iter=3, line_search_fn="strong_wolfe"),
    "bfgs": lambda p: optim.BFGS(p, max_iter=2),
    "cg": lambda p: optim.ConjugateGradient(p, max_iter=2, restart=3),
    "newton-damped": lambda p: optim.Newton(p, damping=0.5),
    "newton-adaptive": lambda p: optim.Newton(p, damping=1.0, adaptive=True),
}

SCHEDULERS = {
    "none": lambda o: None,
    "step": lambda o: S.StepLR(o, step_size=3, gamma=0.5),
    "exponential": lambda o: S.ExponentialLR(o, gamma=0.9),
    "linear": lambda o: S.LinearLR(o, start_factor=0.5, total_iters=6),
    "cosine": lambda o: S.CosineAnnealingLR(o, T_max=7, eta_min=1e-3),
    "power": lambda o: S.PowerLR(o, s=2.0, c=-0.5),
    "plateau": lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=0, threshold=0.5),
    "lambda": lambda o: S.LambdaLR(o, lambda t: 0.8 ** t * (1 + t % 2)),
    "multistep": lambda o: S.MultiStepLR(o, milestones=[2, 5, 7], gamma=0.5),
    "constant": lambda o: S.ConstantLR(o, factor=0.25, total_iters=6),
    # warmup, then cosine from the milestone (t = 3) on: the save at N = 4 is past it
    "sequential": lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3),
                                              S.CosineAnnealingLR(o, T_max=6)], milestones=[3]),
    "polynomial": lambda o: S.PolynomialLR(o, total_iters=7, power=1.5),
    "warm-restarts": lambda o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2, eta_min=1e-3),
    # these two cycle Adam's beta1 as well
    "cyclic": lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                   mode="exp_range", gamma=0.9),
    "one-cycle": lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=N + M),
    # the save at N = 4 is the second milestone itself
    "sequential-3": lambda o: S.SequentialLR(o, [S.ConstantLR(o, factor=0.5, total_iters=2),
                                                S.ExponentialLR(o, gamma=0.8),
                                                S.StepLR(o, step_size=2)], milestones=[2, 4]),
}


def check_resume(make_opt, make_sched, tmp_path):
    params = make_params()
    opt = make_opt(params)
    sched = make_sched(opt)
    train(params, opt, sched, 0, N + M)
    straight = [p.numpy().copy() for p in params]

    params = make_params()
    opt = make_opt(params)
    sched = make_sched(opt)
    train(params, opt, sched, 0, N)
    path = tmp_path / "ckpt.npz"
    tg.save({"params": [p.numpy() for p in params], "optimizer": opt.state_dict(),
             "scheduler": sched.state_dict() if sched else {}}, path)
    del params, opt, sched

    ckpt = tg.load(path)
    params = make_params([p.numpy() for p in ckpt["params"]])
    opt = make_opt(params)
    sched = make_sched(opt)
    opt.load_state_dict(ckpt["optimizer"])
    if sched:
        sched.load_state_dict(ckpt["scheduler"])
    train(params, opt, sched, N, M)
    for a, b in zip(straight, params):
        assert np.array_equal(a, b.numpy()), (a, b.numpy())
    return opt


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_resumes_bit_for_bit(name, tmp_path):
    check_resume(OPTIMIZERS[name], SCHEDULERS["none"], tmp_path)


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_every_scheduler_resumes_bit_for_bit(name, tmp_path):
    check_resume(OPTIMIZERS["adam"], SCHEDULERS[name], tmp_path)


@pytest.mark.parametrize("name", ["cyclic", "one-cycle"])
def test_momentum_cycling_resumes_bit_for_bit_with_sgd_momentum(name, tmp_path):
    opt = check_resume(OPTIMIZERS["sgd-nesterov-wd"], SCHEDULERS[name], tmp_path)
    assert opt.param_groups[0]["momentum"] != 0.9  # the schedule set it


STATEFUL = sorted(set(OPTIMIZERS) - {"sgd", "newton-damped"})


@pytest.mark.parametrize("name", STATEFUL)
def test_resume_without_the_state_would_differ(name):
    """Continuing with a fresh optimizer (no load_state_dict) changes the result, so the
    bit-for-bit test above would notice a state_dict that lost something."""
    params = make_params()
    opt = OPTIMIZERS[name](params)
    train(params, opt, None, 0, N + M)
    straight = [p.numpy().copy() for p in params]
    params = make_params()
    train(params, OPTIMIZERS[name](params), None, 0, N)
    train(params, OPTIMIZERS[name](params), None, N, M)
    assert not all(np.array_equal(a, b.numpy()) for a, b in zip(straight, params))


def test_state_dict_is_a_deep_copy():
    params = make_params()
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    train(params, opt, None, 0, 2)
    sd = opt.state_dict()
    saved = sd["state"][1]["momentum_buffer"].copy()
    train(params, opt, None, 2, 2)
    assert np.array_equal(sd["state"][1]["momentum_buffer"], saved)
    sd["param_groups"][0]["lr"] = 123.0
    assert opt.param_groups[0]["lr"] == 0.1


def test_failed_load_changes_nothing():
    params = make_params()
    opt = optim.Adam(params, lr=0.05)
    train(params, opt, None, 0, 2)
    before = opt.state_dict()
    bad = opt.state_dict()
    bad["state"][1]["exp_avg"] = np.zeros(7)
    bad["param_groups"][0]["lr"] = 1.0
    with pytest.raises(ValueError, match="exp_avg"):
        opt.load_state_dict(bad)
    other = optim.Adam(make_params()[:1], lr=0.05)
    with pytest.raises(ValueError, match="2 params in the state, 1 here"):
        other.load_state_dict(before)
    bad = opt.state_dict()
    bad["param_groups"][0]["betas"] = (0.9, 2.0)
    with pytest.raises(ValueError, match="betas"):
        opt.load_state_dict(bad)
    bad = opt.state_dict()
    bad["state"][0]["exp_avg_sq"] = bad["state"][0]["exp_avg_sq"].astype(np.float32)
    with pytest.raises(ValueError, match="exp_avg_sq' is float32"):
        opt.load_state_dict(bad)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for i in before["state"]:
        for k, v in before["state"][i].items():
            assert np.array_equal(v, after["state"][i][k])


def test_closure_optimizer_load_checks_sizes():
    params = make_params()
    opt = optim.LBFGS(params, max_iter=3)
    train(params, opt, None, 0, 2)
    sd = opt.state_dict()
    small = optim.LBFGS(make_params()[1:])
    with pytest.raises(ValueError, match="does not fit 3 parameters"):
        small.load_state_dict({"state": sd["state"], "param_groups": [
            {**sd["param_groups"][0], "params": [0]}]})
    assert small.state == {}


def test_an_mlp_with_dropout_and_batchnorm_resumes_bit_for_bit(tmp_path):
    """Model + optimizer + scheduler + RNG (dropout masks, shuffling) saved with tg.save."""
    import tapegrad.nn as nn
    import tapegrad.nn.functional as F

    rng = np.random.default_rng(7)
    X = rng.standard_normal((32, 4))
    y = rng.integers(0, 3, 32)

    def build(seed):
        tg.manual_seed(seed)
        model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(),
                              nn.Dropout(0.3), nn.Linear(16, 3))
        model.double()
        opt = optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
        return model, opt, S.CosineAnnealingLR(opt, T_max=8)

    def run(model, opt, sched, steps):
        for _ in range(steps):
            idx = tg.random.generator().permutation(32)[:8]
            opt.zero_grad()
            loss = F.cross_entropy(model(tg.Tensor(X[idx])), tg.Tensor(y[idx]))
            loss.backward()
            opt.step()
            sched.step()

    model, opt, sched = build(0)
    run(model, opt, sched, N + M)
    straight = {k: v.numpy().copy() for k, v in model.state_dict().items()}

    model, opt, sched = build(0)
    run(model, opt, sched, N)
    tg.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
             "scheduler": sched.state_dict(), "rng": tg.get_rng_state()}, tmp_path / "c.npz")
    ckpt = tg.load(tmp_path / "c.npz")
    model, opt, sched = build(99)  # different initial weights and generator
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["scheduler"])
    tg.set_rng_state(ckpt["rng"])
    run(model, opt, sched, M)
    resumed = {k: v.numpy() for k, v in model.state_dict().items()}
    assert resumed.keys() == straight.keys()
    for k in straight:
        assert np.array_equal(straight[k], resumed[k]), k
