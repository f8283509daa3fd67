"""LR schedules against their closed forms (notes 000, "Learning Rate Scheduling")."""

import math

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.optim as optim
from tapegrad.optim import lr_scheduler as S

T = 20


def make_opt(lr=0.5, lr2=None):
    a = tg.Tensor(np.array([1.0]), requires_grad=True)
    b = tg.Tensor(np.array([1.0]), requires_grad=True)
    if lr2 is None:
        return optim.SGD([a, b], lr=lr)
    return optim.SGD([{"params": [a]}, {"params": [b], "lr": lr2}], lr=lr)


def rates(opt, sched, steps=T):
    """The lr of every group at t = 0 .. steps-1 (t = 0 is before any sched.step())."""
    out = []
    for _ in range(steps):
        out.append([g["lr"] for g in opt.param_groups])
        assert sched.get_last_lr() == out[-1]
        sched.step()
    return np.array(out)


def expected(f, lrs=(0.5, 0.2), steps=T):
    return np.array([[f(lr0, t) for lr0 in lrs] for t in range(steps)])


def test_step_lr():
    opt = make_opt(0.5, 0.2)
    got = rates(opt, S.StepLR(opt, step_size=3, gamma=0.5))
    np.testing.assert_allclose(got, expected(lambda lr, t: lr * 0.5 ** (t // 3)), rtol=1e-15)


def test_exponential_lr_is_the_lectures_c_to_the_t_over_s():
    c, s = 0.1, 8.0
    opt = make_opt(0.5, 0.2)
    got = rates(opt, S.ExponentialLR(opt, gamma=c ** (1 / s)))
    np.testing.assert_allclose(got, expected(lambda lr, t: lr * c ** (t / s)), rtol=1e-12)


def test_linear_lr_is_the_lectures_linear_schedule_then_held():
    K = 8
    opt = make_opt(0.5, 0.2)
    got = rates(opt, S.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=K))

    def lecture(lr, t):  # η(τ) = (1 − τ/K)η0 + (τ/K)η_K up to K, then η_K
        eta0, etaK = lr, 0.1 * lr
        return (1 - t / K) * eta0 + (t / K) * etaK if t <= K else etaK
    np.testing.assert_allclose(got, expected(lecture), rtol=1e-12)
    assert got[K:, 0].tolist() == [pytest.approx(0.05)] * (T - K)


def test_linear_lr_warmup_defaults():
    opt = make_opt(0.3)
    got = rates(opt, S.LinearLR(opt), 8)[:, 0]
    np.testing.assert_allclose(got[:6], 0.3 * np.array([1 / 3, 7 / 15, 9 / 15, 11 / 15,
                                                         13 / 15, 1.0]), rtol=1e-12)
    assert got[7] == pytest.approx(0.3)


def test_cosine_annealing():
    opt = make_opt(0.5, 0.2)
    got = rates(opt, S.CosineAnnealingLR(opt, T_max=10, eta_min=0.01))
    want = expected(lambda lr, t: 0.01 + (lr - 0.01) * (1 + math.cos(math.pi * t / 10)) / 2)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got[10, 0] == pytest.approx(0.01) and got[0, 0] == 0.5


def test_power_lr_is_the_lectures_power_law():
    opt = make_opt(0.5, 0.2)
    got = rates(opt, S.PowerLR(opt, s=4.0, c=-0.75))
    np.testing.assert_allclose(got, expected(lambda lr, t: lr * (1 + t / 4) ** -0.75),
                               rtol=1e-12)


def test_scheduler_drives_the_update():
    w = tg.Tensor(np.array([0.0]), requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    sched = S.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(4):
        opt.zero_grad()
        (w * -1.0).sum().backward()  # gradient −1: each step adds the current lr
        opt.step()
        sched.step()
    assert w.item() == pytest.approx(1 + 0.5 + 0.25 + 0.125)


def test_reduce_on_plateau_min_mode():
    opt = make_opt(1.0)
    sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=2, threshold=0.1, cooldown=1,
                                min_lr=0.2)
    metrics = [10, 9.5, 9.4, 9.3, 5, 5, 5, 5, 5, 5, 5, 5, 5]
    lrs = []
    for m in metrics:
        sched.step(m)
        lrs.append(sched.get_last_lr()[0])
    # hand trace: best = 10; 9.5, 9.4, 9.3 are not below 0.9·best -> 3 bad > patience 2 ->
    # lr 0.5, cooldown 1; 5 is better (best = 5) and the cooldown step resets the count;
    # three bad 5s -> 0.25, cooldown eats the next; three more bad -> 0.125, floored to 0.2
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2]


def test_reduce_on_plateau_max_abs():
    opt = make_opt(1.0)
    sched = S.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0,
                                threshold_mode="abs", threshold=0.5)
    for m in (1.0, 1.6, 1.9, 3.0):
        sched.step(tg.Tensor(np.array(m)))
    # 1.0 best, 1.6 better (> 1.5), 1.9 not (< 2.1) -> reduce, 3.0 better
    assert sched.get_last_lr()[0] == pytest.approx(0.1)


def test_reduce_on_plateau_reduces_a_group_added_later():
    # a number min_lr is the new group's floor too (PyTorch's rule); the new group was
    # once left at its rate for good
    opt = make_opt(1.0)
    sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=0, min_lr=0.1)
    sched.step(1.0)
    opt.add_param_group({"params": [tg.Tensor(np.array([1.0]), requires_grad=True)],
                         "lr": 0.8})
    got = []
    for _ in range(4):
        sched.step(2.0)  # never better: every step reduces
        got.append([g["lr"] for g in opt.param_groups])
    assert got == [[0.5, 0.4], [0.25, 0.2], [0.125, 0.1], [0.1, 0.1]]
    assert sched.get_last_lr() == [0.1, 0.1] and sched.min_lrs == [0.1, 0.1]


def test_reduce_on_plateau_with_a_min_lr_list_needs_a_floor_for_a_new_group():
    opt = make_opt(1.0)
    sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=0, min_lr=[0.1])
    sched.step(1.0)
    opt.add_param_group({"params": [tg.Tensor(np.array([1.0]), requires_grad=True)],
                         "lr": 0.8})
    before = sched.state_dict()
    with pytest.raises(ValueError, match="ReduceLROnPlateau.step: the optimizer has 2 param "
                                         "groups, min_lr gave floors for 1"):
        sched.step(2.0)
    assert sched.state_dict() == before
    assert [g["lr"] for g in opt.param_groups] == [1.0, 0.8]
    sched.min_lrs.append(0.5)
    sched.step(2.0)
    assert sched.get_last_lr() == [0.5, 0.5]


@pytest.mark.parametrize("make", [
    lambda o: S.StepLR(o, step_size=1, gamma=0.5),
    lambda o: S.LambdaLR(o, lambda t: 0.5 ** t),
    lambda o: S.CosineAnnealingLR(o, T_max=4),
    lambda o: S.SequentialLR(o, [S.ConstantLR(o, 0.5, 2), S.ExponentialLR(o, 0.9)], [2]),
    lambda o: S.OneCycleLR(o, 1.0, total_steps=10),
    lambda o: S.CosineAnnealingWarmRestarts(o, 2),
])
def test_a_schedule_refuses_a_group_added_after_it_was_made(make):
    # the new group has no initial rate in the schedule; it was once left at its rate
    opt = make_opt(1.0)
    sched = make(opt)
    sched.step()
    opt.add_param_group({"params": [tg.Tensor(np.array([1.0]), requires_grad=True)],
                         "lr": 0.8})
    before, lrs = sched.state_dict(), [g["lr"] for g in opt.param_groups]
    with pytest.raises(ValueError, match=r"\.step: the optimizer has 2 param groups, this "
                                         "schedule was made for 1"):
        sched.step()
    assert sched.state_dict() == before and [g["lr"] for g in opt.param_groups] == lrs
    fresh = make(opt)  # made after the group is in: it schedules both
    assert len(fresh.get_last_lr()) == 2


@pytest.mark.parametrize("metric, exc, match", [
    ("low", TypeError, "ReduceLROnPlateau.step: the metric must be a number.*'low'"),
    (None, TypeError, "ReduceLROnPlateau.step: the metric must be a number.*None"),
    (float("nan"), ValueError, "ReduceLROnPlateau.step: the metric is NaN"),
])
def test_reduce_on_plateau_bad_metric_changes_nothing(metric, exc, match):
    opt = make_opt(1.0)
    sched = S.ReduceLROnPlateau(opt, patience=0)
    sched.step(1.0)
    before = sched.state_dict()
    with pytest.raises(exc, match=match):
        sched.step(metric)
    assert sched.state_dict() == before and opt.param_groups[0]["lr"] == 1.0


@pytest.mark.parametrize("make, exc, match", [
    (lambda o: S.StepLR("not an optimizer", 3), TypeError, "str"),
    (lambda o: S.ReduceLROnPlateau(object()), TypeError, "object"),
    (lambda o: S.StepLR(o, step_size=0), ValueError, "step_size=0"),
    (lambda o: S.ExponentialLR(o, gamma=-0.5), ValueError, "gamma=-0.5"),
    (lambda o: S.LinearLR(o, start_factor=0.0), ValueError, "start_factor=0.0"),
    (lambda o: S.LinearLR(o, total_iters=0), ValueError, "total_iters=0"),
    (lambda o: S.CosineAnnealingLR(o, T_max=0), ValueError, "T_max=0"),
    (lambda o: S.PowerLR(o, s=2.0, c=0.5), ValueError, "c=0.5"),
    (lambda o: S.PowerLR(o, s=0.0, c=-1), ValueError, "s=0.0"),
    (lambda o: S.ReduceLROnPlateau(o, mode="mn"), ValueError, "mode='mn'"),
    (lambda o: S.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor=1.0"),
    (lambda o: S.ReduceLROnPlateau(o, patience=-1), ValueError, "patience=-1"),
])
def test_bad_scheduler_arguments(make, exc, match):
    opt = make_opt(0.5)
    with pytest.raises(exc, match=match):
        make(opt)
    assert opt.param_groups[0]["lr"] == 0.5 and "initial_lr" not in opt.param_groups[0]


@pytest.mark.parametrize("make", [lambda o: S.StepLR(o, 2),
                                  lambda o: S.ReduceLROnPlateau(o, patience=0)])
def test_scheduler_load_rejects_a_state_for_another_optimizer(make):
    # saved with one param group, loaded where there are two: refused, nothing changes
    one, two = make(make_opt(0.5)), make(make_opt(0.5, lr2=0.2))
    saved = one.state_dict()
    before = two.state_dict()
    with pytest.raises(ValueError, match="has 1 per-group rates, the optimizer has 2 param "
                                         "groups; nothing was loaded"):
        two.load_state_dict(saved)
    assert two.state_dict() == before
    with pytest.raises(ValueError, match="last_epoch='3'"):
        one.load_state_dict({**saved, "last_epoch": "3"})


def test_scheduler_load_rejects_wrong_keys():
    opt = make_opt()
    sched = S.StepLR(opt, 2)
    with pytest.raises(ValueError, match="expected keys"):
        sched.load_state_dict({"last_epoch": 3})
    assert sched.last_epoch == 0


def make_sequential(o):
    return S.SequentialLR(o, [S.LinearLR(o, start_factor=0.2, total_iters=3),
                              S.ExponentialLR(o, gamma=0.5)], milestones=[3])


SCHEDULES = {
    "StepLR": (lambda o: S.StepLR(o, step_size=2, gamma=0.5),
               lambda lr, t: lr * 0.5 ** (t // 2)),
    "ExponentialLR": (lambda o: S.ExponentialLR(o, gamma=0.8), lambda lr, t: lr * 0.8 ** t),
    "LinearLR": (lambda o: S.LinearLR(o, start_factor=0.25, total_iters=4),
                 lambda lr, t: lr * (0.25 + 0.75 * min(t, 4) / 4)),
    "CosineAnnealingLR": (lambda o: S.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
                          lambda lr, t: 0.01 + (lr - 0.01) * (1 + math.cos(math.pi * t / 6)) / 2),
    "PowerLR": (lambda o: S.PowerLR(o, s=2.0, c=-0.5), lambda lr, t: lr * (1 + t / 2) ** -0.5),
    "LambdaLR": (lambda o: S.LambdaLR(o, lambda t: 1 / (1 + t)), lambda lr, t: lr / (1 + t)),
    "MultiStepLR": (lambda o: S.MultiStepLR(o, [2, 5], gamma=0.5),
                    lambda lr, t: lr * 0.5 ** ((t >= 2) + (t >= 5))),
    "ConstantLR": (lambda o: S.ConstantLR(o, factor=0.5, total_iters=4),
                   lambda lr, t: lr * (0.5 if t < 4 else 1.0)),
    # the resume point (t = 3) is the milestone itself
    "SequentialLR": (make_sequential,
                     lambda lr, t: lr * (0.2 + 0.8 * t / 3 if t < 3 else 0.5 ** (t - 3))),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_resuming_with_the_scheduler_created_after_loading_the_optimizer(name):
    # PyTorch's resume order: load the optimizer, create the scheduler, load the scheduler.
    # The constructor sets the t = 0 rate; loading puts the saved rate (t = 3) back, so the
    # rates in use continue the closed form
    make, f = SCHEDULES[name]
    opt = make_opt(0.5, 0.2)
    sched = make(opt)
    for _ in range(3):
        sched.step()
    saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
    opt2 = make_opt(0.5, 0.2)
    opt2.load_state_dict(saved_opt)
    sched2 = make(opt2)
    sched2.load_state_dict(saved_sched)
    got = rates(opt2, sched2, steps=5)
    np.testing.assert_allclose(got, expected(f, steps=8)[3:], rtol=1e-15)


def test_reduce_on_plateau_load_puts_its_rates_into_the_optimizer():
    opt = make_opt(1.0)
    sched = S.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    for metric in (1.0, 2.0, 3.0):
        sched.step(metric)
    saved = sched.state_dict()
    opt2 = make_opt(1.0)
    sched2 = S.ReduceLROnPlateau(opt2, patience=0, factor=0.5)
    sched2.load_state_dict(saved)
    assert [g["lr"] for g in opt2.param_groups] == [0.25] == sched2.get_last_lr()


@pytest.mark.parametrize("make, key, value, match", [
    (lambda o: S.StepLR(o, 3), "step_size", 0, "step_size=0"),
    (lambda o: S.StepLR(o, 3), "gamma", "x", "gamma must be a number, got 'x'"),
    (lambda o: S.ExponentialLR(o, 0.9), "gamma", -1.0, "gamma=-1.0"),
    (lambda o: S.LinearLR(o), "total_iters", 0, "total_iters=0"),
    (lambda o: S.LinearLR(o), "start_factor", 0.0, "start_factor=0.0"),
    (lambda o: S.CosineAnnealingLR(o, 5), "T_max", 2.5, "T_max=2.5"),
    (lambda o: S.PowerLR(o, 2.0, -1.0), "c", 1.0, "c=1.0"),
    (lambda o: S.StepLR(o, 3), "_last_lr", [0.1, "x"], "_last_lr must be a number"),
    (lambda o: S.StepLR(o, 3), "base_lrs", [0.1, -0.5], "base_lrs=-0.5"),
    (lambda o: S.ReduceLROnPlateau(o), "factor", 2.0, "factor=2.0"),
    (lambda o: S.ReduceLROnPlateau(o), "mode", "mn", "mode='mn'"),
    (lambda o: S.ReduceLROnPlateau(o), "patience", -1, "patience=-1"),
    (lambda o: S.ReduceLROnPlateau(o), "num_bad_epochs", "2", "num_bad_epochs='2'"),
    (lambda o: S.ReduceLROnPlateau(o), "best", float("nan"), "best=nan"),
    (lambda o: S.ReduceLROnPlateau(o), "_last_lr", [0.1], "_last_lr has 1 per-group rates"),
])
def test_scheduler_load_checks_settings_like_the_constructor(make, key, value, match):
    # an invalid loaded setting is refused at once (not by a ZeroDivisionError at the next
    # step) and nothing changes, in the scheduler or the optimizer
    opt = make_opt(0.5, 0.2)
    sched = make(opt)
    before, lrs = sched.state_dict(), [g["lr"] for g in opt.param_groups]
    with pytest.raises((ValueError, TypeError), match=match):
        sched.load_state_dict({**before, key: value})
    assert sched.state_dict() == before and [g["lr"] for g in opt.param_groups] == lrs


def test_lambda_lr_one_function_or_one_per_group():
    opt = make_opt(0.5, 0.2)
    got = rates(opt, S.LambdaLR(opt, lambda t: 0.9 ** t))
    np.testing.assert_allclose(got, expected(lambda lr, t: lr * 0.9 ** t), rtol=1e-15)
    opt = make_opt(0.5, 0.2)
    got = rates(opt, S.LambdaLR(opt, [lambda t: 1 / (t + 1), lambda t: 2.0 if t < 3 else 0.5]),
                steps=6)
    np.testing.assert_allclose(got, [[0.5, 0.4], [0.25, 0.4], [0.5 / 3, 0.4],
                                     [0.125, 0.1], [0.1, 0.1], [0.5 / 6, 0.1]], rtol=1e-15)


class Warmup:
    """A callable object: its attributes are state, saved by LambdaLR.state_dict()."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, t):
        return min(1.0, (t + 1) / self.steps)


def test_lambda_lr_state_dict_keeps_objects_not_functions(tmp_path):
    opt = make_opt(0.5, 0.2)
    sched = S.LambdaLR(opt, [Warmup(4), lambda t: 0.5 ** t])
    sched.step()
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"steps": 4}, None]
    tg.save(state, tmp_path / "s.npz")
    opt2 = make_opt(0.5, 0.2)
    sched2 = S.LambdaLR(opt2, [Warmup(10), lambda t: 0.5 ** t])
    sched2.load_state_dict(tg.load(tmp_path / "s.npz"))
    assert sched2.lr_lambdas[0].steps == 4 and sched2.last_epoch == 1
    sched.step()
    sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr() == [0.5 * 3 / 4, 0.2 * 0.25]


def test_multistep_lr_by_hand():
    opt = make_opt(0.8, 0.2)
    got = rates(opt, S.MultiStepLR(opt, milestones=[6, 2, 6], gamma=0.5), steps=8)
    # any order (sorted, as PyTorch counts them); 6 listed twice multiplies twice
    np.testing.assert_array_equal(got[:, 0], [0.8, 0.8, 0.4, 0.4, 0.4, 0.4, 0.1, 0.1])
    np.testing.assert_array_equal(got[:, 1], got[:, 0] / 4)


def test_constant_lr_by_hand():
    opt = make_opt(0.6)
    got = rates(opt, S.ConstantLR(opt, factor=0.5, total_iters=3), steps=6)[:, 0]
    assert got.tolist() == [0.3, 0.3, 0.3, 0.6, 0.6, 0.6]


def test_sequential_lr_warmup_then_cosine_matches_the_closed_forms():
    # LinearLR for t < 5, then CosineAnnealingLR restarted at its own step 0 at t = 5
    opt = make_opt(0.5, 0.2)
    warmup = S.LinearLR(opt, start_factor=0.1, total_iters=5)
    cosine = S.CosineAnnealingLR(opt, T_max=10, eta_min=0.01)
    sched = S.SequentialLR(opt, [warmup, cosine], milestones=[5])
    got = rates(opt, sched)

    def f(lr, t):
        if t < 5:
            return lr * (0.1 + 0.9 * t / 5)
        return 0.01 + (lr - 0.01) * (1 + math.cos(math.pi * (t - 5) / 10)) / 2
    np.testing.assert_allclose(got, expected(f), rtol=1e-15)
    assert got[4, 0] == pytest.approx(0.41) and got[5, 0] == 0.5  # the milestone: cosine at 0
    assert (warmup.last_epoch, cosine.last_epoch) == (4, T - 5)  # each counts its own steps
    assert cosine.get_last_lr() == sched.get_last_lr()


def test_sequential_lr_three_phases_by_hand():
    opt = make_opt(1.0)
    sched = S.SequentialLR(opt, [S.ConstantLR(opt, factor=0.1, total_iters=2),
                                 S.StepLR(opt, step_size=2, gamma=0.5),
                                 S.LambdaLR(opt, lambda t: 1 / (t + 1))], milestones=[3, 8])
    got = rates(opt, sched, steps=11)[:, 0]
    # ConstantLR t = 0, 1, 2 (1.0 from its total_iters); StepLR from 0 at t = 3..7;
    # LambdaLR from 0 at t = 8
    assert got.tolist() == [0.1, 0.1, 1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 1.0, 0.5, 1 / 3]


def test_scheduler_step_that_fails_changes_nothing():
    opt = make_opt(0.5)
    sched = S.LambdaLR(opt, lambda t: [1.0, 0.5, "oops"][t])
    sched.step()
    before = sched.state_dict()
    with pytest.raises(TypeError, match=r"LambdaLR: lr_lambda\(2\) must be a number, got 'oops'"):
        sched.step()
    assert sched.state_dict() == before and opt.param_groups[0]["lr"] == 0.25


@pytest.mark.parametrize("make, exc, match", [
    (lambda o: S.LambdaLR(o, 0.5), TypeError, "LambdaLR: lr_lambda must be a function.*float"),
    (lambda o: S.LambdaLR(o, [abs, abs, abs]), ValueError, "LambdaLR: expected 1 lr_lambdas.*3"),
    (lambda o: S.LambdaLR(o, lambda t: -1.0), ValueError, r"LambdaLR: invalid lr_lambda\(0\)"),
    (lambda o: S.LambdaLR(None, abs), TypeError, "LambdaLR: expected a tapegrad optimizer"),
    (lambda o: S.MultiStepLR(o, 3), TypeError, "MultiStepLR: milestones must be a list"),
    (lambda o: S.MultiStepLR(o, [2, -1]), ValueError, "MultiStepLR: invalid milestone=-1"),
    (lambda o: S.MultiStepLR(o, [2], gamma=-0.1), ValueError, "MultiStepLR: invalid gamma"),
    (lambda o: S.ConstantLR(o, factor=1.5), ValueError, "ConstantLR: invalid factor=1.5"),
    (lambda o: S.ConstantLR(o, total_iters=0), ValueError, "ConstantLR: invalid total_iters=0"),
    (lambda o: S.SequentialLR(o, [], []), ValueError, "SequentialLR: expected a non-empty"),
    (lambda o: S.SequentialLR("opt", [], []), TypeError, "SequentialLR: expected a tapegrad"),
])
def test_bad_new_scheduler_arguments(make, exc, match):
    opt = make_opt(0.5)
    with pytest.raises(exc, match=match):
        make(opt)
    assert opt.param_groups[0]["lr"] == 0.5 and "initial_lr" not in opt.param_groups[0]


@pytest.mark.parametrize("schedulers, milestones, exc, match", [
    (lambda o: [S.StepLR(o, 2), S.ReduceLROnPlateau(o)], [2], ValueError,
     r"SequentialLR: schedulers\[1\] is a ReduceLROnPlateau"),
    (lambda o: [S.StepLR(o, 2), "cosine"], [2], TypeError,
     r"SequentialLR: schedulers\[1\] is str, not an LR scheduler"),
    (lambda o: [S.StepLR(make_opt(), 2)], [], ValueError,
     r"SequentialLR: schedulers\[0\] \(StepLR\) drives another optimizer"),
    (lambda o: [S.StepLR(o, 2), S.StepLR(o, 3)], [2, 4], ValueError,
     "SequentialLR: 2 schedulers need 1 milestones, got 2"),
    (lambda o: [S.StepLR(o, 2)] * 3, [4, 4], ValueError,
     r"SequentialLR: milestones must increase, got \[4, 4\]"),
    (lambda o: [S.StepLR(o, 2)] * 2, [0], ValueError, "SequentialLR: invalid milestone=0"),
    (lambda o: [S.StepLR(o, 2)] * 2, 3, TypeError, "SequentialLR: milestones must be a list"),
])
def test_bad_sequential_lr_arguments_change_nothing(schedulers, milestones, exc, match):
    opt = make_opt(0.5)
    scheds = schedulers(opt)
    before = [s.state_dict() if hasattr(s, "state_dict") else s for s in scheds]
    lrs = [g["lr"] for g in opt.param_groups]
    with pytest.raises(exc, match=match):
        S.SequentialLR(opt, scheds, milestones)
    assert [s.state_dict() if hasattr(s, "state_dict") else s for s in scheds] == before
    assert [g["lr"] for g in opt.param_groups] == lrs


@pytest.mark.parametrize("make, key, value, match", [
    (lambda o: S.MultiStepLR(o, [2]), "milestones", [-3], "milestone=-3"),
    (lambda o: S.MultiStepLR(o, [2]), "milestones", 2, "milestones must be a list"),
    (lambda o: S.ConstantLR(o), "factor", 2.0, "factor=2.0"),
    (lambda o: S.LambdaLR(o, abs), "lr_lambdas", [None], "lr_lambdas must hold 2 entries"),
    (lambda o: S.LambdaLR(o, abs), "lr_lambdas", [{"a": 1}, None],
     r"lr_lambdas\[0\] must be None or the attribute dict of a callable object"),
    (make_sequential, "_milestones", [0], "milestone=0"),
    (make_sequential, "_milestones", [2, 4], "the state has 2 milestones, this SequentialLR 1"),
    (make_sequential, "_schedulers", [{}], "_schedulers must hold 2 states"),
])
def test_new_scheduler_load_checks_settings_like_the_constructor(make, key, value, match):
    opt = make_opt(0.5, 0.2)
    sched = make(opt)
    sched.step()
    before, lrs = sched.state_dict(), [g["lr"] for g in opt.param_groups]
    with pytest.raises((ValueError, TypeError), match=match):
        sched.load_state_dict({**before, key: value})
    assert sched.state_dict() == before and [g["lr"] for g in opt.param_groups] == lrs


def test_sequential_lr_load_checks_every_scheduler_first():
    # the second scheduler's state is bad: the first one's is not loaded either
    opt = make_opt(0.5, 0.2)
    sched = make_sequential(opt)
    for _ in range(4):
        sched.step()
    saved = sched.state_dict()
    bad = {**saved, "_schedulers": [saved["_schedulers"][0],
                                    {**saved["_schedulers"][1], "gamma": -1.0}]}
    fresh = make_sequential(make_opt(0.5, 0.2))
    before = fresh.state_dict()
    with pytest.raises(ValueError, match=r"_schedulers\[1\] \(ExponentialLR\): invalid "
                                         "gamma=-1.0"):
        fresh.load_state_dict(bad)
    assert fresh.state_dict() == before
    fresh.load_state_dict(saved)
    assert fresh.state_dict() == saved


def test_a_schedule_without_a_formula_is_a_type_error_that_changes_nothing():
    """LRScheduler itself, or a subclass defining neither _lr_at nor _lrs_at, cannot be
    made (a TypeError as for an abstract class, not a bare NotImplementedError), and the
    optimizer's groups are left as they were (no rate, no 'initial_lr')."""
    opt = optim.SGD([tg.zeros(1, requires_grad=True)], lr=0.1)
    groups = [dict(g) for g in opt.param_groups]
    for cls in (S.LRScheduler, type("NoFormula", (S.LRScheduler,), {})):
        with pytest.raises(TypeError, match=f"{cls.__name__}: a schedule must define _lr_at"):
            cls(opt)
        assert opt.param_groups == groups


# ------------------------------------------------ PolynomialLR, SGDR, CyclicLR, OneCycleLR

def make_momentum_opt(kind="sgd", lr=0.5, lr2=0.2):
    a = tg.Tensor(np.array([1.0]), requires_grad=True)
    b = tg.Tensor(np.array([1.0]), requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": lr2}]
    if kind == "sgd":
        return optim.SGD(groups, lr=lr, momentum=0.9)
    if kind == "adam":
        return optim.Adam(groups, lr=lr, betas=(0.9, 0.99))
    return optim.Adagrad(groups, lr=lr)


def momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def rates_and_momenta(opt, sched, steps):
    lrs, ms = [], []
    for k in range(steps):
        if k:
            sched.step()
        lrs.append([g["lr"] for g in opt.param_groups])
        ms.append(momenta(opt))
    return np.array(lrs), np.array(ms)


def test_polynomial_lr():
    # PyTorch's docs: lr = lr0 · (1 − min(t, K)/K)^power, 0 from K on
    opt = make_opt(0.5, 0.2)
    got = rates(opt, S.PolynomialLR(opt, total_iters=8, power=0.9))
    np.testing.assert_allclose(got, expected(lambda lr, t: lr * (1 - min(t, 8) / 8) ** 0.9),
                               rtol=1e-15)
    assert got[8:].tolist() == [[0.0, 0.0]] * (T - 8)
    opt = make_opt(0.6)
    assert rates(opt, S.PolynomialLR(opt, total_iters=3), 5)[:, 0].tolist() == pytest.approx(
        [0.6, 0.4, 0.2, 0.0, 0.0])


def sgdr(lr, t, T_0, T_mult, eta_min):
    """SGDR by hand: walk the cycles T_0, T_0·T_mult, ... to find T_cur and T_i."""
    T_i = T_0
    while t >= T_i:
        t, T_i = t - T_i, T_i * T_mult
    return eta_min + (lr - eta_min) * (1 + math.cos(math.pi * t / T_i)) / 2


@pytest.mark.parametrize("T_0, T_mult", [(5, 1), (2, 2), (3, 3)])
def test_cosine_annealing_warm_restarts(T_0, T_mult):
    opt = make_opt(0.5, 0.2)
    got = rates(opt, S.CosineAnnealingWarmRestarts(opt, T_0, T_mult, eta_min=0.01), 40)
    np.testing.assert_allclose(got, expected(lambda lr, t: sgdr(lr, t, T_0, T_mult, 0.01),
                                             steps=40), rtol=1e-12)
    # each restart is back at lr0: t = 5, 10, 15 (T_mult 1); 2, 6, 14, 30 (T_mult 2)
    restarts = [t for t in range(1, 40) if got[t, 0] == 0.5]
    assert restarts == {1: list(range(5, 40, 5)), 2: [2, 6, 14, 30], 3: [3, 12, 39]}[T_mult]


def test_warm_restarts_fractional_epochs_as_pytorch_documents():
    # sched.step(epoch + i / iters) inside each epoch; a later step() goes on by one
    opt = make_opt(0.5, 0.2)
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    for epoch in range(7):
        for i in range(4):
            sched.step(epoch + i / 4)
            want = [sgdr(lr, epoch + i / 4, 2, 2, 0.0) for lr in (0.5, 0.2)]
            np.testing.assert_allclose(sched.get_last_lr(), want, rtol=1e-12)
            assert sched.last_epoch == epoch
    assert [g["lr"] for g in opt.param_groups] == sched.get_last_lr()
    sched.step()  # from 6.75 to 7.75
    np.testing.assert_allclose(sched.get_last_lr(), [sgdr(0.5, 7.75, 2, 2, 0.0),
                                                     sgdr(0.2, 7.75, 2, 2, 0.0)], rtol=1e-12)
    assert sched.last_epoch == 7
    sched.step(3)  # a jump back: whole epochs again
    np.testing.assert_allclose(sched.get_last_lr()[0], sgdr(0.5, 3, 2, 2, 0.0), rtol=1e-15)
    sched.step()
    np.testing.assert_allclose(sched.get_last_lr()[0], sgdr(0.5, 4, 2, 2, 0.0), rtol=1e-15)


def test_warm_restarts_an_integer_epoch_at_a_restart_restarts():
    # 121 = 1 + 3 + 9 + 27 + 81 is a restart for T_0 = 1, T_mult = 3 (PyTorch's step(121)
    # finds the cycle by a floating-point log, which lands in the previous one there)
    opt = make_opt(1.0)
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=1, T_mult=3)
    sched.step(121)
    assert sched.get_last_lr() == [1.0]
    sched.step(120)
    assert sched.get_last_lr()[0] == pytest.approx((1 + math.cos(math.pi * 80 / 81)) / 2)


def test_warm_restarts_bad_epoch_changes_nothing():
    opt = make_opt(0.5)
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=3)
    sched.step(1.5)
    before = sched.state_dict()
    for bad, exc in ((-1, ValueError), ("2", TypeError), (float("nan"), ValueError)):
        with pytest.raises(exc, match="CosineAnnealingWarmRestarts.step: .*epoch"):
            sched.step(bad)
        assert sched.state_dict() == before and opt.param_groups[0]["lr"] == before["_last_lr"][0]


def cyclic(t, base, peak, up, down, mode="triangular", gamma=1.0):
    """CLR by hand: linear up over `up` steps, down over `down`, the amplitude scaled."""
    n, r = divmod(t, up + down)  # cycle n (from 0), step r inside it
    s = r / up if r <= up else 1 - (r - up) / down
    a = {"triangular": 1.0, "triangular2": 0.5 ** n, "exp_range": gamma ** t}[mode]
    return base + (peak - base) * s * a


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_lr_and_its_momentum(mode):
    opt = make_momentum_opt("sgd")
    sched = S.CyclicLR(opt, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, step_size_down=5,
                       mode=mode, gamma=0.97, base_momentum=[0.8, 0.7], max_momentum=0.95)
    lrs, ms = rates_and_momenta(opt, sched, 30)
    for k, (base, bm) in enumerate(((0.01, 0.8), (0.02, 0.7))):
        want = [cyclic(t, base, 0.1, 3, 5, mode, 0.97) for t in range(30)]
        np.testing.assert_allclose(lrs[:, k], want, rtol=1e-12)
        # the momentum goes the other way: max_momentum at base_lr, base_momentum at max_lr
        s = [(cyclic(t, base, 0.1, 3, 5, mode, 0.97) - base) / (0.1 - base) for t in range(30)]
        np.testing.assert_allclose(ms[:, k], [0.95 - (0.95 - bm) * x for x in s], rtol=1e-12)
    assert lrs[3, 0] == pytest.approx(0.1 if mode != "exp_range" else 0.01 + 0.09 * 0.97 ** 3)


def test_cyclic_lr_triangular_by_hand():
    opt = make_opt(1.0)
    sched = S.CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2, cycle_momentum=False)
    got = rates(opt, sched, 9)[:, 0]
    np.testing.assert_allclose(got, [0.1, 0.3, 0.5, 0.3, 0.1, 0.3, 0.5, 0.3, 0.1], rtol=1e-15)
    assert opt.param_groups[0]["momentum"] == 0  # left alone without cycle_momentum


def one_cycle(t, peak, T, pct=0.3, strategy="cos", div=25.0, final_div=1e4, three=False,
              low_m=0.85, high_m=0.95):
    """1cycle by hand from PyTorch's description: (lr, momentum) at step t."""
    initial = peak / div
    if three:
        bounds = [0, pct * T - 1, 2 * pct * T - 2, T - 1]
        lr_ends = [initial, peak, initial, initial / final_div]
        m_ends = [high_m, low_m, high_m, high_m]
    else:
        bounds = [0, pct * T - 1, T - 1]
        lr_ends = [initial, peak, initial / final_div]
        m_ends = [high_m, low_m, high_m]
    i = next((k for k in range(len(bounds) - 2) if t <= bounds[k + 1]), len(bounds) - 2)
    p = (t - bounds[i]) / (bounds[i + 1] - bounds[i])
    if strategy == "cos":
        w = (1 - math.cos(math.pi * p)) / 2  # 0 → 1 along the phase
    else:
        w = p
    return [a + (b - a) * w for a, b in ((lr_ends[i], lr_ends[i + 1]),
                                          (m_ends[i], m_ends[i + 1]))]


@pytest.mark.parametrize("strategy, three", [("cos", False), ("linear", False),
                                             ("cos", True), ("linear", True)])
def test_one_cycle_lr_per_group_max_lr_and_momentum(strategy, three):
    opt = make_momentum_opt("sgd")
    sched = S.OneCycleLR(opt, max_lr=[1.0, 0.4], total_steps=50, anneal_strategy=strategy,
                         three_phase=three)
    lrs, ms = rates_and_momenta(opt, sched, 50)
    for k, peak in enumerate((1.0, 0.4)):
        want = np.array([one_cycle(t, peak, 50, strategy=strategy, three=three)
                         for t in range(50)])
        # (the hand formula a + (b − a)·w cancels near min_lr: an absolute bound there)
        np.testing.assert_allclose(lrs[:, k], want[:, 0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ms[:, k], want[:, 1], rtol=1e-12)
    assert lrs[0].tolist() == pytest.approx([1.0 / 25, 0.4 / 25])
    assert lrs[14].tolist() == pytest.approx([1.0, 0.4])  # the peak: pct_start·T − 1
    assert ms[14].tolist() == pytest.approx([0.85, 0.85])
    assert lrs[49].tolist() == pytest.approx([1.0 / 25 / 1e4, 0.4 / 25 / 1e4])
    assert ms[49].tolist() == pytest.approx([0.95, 0.95])


def test_one_cycle_lr_cycles_adams_beta1_and_keeps_beta2():
    opt = make_momentum_opt("adam")
    sched = S.OneCycleLR(opt, max_lr=0.1, epochs=4, steps_per_epoch=5, pct_start=0.25,
                         base_momentum=0.8, max_momentum=0.9)
    lrs, ms = rates_and_momenta(opt, sched, 20)
    want = np.array([one_cycle(t, 0.1, 20, pct=0.25, low_m=0.8, high_m=0.9)
                     for t in range(20)])
    np.testing.assert_allclose(lrs, np.repeat(want[:, :1], 2, axis=1), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ms, np.repeat(want[:, 1:], 2, axis=1), rtol=1e-12)
    assert all(isinstance(g["betas"], tuple) and g["betas"][1] == 0.99
               for g in opt.param_groups)


def test_one_cycle_lr_ends_after_total_steps():
    # the constructor is step 0; step() total_steps times is allowed, once more raises
    opt = make_momentum_opt("sgd")
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy="linear")
    for _ in range(10):
        sched.step()
    # PyTorch extrapolates the last phase to a negative rate at step 10; it is held instead
    assert sched.get_last_lr() == pytest.approx([1.0 / 25 / 1e4] * 2)
    assert momenta(opt) == pytest.approx([0.95, 0.95])
    before, groups = sched.state_dict(), [dict(g) for g in opt.param_groups]
    with pytest.raises(ValueError, match="OneCycleLR.step: step 11 is past total_steps=10"):
        sched.step()
    assert sched.state_dict() == before and opt.param_groups == groups


def test_one_cycle_lr_a_warmup_of_length_zero_starts_at_the_peak():
    # pct_start·T = 1: the first phase ends at step 0 (PyTorch divides by zero there)
    opt = make_momentum_opt("sgd")
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.1)
    assert sched.get_last_lr() == [1.0, 1.0] and momenta(opt) == [0.85, 0.85]
    sched.step()
    assert sched.get_last_lr()[0] == pytest.approx(one_cycle(1, 1.0, 10, pct=0.1)[0])


def test_momentum_cycling_needs_an_optimizer_with_momentum():
    for make in (lambda o, **kw: S.OneCycleLR(o, 1.0, total_steps=10, **kw),
                 lambda o, **kw: S.CyclicLR(o, 0.1, 1.0, **kw)):
        opt = make_momentum_opt("adagrad")
        with pytest.raises(ValueError, match="cycle_momentum=True needs an optimizer with "
                                             "'momentum' or 'betas'.*Adagrad"):
            make(opt)
        assert [g["lr"] for g in opt.param_groups] == [0.5, 0.2]
        make(opt, cycle_momentum=False)
        assert all("momentum" not in g for g in opt.param_groups)


def test_one_cycle_lr_in_a_sequential_lr_cycles_momentum_from_its_milestone():
    opt = make_momentum_opt("sgd")
    sched = S.SequentialLR(opt, [S.ConstantLR(opt, factor=0.5, total_iters=3),
                                 S.OneCycleLR(opt, max_lr=1.0, total_steps=10)],
                           milestones=[3])
    lrs, ms = rates_and_momenta(opt, sched, 10)
    want = np.array([one_cycle(t - 3, 1.0, 10) for t in range(3, 10)])
    np.testing.assert_allclose(lrs[3:, 0], want[:, 0], rtol=1e-12)
    np.testing.assert_allclose(ms[3:, 0], want[:, 1], rtol=1e-12)
    saved = sched.state_dict()
    opt2 = make_momentum_opt("sgd")
    sched2 = S.SequentialLR(opt2, [S.ConstantLR(opt2, factor=0.5, total_iters=3),
                                   S.OneCycleLR(opt2, max_lr=1.0, total_steps=10)],
                            milestones=[3])
    sched2.load_state_dict(saved)
    assert momenta(opt2) == momenta(opt) and sched2.get_last_lr() == sched.get_last_lr()


NEW_SCHEDULES = {
    "PolynomialLR": (lambda o: S.PolynomialLR(o, total_iters=10, power=2.0), "sgd"),
    "CosineAnnealingWarmRestarts": (lambda o: S.CosineAnnealingWarmRestarts(o, 3, 2, 0.01),
                                    "sgd"),
    "CyclicLR": (lambda o: S.CyclicLR(o, [0.01, 0.02], [0.5, 0.3], step_size_up=4,
                                      mode="triangular2"), "adam"),
    "OneCycleLR": (lambda o: S.OneCycleLR(o, [0.5, 0.3], total_steps=16, three_phase=True),
                   "sgd"),
    "OneCycleLR-adam": (lambda o: S.OneCycleLR(o, 0.5, total_steps=16,
                                               anneal_strategy="linear"), "adam"),
}


@pytest.mark.parametrize("name", sorted(NEW_SCHEDULES))
@pytest.mark.parametrize("k", [1, 5, 11])
def test_new_schedules_resume_mid_schedule_bit_for_bit(name, k, tmp_path):
    # PyTorch's resume order (load the optimizer, make the scheduler, load it), through
    # tg.save: rates and momenta continue exactly as without the interruption
    make, kind = NEW_SCHEDULES[name]
    opt = make_momentum_opt(kind)
    straight = rates_and_momenta(opt, make(opt), 17)
    opt = make_momentum_opt(kind)
    sched = make(opt)
    for _ in range(k):
        sched.step()
    tg.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "c.npz")
    ckpt = tg.load(tmp_path / "c.npz")
    opt2 = make_momentum_opt(kind)
    opt2.load_state_dict(ckpt["opt"])
    sched2 = make(opt2)
    sched2.load_state_dict(ckpt["sched"])
    lrs, ms = rates_and_momenta(opt2, sched2, 17 - k)
    assert np.array_equal(lrs, straight[0][k:]) and np.array_equal(ms, straight[1][k:])


def test_warm_restarts_resume_after_a_fractional_epoch(tmp_path):
    opt = make_opt(0.5, 0.2)
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    sched.step(4.3)
    tg.save(sched.state_dict(), tmp_path / "s.npz")
    opt2 = make_opt(0.5, 0.2)
    sched2 = S.CosineAnnealingWarmRestarts(opt2, T_0=2, T_mult=2)
    sched2.load_state_dict(tg.load(tmp_path / "s.npz"))
    assert [g["lr"] for g in opt2.param_groups] == sched.get_last_lr()
    for _ in range(12):
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
    np.testing.assert_allclose(sched.get_last_lr()[0], sgdr(0.5, 16.3, 2, 2, 0.0), rtol=1e-12)


@pytest.mark.parametrize("make, exc, match", [
    (lambda o: S.PolynomialLR(o, total_iters=0), ValueError, "PolynomialLR: invalid total_iters=0"),
    (lambda o: S.PolynomialLR(o, power=-1.0), ValueError, "PolynomialLR: invalid power=-1.0"),
    (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=0), ValueError,
     "CosineAnnealingWarmRestarts: invalid T_0=0"),
    (lambda o: S.CosineAnnealingWarmRestarts(o, 2, T_mult=1.5), ValueError,
     "CosineAnnealingWarmRestarts: invalid T_mult=1.5"),
    (lambda o: S.CosineAnnealingWarmRestarts(o, 2, eta_min=-0.1), ValueError, "eta_min=-0.1"),
    (lambda o: S.CyclicLR(o, 0.1, 1.0, mode="tri"), ValueError, "CyclicLR: invalid mode='tri'"),
    (lambda o: S.CyclicLR(o, 0.1, 1.0, step_size_up=0), ValueError,
     "CyclicLR: invalid step_size_up=0"),
    (lambda o: S.CyclicLR(o, 0.1, 1.0, step_size_down=-1), ValueError, "step_size_down=-1"),
    (lambda o: S.CyclicLR(o, [0.1, 0.2], 1.0), ValueError,
     "CyclicLR: base_lr has 2 values, the optimizer has 1 param groups"),
    (lambda o: S.CyclicLR(o, -0.1, 1.0), ValueError, "CyclicLR: invalid base_lr=-0.1"),
    (lambda o: S.CyclicLR(o, 0.1, "1"), TypeError, "CyclicLR: max_lr must be a number, got '1'"),
    (lambda o: S.CyclicLR(o, 0.1, 1.0, max_momentum=1.0), ValueError,
     "CyclicLR: invalid max_momentum=1.0"),
    (lambda o: S.OneCycleLR(o, 1.0), ValueError,
     "OneCycleLR: give total_steps, or epochs and steps_per_epoch"),
    (lambda o: S.OneCycleLR(o, 1.0, epochs=3), ValueError, "steps_per_epoch=None"),
    (lambda o: S.OneCycleLR(o, 1.0, total_steps=0), ValueError,
     "OneCycleLR: invalid total_steps=0"),
    (lambda o: S.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=2.5), ValueError,
     "OneCycleLR: invalid steps_per_epoch=2.5"),
    (lambda o: S.OneCycleLR(o, [1.0, 2.0], total_steps=9), ValueError,
     "OneCycleLR: max_lr has 2 values, the optimizer has 1 param groups"),
    (lambda o: S.OneCycleLR(o, 1.0, 9, pct_start=1.5), ValueError, "invalid pct_start=1.5"),
    (lambda o: S.OneCycleLR(o, 1.0, 9, anneal_strategy="cosine"), ValueError,
     "OneCycleLR: invalid anneal_strategy='cosine'"),
    (lambda o: S.OneCycleLR(o, 1.0, 9, div_factor=0), ValueError, "invalid div_factor=0"),
    (lambda o: S.OneCycleLR(o, 1.0, 9, three_phase="yes"), TypeError,
     "OneCycleLR: three_phase must be True or False"),
    (lambda o: S.OneCycleLR(o, 1.0, 9, base_momentum=-0.5), ValueError,
     "OneCycleLR: invalid base_momentum=-0.5"),
    (lambda o: S.OneCycleLR(o, 1.0, 9, last_epoch=9), ValueError,
     "OneCycleLR: last_epoch=9 resumes a schedule, but the optimizer's groups have no"),
    (lambda o: S.OneCycleLR(o, 1.0, 9, cycle_momentum=1), TypeError,
     "OneCycleLR: cycle_momentum must be True or False"),
])
def test_bad_arguments_of_the_cycle_schedules_change_nothing(make, exc, match):
    opt = optim.SGD([tg.Tensor(np.array([1.0]), requires_grad=True)], lr=0.5, momentum=0.5)
    with pytest.raises(exc, match=match):
        make(opt)
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["momentum"] == 0.5
    assert "initial_lr" not in opt.param_groups[0]


def test_one_cycle_lr_resuming_past_the_end_raises_and_changes_nothing():
    opt = optim.SGD([tg.Tensor(np.array([1.0]), requires_grad=True)], lr=0.5, momentum=0.5)
    S.OneCycleLR(opt, 1.0, total_steps=9)
    groups = [dict(g) for g in opt.param_groups]
    with pytest.raises(ValueError, match="OneCycleLR.step: step 10 is past total_steps=9"):
        S.OneCycleLR(opt, 1.0, total_steps=9, last_epoch=9)
    assert opt.param_groups == groups


@pytest.mark.parametrize("make, key, value, match", [
    (lambda o: S.PolynomialLR(o), "power", -2.0, "power=-2.0"),
    (lambda o: S.CosineAnnealingWarmRestarts(o, 3), "T_mult", 0, "T_mult=0"),
    (lambda o: S.CosineAnnealingWarmRestarts(o, 3), "_frac", 1.5, "_frac=1.5"),
    (lambda o: S.CyclicLR(o, 0.1, 1.0), "mode", "exp", "mode='exp'"),
    (lambda o: S.CyclicLR(o, 0.1, 1.0), "max_lrs", [1.0], "max_lrs has 1 per-group rates"),
    (lambda o: S.CyclicLR(o, 0.1, 1.0), "base_momentums", 0.8,
     "base_momentum must be a list with one number per param group"),
    (lambda o: S.OneCycleLR(o, 1.0, 20), "last_epoch", 21, "last_epoch=21 is past total_steps=20"),
    (lambda o: S.OneCycleLR(o, 1.0, 20), "total_steps", 0, "total_steps=0"),
    (lambda o: S.OneCycleLR(o, 1.0, 20), "max_momentums", [0.9, 1.2], "max_momentum=1.2"),
    (lambda o: S.OneCycleLR(o, 1.0, 20), "anneal_strategy", "lin", "anneal_strategy='lin'"),
])
def test_cycle_schedules_load_checks_settings_like_the_constructor(make, key, value, match):
    opt = make_momentum_opt("sgd")
    sched = make(opt)
    sched.step()
    before, groups = sched.state_dict(), [dict(g) for g in opt.param_groups]
    with pytest.raises((ValueError, TypeError), match=match):
        sched.load_state_dict({**before, key: value})
    assert sched.state_dict() == before and opt.param_groups == groups
