"""Learning-rate schedules (PyTorch's names and signatures).

A scheduler sets `group["lr"]` of every param group of an optimizer. Call `step()` once per
epoch (or per iteration) after `optimizer.step()`; step t then sets lr = f(lr0, t) from a
closed form in t, so resuming from a state dict reproduces the same rates bit for bit (and
two schedulers on one optimizer do not compose: the last to step sets the rate).
The lecture's schedules (notes 000, "Learning Rate Scheduling"):

    linear       η(τ) = (1 − τ/K)·η0 + (τ/K)·η_K for τ ≤ K, then η_K      -> LinearLR
    power law    η(τ) = η0·(1 + τ/s)^c                                    -> PowerLR
    exponential  η(τ) = η0·c^(τ/s)                                        -> ExponentialLR

Warmup then decay is SequentialLR(opt, [LinearLR(...) or ConstantLR(...), CosineAnnealingLR(...)],
milestones=[warmup_steps]); LambdaLR takes any factor λ(t), MultiStepLR decays at milestones,
PolynomialLR to 0. Stepped per batch: OneCycleLR and CyclicLR, which also cycle the momentum
(SGD's, RMSprop's, or Adam's β1) against the rate, and CosineAnnealingWarmRestarts (SGDR).
There is no ChainedScheduler (it multiplies recursive schedules); a product of factors is a
LambdaLR.

>>> import tapegrad as tg, tapegrad.optim as optim
>>> opt = optim.SGD([tg.zeros(1, requires_grad=True)], lr=0.1)
>>> sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
>>> rates = []
>>> for epoch in range(5):
...     rates.append(sched.get_last_lr()[0])   # train an epoch with this rate, then:
...     sched.step()
>>> rates
[0.1, 0.1, 0.05, 0.05, 0.025]
"""

from __future__ import annotations

import bisect
import math
import types
from collections.abc import Callable, Sequence
from typing import Any

from .optimizer import Optimizer, check_flag, check_int, check_number


class LRScheduler:
    """Base class: remembers each group's initial lr and sets lr = _lr_at(lr0, t) on step
    (or the rates _lrs_at(t) gives, for a schedule with a formula per group).

    last_epoch=-1 starts a new schedule (the constructor performs step 0, so the optimizer's
    lr is the t = 0 value right away). last_epoch=k resumes one: the constructor performs
    step k + 1 from the groups' 'initial_lr', as PyTorch's LambdaLR, StepLR, MultiStepLR and
    ConstantLR do (its ExponentialLR, LinearLR, CosineAnnealingLR and PolynomialLR keep the
    optimizer's current rate for that first step instead). load_state_dict resumes exactly."""

    _hyper: tuple[str, ...] = ()  # the settings state_dict saves and _check_hyper checks
    _per_group: tuple[str, ...] = ()  # those of them that hold one number per param group

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1, *,
                 base_lrs: Sequence[float] | None = None) -> None:
        """base_lrs: the groups' starting rates, for a schedule that sets its own (CyclicLR's
        base_lr, OneCycleLR's max_lr / div_factor); by default the groups' 'initial_lr', or
        their current rate for a new schedule."""
        who = type(self).__name__
        _check_optimizer(who, optimizer)
        check_int(who, "last_epoch", last_epoch, low=-1)
        if last_epoch != -1 and any("initial_lr" not in g for g in optimizer.param_groups):
            raise ValueError(f"{who}: last_epoch={last_epoch} resumes a schedule, but the "
                             "optimizer's groups have no 'initial_lr'")
        self.optimizer = optimizer
        self.base_lrs = list(base_lrs) if base_lrs is not None else [
            g.get("initial_lr", g["lr"]) for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr: list[float] = []
        self.step()  # may raise (a LambdaLR's function): the optimizer is then left as it was
        for g, lr0 in zip(optimizer.param_groups, self.base_lrs):
            g.setdefault("initial_lr", lr0)

    def _lr_at(self, base_lr: float, t: int) -> float:
        """The rate at step t of a group that started at base_lr (the schedule's formula).
        A schedule defines this or _lrs_at; without either, constructing it is a TypeError
        (as an abstract class's), raised before the optimizer is touched."""
        raise TypeError(f"{type(self).__name__}: a schedule must define _lr_at(base_lr, t) "
                        "or _lrs_at(t); LRScheduler itself has no formula")

    def _lrs_at(self, t: int) -> list[float]:
        """The rates of all groups at step t: _lr_at of each group's initial rate (schedules
        with a formula per group override this)."""
        return [self._lr_at(b, t) for b in self.base_lrs]

    def _momenta_at(self, t: int) -> list[float] | None:
        """The momenta of all groups at step t, for a schedule that cycles momentum too
        (CyclicLR, OneCycleLR); None leaves the optimizer's momentum alone."""
        return None

    @staticmethod
    def _check_hyper(who: str, **hyper: Any) -> None:
        """Raise unless the schedule's settings (the _hyper names) are valid: the one check
        of the constructor and of load_state_dict (a schedule with none has none)."""

    def step(self) -> None:
        """Advance the schedule by one and write the new rates (and momenta, for a schedule
        that cycles them) into the optimizer.

        The schedule knows the groups the optimizer had when it was made: after
        add_param_group, step raises (changing nothing) rather than leave the new group at
        its rate; make the scheduler once every group is in (PyTorch's recursive schedules
        scale the new group by their step-to-step ratios; its LambdaLR raises)."""
        self._check_groups()
        t = self.last_epoch + 1
        lrs, momenta = self._lrs_at(t), self._momenta_at(t)
        self.last_epoch = t
        self._set_lrs(lrs)
        _set_momenta(self.optimizer, momenta)

    def _check_groups(self) -> None:
        """Raise (before any change) if the optimizer has gained a group since."""
        groups = len(self.optimizer.param_groups)
        if groups != len(self.base_lrs):
            raise ValueError(f"{type(self).__name__}.step: the optimizer has {groups} param "
                             f"groups, this schedule was made for {len(self.base_lrs)}; a "
                             "group added later (add_param_group) has no initial rate here: "
                             "make the scheduler after adding every group")

    def _set_lrs(self, lrs: list[float]) -> None:
        self._last_lr = lrs
        for g, lr in zip(self.optimizer.param_groups, lrs):
            g["lr"] = lr

    def get_last_lr(self) -> list[float]:
        """The rates the last step() set, one per param group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The schedule's position and settings (plain numbers and lists; tg.save writes it)."""
        names = self._hyper + ("last_epoch", "base_lrs", "_last_lr")
        return {n: list(v) if isinstance(v, list) else v
                for n, v in ((n, getattr(self, n)) for n in names)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what state_dict() gave and put its last rates into the optimizer's
        groups, so the rate in use is the restored one whichever of the optimizer and the
        scheduler was created or loaded first. The keys must match exactly and the settings
        pass the constructor's checks (nothing changes on error). A schedule that cycles
        momentum puts the momenta of its restored step back too."""
        self._check_state(f"{type(self).__name__}.load_state_dict", state_dict)
        _restore(self, state_dict)
        _set_momenta(self.optimizer, self._momenta_at(self.last_epoch))

    def _check_state(self, who: str, state: Any) -> None:
        """Raise unless `state` is a state_dict() this scheduler can take."""
        _check_keys(who, state, self.state_dict())
        self._check_hyper(who, **{n: state[n] for n in self._hyper})
        _check_loaded(self, who, state, ("base_lrs", "_last_lr") + self._per_group,
                      low_epoch=-1)


def _check_optimizer(who: str, optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{who}: expected a tapegrad optimizer, got {type(optimizer).__name__}")


def _per_group_values(who: str, name: str, value: Any, optimizer: Optimizer) -> list[Any]:
    """A setting given as one value for every group or as a list with one per group."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(f"{who}: {name} has {len(value)} values, the optimizer has "
                             f"{groups} param groups")
        return list(value)
    return [value] * groups


def _check_numbers(who: str, name: str, values: Any, **bounds: Any) -> None:
    """A per-group setting (a list of numbers, each checked as check_number checks)."""
    if not isinstance(values, (list, tuple)):
        raise TypeError(f"{who}: {name} must be a list with one number per param group, got "
                        f"{values!r:.80}")
    for v in values:
        check_number(who, name, v, **bounds)


def _check_momentum(who: str, hyper: dict[str, Any]) -> None:
    """CyclicLR's and OneCycleLR's momentum settings."""
    check_flag(who, "cycle_momentum", hyper["cycle_momentum"])
    _check_numbers(who, "base_momentum", hyper["base_momentums"], high=1.0)
    _check_numbers(who, "max_momentum", hyper["max_momentums"], high=1.0)


def _momentum_settings(who: str, optimizer: Optimizer, cycle_momentum: bool,
                       base_momentum: Any, max_momentum: Any) -> dict[str, Any]:
    """CyclicLR's and OneCycleLR's momentum settings, one value per group; a momentum cycle
    needs an optimizer that has one."""
    if cycle_momentum is True and not {"momentum", "betas"} & set(optimizer.defaults):
        raise ValueError(f"{who}: cycle_momentum=True needs an optimizer with 'momentum' or "
                         f"'betas' options; {type(optimizer).__name__} has neither (pass "
                         "cycle_momentum=False)")
    return {"cycle_momentum": cycle_momentum,
            "base_momentums": _per_group_values(who, "base_momentum", base_momentum,
                                                optimizer),
            "max_momentums": _per_group_values(who, "max_momentum", max_momentum, optimizer)}


def _set_momenta(optimizer: Optimizer, momenta: list[float] | None) -> None:
    """Write each group's momentum (None: nothing): betas[0] for an optimizer with betas
    (Adam, AdamW), else 'momentum' (SGD, RMSprop), PyTorch's rule."""
    if momenta is None:
        return
    beta1 = "betas" in optimizer.defaults
    for g, m in zip(optimizer.param_groups, momenta):
        if beta1:
            g["betas"] = (m, *g["betas"][1:])
        else:
            g["momentum"] = m


def _check_milestones(who: str, milestones: Any, low: int) -> None:
    """MultiStepLR's and SequentialLR's milestones: a list of step counts >= low."""
    if not isinstance(milestones, (list, tuple)):
        raise TypeError(f"{who}: milestones must be a list of step counts, got "
                        f"{milestones!r:.80}")
    for m in milestones:
        check_int(who, "milestone", m, low=low)


def _check_keys(who: str, state: Any, own: dict[str, Any]) -> None:
    if not isinstance(state, dict) or set(state) != set(own):
        got = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"{who}: expected keys {sorted(own)}, got {got}")


def _check_loaded(sched: Any, who: str, state: dict[str, Any], rates: tuple[str, ...],
                  low_epoch: int) -> None:
    """A loaded state must fit the optimizer: one rate per param group in each list of
    `rates` (a schedule saved for another optimizer would silently drive only some groups),
    every rate a number >= 0, and an integer epoch."""
    groups = len(sched.optimizer.param_groups)
    for name in rates:
        lrs = state[name]
        if not isinstance(lrs, (list, tuple)) or len(lrs) != groups:
            n = len(lrs) if isinstance(lrs, (list, tuple)) else type(lrs).__name__
            raise ValueError(f"{who}: the state's {name} has {n} per-group rates, the "
                             f"optimizer has {groups} param groups; nothing was loaded")
        for lr in lrs:
            check_number(who, name, lr)
    check_int(who, "last_epoch", state["last_epoch"], low=low_epoch)


def _restore(sched: Any, state: dict[str, Any]) -> None:
    """Set a checked state and write its last rates into the optimizer's groups."""
    for n, v in state.items():
        setattr(sched, n, list(v) if isinstance(v, (list, tuple)) else v)
    for g, lr in zip(sched.optimizer.param_groups, sched._last_lr):
        g["lr"] = lr


class LambdaLR(LRScheduler):
    """lr = lr0 · λ(t): a function of the step count gives the factor, one function for
    every group or one per group.

    state_dict() saves a callable object's attributes (its __dict__) and None for a plain
    function or lambda, whose code is never saved (PyTorch's rule): the resuming program
    makes the scheduler with the same functions and loads the rest."""

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        _check_optimizer("LambdaLR", optimizer)
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(f"LambdaLR: expected {groups} lr_lambdas (one per param "
                                 f"group), got {len(lr_lambda)}")
            lambdas = list(lr_lambda)
        else:
            lambdas = [lr_lambda] * groups
        for fn in lambdas:
            if not callable(fn):
                raise TypeError(f"LambdaLR: lr_lambda must be a function of the step, got "
                                f"{type(fn).__name__}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def _lrs_at(self, t: int) -> list[float]:
        lrs = []
        for fn, b in zip(self.lr_lambdas, self.base_lrs):
            factor = fn(t)
            check_number("LambdaLR", f"lr_lambda({t})", factor)
            lrs.append(b * factor)
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """The position and rates, and under 'lr_lambdas' a copy of each callable object's
        attributes (None for plain functions and lambdas)."""
        saved = [None if isinstance(fn, types.FunctionType) or not hasattr(fn, "__dict__")
                 else dict(vars(fn)) for fn in self.lr_lambdas]
        return {**super().state_dict(), "lr_lambdas": saved}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the position and rates, and update each callable object's attributes from
        its saved entry (None entries are skipped). Nothing changes on error."""
        self._check_state("LambdaLR.load_state_dict", state_dict)
        _restore(self, {k: v for k, v in state_dict.items() if k != "lr_lambdas"})
        for fn, attrs in zip(self.lr_lambdas, state_dict["lr_lambdas"]):
            if attrs is not None:
                vars(fn).update(attrs)

    def _check_state(self, who: str, state: Any) -> None:
        super()._check_state(who, state)
        saved = state["lr_lambdas"]
        if not isinstance(saved, (list, tuple)) or len(saved) != len(self.lr_lambdas):
            raise ValueError(f"{who}: lr_lambdas must hold {len(self.lr_lambdas)} entries "
                             f"(one per param group), got {saved!r:.80}")
        for i, (fn, attrs) in enumerate(zip(self.lr_lambdas, saved)):
            if attrs is not None and not (isinstance(attrs, dict) and hasattr(fn, "__dict__")):
                raise ValueError(f"{who}: lr_lambdas[{i}] must be None or the attribute dict "
                                 f"of a callable object, got {attrs!r:.80}")


class StepLR(LRScheduler):
    """lr = lr0 · gamma^⌊t / step_size⌋: multiply by gamma every step_size steps."""

    _hyper = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self._check_hyper("StepLR", step_size=step_size, gamma=gamma)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _check_hyper(who: str, **hyper: Any) -> None:
        check_int(who, "step_size", hyper["step_size"])
        check_number(who, "gamma", hyper["gamma"])

    def _lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma ** (t // self.step_size)


class MultiStepLR(LRScheduler):
    """lr = lr0 · gamma^(number of milestones ≤ t): multiply by gamma at each milestone (a
    milestone listed twice multiplies twice, as in PyTorch)."""

    _hyper = ("milestones", "gamma")

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self._check_hyper("MultiStepLR", milestones=milestones, gamma=gamma)
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _check_hyper(who: str, **hyper: Any) -> None:
        _check_milestones(who, hyper["milestones"], low=0)
        check_number(who, "gamma", hyper["gamma"])

    def _lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma ** sum(m <= t for m in self.milestones)


class ConstantLR(LRScheduler):
    """lr = lr0 · factor for t < total_iters, then lr0: a constant warmup."""

    _hyper = ("factor", "total_iters")

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        self._check_hyper("ConstantLR", factor=factor, total_iters=total_iters)
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _check_hyper(who: str, **hyper: Any) -> None:
        check_number(who, "factor", hyper["factor"], high=1.0, high_open=False)
        check_int(who, "total_iters", hyper["total_iters"])

    def _lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * self.factor if t < self.total_iters else base_lr


class ExponentialLR(LRScheduler):
    """lr = lr0 · gamma^t. The lecture's exponential decay η0·c^(τ/s) (notes 000) is
    gamma = c**(1/s)."""

    _hyper = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self._check_hyper("ExponentialLR", gamma=gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _check_hyper(who: str, **hyper: Any) -> None:
        check_number(who, "gamma", hyper["gamma"])

    def _lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma ** t


class LinearLR(LRScheduler):
    """lr = lr0 · (f0 + (f1 − f0)·min(t, K)/K), f0 = start_factor, f1 = end_factor,
    K = total_iters: the lecture's linear schedule (1 − τ/K)·η0 + (τ/K)·η_K with
    η0 = f0·lr0 and η_K = f1·lr0, held at η_K after K steps (notes 000)."""

    _hyper = ("start_factor", "end_factor", "total_iters")

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        self._check_hyper("LinearLR", start_factor=start_factor, end_factor=end_factor,
                          total_iters=total_iters)
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _check_hyper(who: str, **hyper: Any) -> None:
        check_number(who, "start_factor", hyper["start_factor"], low_open=True, high=1.0,
                     high_open=False)
        check_number(who, "end_factor", hyper["end_factor"], high=1.0, high_open=False)
        check_int(who, "total_iters", hyper["total_iters"])

    def _lr_at(self, base_lr: float, t: int) -> float:
        frac = min(t, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * frac)


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (lr0 − eta_min)·(1 + cos(π·t / T_max)) / 2 (SGDR without restarts)."""

    _hyper = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        self._check_hyper("CosineAnnealingLR", T_max=T_max, eta_min=eta_min)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _check_hyper(who: str, **hyper: Any) -> None:
        check_int(who, "T_max", hyper["T_max"])
        check_number(who, "eta_min", hyper["eta_min"])

    def _lr_at(self, base_lr: float, t: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * t /
                                                                       self.T_max)) / 2


class PowerLR(LRScheduler):
    """lr = lr0 · (1 + t/s)^c with s > 0 and c < 0: the lecture's power-law schedule
    η(τ) = η0(1 + τ/s)^c (notes 000)."""

    _hyper = ("s", "c")

    def __init__(self, optimizer: Optimizer, s: float, c: float, last_epoch: int = -1) -> None:
        self._check_hyper("PowerLR", s=s, c=c)
        self.s, self.c = s, c
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _check_hyper(who: str, **hyper: Any) -> None:
        check_number(who, "s", hyper["s"], low_open=True)
        check_number(who, "c", hyper["c"], low=-math.inf, high=0.0)

    def _lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * (1 + t / self.s) ** self.c


class PolynomialLR(LRScheduler):
    """lr = lr0 · (1 − min(t, K)/K)^power, K = total_iters: a polynomial decay to 0 at step K
    (power = 1: linear), held there. PyTorch's closed form (its step() recursion gives the
    same rates up to rounding)."""

    _hyper = ("total_iters", "power")

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        self._check_hyper("PolynomialLR", total_iters=total_iters, power=power)
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _check_hyper(who: str, **hyper: Any) -> None:
        check_int(who, "total_iters", hyper["total_iters"])
        check_number(who, "power", hyper["power"])

    def _lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * (1.0 - min(self.total_iters, t) / self.total_iters) ** self.power


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: cosine annealing restarted every T_i steps, with T_0 = T_0 and
    T_{i+1} = T_mult·T_i:

        lr = eta_min + (lr0 − eta_min)·(1 + cos(π·T_cur / T_i)) / 2

    where T_cur counts the steps since the last restart (the restarts fall at
    T_0·(T_mult^n − 1)/(T_mult − 1)). step() advances by one, per epoch or per batch;
    step(epoch) jumps to `epoch`, which may be fractional (PyTorch's
    `sched.step(epoch + i / iters)` inside an epoch of `iters` batches), and later step()
    calls go on from there one by one. PyTorch's semantics, from the closed form: the
    restart is found in exact arithmetic (PyTorch's step(epoch) uses a floating-point log,
    which can put an integer epoch at a restart in the previous cycle), and
    last_epoch=k resumes at step k + 1 of the closed form (PyTorch's constructor restarts
    at most once there)."""

    _hyper = ("T_0", "T_mult", "eta_min", "_frac")  # _frac: what step(epoch) gave past last_epoch

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        self._check_hyper("CosineAnnealingWarmRestarts", T_0=T_0, T_mult=T_mult,
                          eta_min=eta_min, _frac=0.0)
        self.T_0, self.T_mult, self.eta_min, self._frac = T_0, T_mult, eta_min, 0.0
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _check_hyper(who: str, **hyper: Any) -> None:
        check_int(who, "T_0", hyper["T_0"])
        check_int(who, "T_mult", hyper["T_mult"])
        check_number(who, "eta_min", hyper["eta_min"])
        check_number(who, "_frac", hyper["_frac"], high=1.0)

    def _cycle(self, epoch: float) -> tuple[float, int]:
        """(T_cur, T_i) at `epoch` >= 0."""
        if self.T_mult == 1:
            return epoch % self.T_0, self.T_0
        start, length = 0, self.T_0
        while epoch >= start + length:
            start, length = start + length, length * self.T_mult
        return epoch - start, length

    def _lrs_at_epoch(self, epoch: float) -> list[float]:
        t_cur, t_i = self._cycle(epoch)
        return [self.eta_min + (b - self.eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2
                for b in self.base_lrs]

    def _lrs_at(self, t: int) -> list[float]:
        return self._lrs_at_epoch(t + self._frac)

    def step(self, epoch: float | None = None) -> None:
        """Advance by one, or go to `epoch` (a number >= 0, fractional or not; last_epoch
        becomes its floor)."""
        if epoch is None:
            super().step()
            return
        who = "CosineAnnealingWarmRestarts.step"
        check_number(who, "epoch", epoch)
        self._check_groups()
        lrs = self._lrs_at_epoch(epoch)
        self.last_epoch = math.floor(epoch)
        self._frac = epoch - self.last_epoch
        self._set_lrs(lrs)


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith 2017): the rate climbs linearly from base_lr to max_lr in
    step_size_up steps and falls back in step_size_down (default: step_size_up), again and
    again. With L = up + down, cycle c = ⌊1 + t/L⌋ and x = 1 + t/L − c (the place in it),

        s = x / (up/L) while rising, (x − 1) / (up/L − 1) while falling   (0 → 1 → 0)
        lr = base_lr + (max_lr − base_lr)·s·a

    with the amplitude a = 1 ('triangular'), 1/2^(c−1) ('triangular2', halved every cycle)
    or gamma^t ('exp_range'). base_lr and max_lr are a number or one per group; step()
    once per batch. With cycle_momentum (PyTorch's default) the momentum of each group
    (SGD's and RMSprop's 'momentum', Adam's and AdamW's betas[0]) goes the other way:
    momentum = max_momentum − (max_momentum − base_momentum)·s·a. PyTorch's semantics and
    defaults, without its scale_fn/scale_mode (a custom shape is a LambdaLR): the arguments
    after gamma, which follow those two in PyTorch, are keyword-only here."""

    _hyper = ("max_lrs", "step_size_up", "step_size_down", "mode", "gamma", "cycle_momentum",
              "base_momentums", "max_momentums")
    _per_group = ("max_lrs", "base_momentums", "max_momentums")

    def __init__(self, optimizer: Optimizer, base_lr: float | Sequence[float],
                 max_lr: float | Sequence[float], step_size_up: int = 2000,
                 step_size_down: int | None = None, mode: str = "triangular",
                 gamma: float = 1.0, *, cycle_momentum: bool = True,
                 base_momentum: float | Sequence[float] = 0.8,
                 max_momentum: float | Sequence[float] = 0.9, last_epoch: int = -1) -> None:
        who = "CyclicLR"
        _check_optimizer(who, optimizer)
        base_lrs = _per_group_values(who, "base_lr", base_lr, optimizer)
        _check_numbers(who, "base_lr", base_lrs)
        hyper = {"max_lrs": _per_group_values(who, "max_lr", max_lr, optimizer),
                 "step_size_up": step_size_up,
                 "step_size_down": step_size_up if step_size_down is None else step_size_down,
                 "mode": mode, "gamma": gamma,
                 **_momentum_settings(who, optimizer, cycle_momentum, base_momentum,
                                      max_momentum)}
        self._check_hyper(who, **hyper)
        vars(self).update(hyper)
        super().__init__(optimizer, last_epoch, base_lrs=base_lrs)

    @staticmethod
    def _check_hyper(who: str, **hyper: Any) -> None:
        _check_numbers(who, "max_lr", hyper["max_lrs"])
        check_int(who, "step_size_up", hyper["step_size_up"])
        check_int(who, "step_size_down", hyper["step_size_down"], low=0)
        if hyper["mode"] not in ("triangular", "triangular2", "exp_range"):
            raise ValueError(f"{who}: invalid mode={hyper['mode']!r}; use 'triangular', "
                             "'triangular2' or 'exp_range'")
        check_number(who, "gamma", hyper["gamma"])
        _check_momentum(who, hyper)

    def _shape(self, t: int) -> tuple[float, float]:
        """(s, a) at step t: the place in the cycle (0 → 1 → 0) and the amplitude."""
        size = float(self.step_size_up) + float(self.step_size_down)
        ratio = self.step_size_up / size
        cycle = math.floor(1 + t / size)
        x = 1.0 + t / size - cycle
        s = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        if self.mode == "triangular":
            return s, 1.0
        if self.mode == "triangular2":
            return s, 1 / (2.0 ** (cycle - 1))
        return s, self.gamma ** t

    def _lrs_at(self, t: int) -> list[float]:
        s, a = self._shape(t)
        return [b + (m - b) * s * a for b, m in zip(self.base_lrs, self.max_lrs)]

    def _momenta_at(self, t: int) -> list[float] | None:
        if not self.cycle_momentum:
            return None
        s, a = self._shape(t)
        return [m - (m - b) * s * a for b, m in zip(self.base_momentums, self.max_momentums)]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin 2017): from initial_lr = max_lr / div_factor up to
    max_lr in the first pct_start of total_steps (or epochs · steps_per_epoch), then down to
    min_lr = initial_lr / final_div_factor by the last step; step() once per batch.
    Phase i runs from step e_{i−1} to e_i (e_{−1} = 0) with p = (t − e_{i−1})/(e_i − e_{i−1})
    and anneals between its two ends,

        'cos':     lr = end + (start − end)·(1 + cos(π·p)) / 2
        'linear':  lr = start + (end − start)·p

    two phases (initial_lr → max_lr → min_lr, e_0 = pct_start·T − 1, e_1 = T − 1, fastai's
    default) or, with three_phase=True, the paper's three (initial_lr → max_lr → initial_lr
    → min_lr, e_0 = pct_start·T − 1, e_1 = 2·pct_start·T − 2, e_2 = T − 1). max_lr is a
    number or one per group. With cycle_momentum (the default) each group's momentum (SGD's
    and RMSprop's 'momentum', Adam's and AdamW's betas[0]) goes the other way, max_momentum →
    base_momentum → max_momentum (three phases: then held at max_momentum).

    PyTorch's schedule and semantics (its argument order too): the constructor is step 0, and
    after total_steps step() calls one more raises ValueError. Two differences where PyTorch's
    numbers are no use: a phase of length 0 (pct_start·T = 1, ...) counts as done (PyTorch
    divides by zero), and at step T, past the last batch, 'linear' holds the end values
    (PyTorch extrapolates: a negative rate, which no optimizer or checkpoint takes). The
    settings live in the scheduler (PyTorch also writes max_lr, min_lr and the momenta into
    the param groups); the groups' 'initial_lr' is set as every schedule sets it."""

    _hyper = ("total_steps", "max_lrs", "pct_start", "anneal_strategy", "div_factor",
              "final_div_factor", "three_phase", "cycle_momentum", "base_momentums",
              "max_momentums")
    _per_group = ("max_lrs", "base_momentums", "max_momentums")

    def __init__(self, optimizer: Optimizer, max_lr: float | Sequence[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | Sequence[float] = 0.85,
                 max_momentum: float | Sequence[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        who = "OneCycleLR"
        _check_optimizer(who, optimizer)
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError(f"{who}: give total_steps, or epochs and steps_per_epoch "
                                 f"(got epochs={epochs!r}, steps_per_epoch={steps_per_epoch!r})")
            check_int(who, "epochs", epochs)
            check_int(who, "steps_per_epoch", steps_per_epoch)
            total_steps = epochs * steps_per_epoch
        hyper = {"total_steps": total_steps,
                 "max_lrs": _per_group_values(who, "max_lr", max_lr, optimizer),
                 "pct_start": pct_start, "anneal_strategy": anneal_strategy,
                 "div_factor": div_factor, "final_div_factor": final_div_factor,
                 "three_phase": three_phase,
                 **_momentum_settings(who, optimizer, cycle_momentum, base_momentum,
                                      max_momentum)}
        self._check_hyper(who, **hyper)
        vars(self).update(hyper)
        super().__init__(optimizer, last_epoch,
                         base_lrs=[m / div_factor for m in self.max_lrs])

    @staticmethod
    def _check_hyper(who: str, **hyper: Any) -> None:
        check_int(who, "total_steps", hyper["total_steps"])
        _check_numbers(who, "max_lr", hyper["max_lrs"])
        check_number(who, "pct_start", hyper["pct_start"], high=1.0, high_open=False)
        if hyper["anneal_strategy"] not in ("cos", "linear"):
            raise ValueError(f"{who}: invalid anneal_strategy={hyper['anneal_strategy']!r}; "
                             "use 'cos' or 'linear'")
        check_number(who, "div_factor", hyper["div_factor"], low_open=True)
        check_number(who, "final_div_factor", hyper["final_div_factor"], low_open=True)
        check_flag(who, "three_phase", hyper["three_phase"])
        _check_momentum(who, hyper)

    def _check_state(self, who: str, state: Any) -> None:
        super()._check_state(who, state)
        if state["last_epoch"] > state["total_steps"]:
            raise ValueError(f"{who}: last_epoch={state['last_epoch']} is past "
                             f"total_steps={state['total_steps']}")

    def _phase(self, t: int) -> tuple[int, float]:
        """(i, p) at step t: the phase and how far into it (PyTorch's arithmetic)."""
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR.step: step {t} is past total_steps="
                             f"{self.total_steps} (the constructor is step 0 and each "
                             "step() one more); make a new scheduler to go on")
        ends = ([float(self.pct_start * self.total_steps) - 1,
                 float(2 * self.pct_start * self.total_steps) - 2] if self.three_phase
                else [float(self.pct_start * self.total_steps) - 1]) + [self.total_steps - 1]
        i, start = 0, 0.0
        while i < len(ends) - 1 and t > ends[i]:  # the last phase takes every later step
            i, start = i + 1, ends[i]
        p = (t - start) / (ends[i] - start) if ends[i] != start else 1.0
        return i, min(p, 1.0) if self.anneal_strategy == "linear" else p

    def _anneal(self, start: float, end: float, p: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * p) + 1)
        return (end - start) * p + start

    def _lrs_at(self, t: int) -> list[float]:
        i, p = self._phase(t)
        lrs = []
        for peak, initial in zip(self.max_lrs, self.base_lrs):
            ends = [initial, peak, initial / self.final_div_factor]
            if self.three_phase:
                ends.insert(2, initial)
            lrs.append(self._anneal(ends[i], ends[i + 1], p))
        return lrs

    def _momenta_at(self, t: int) -> list[float] | None:
        if not self.cycle_momentum:
            return None
        i, p = self._phase(t)
        momenta = []
        for low, high in zip(self.base_momentums, self.max_momentums):
            ends = [high, low, high, high] if self.three_phase else [high, low, high]
            momenta.append(self._anneal(ends[i], ends[i + 1], p))
        return momenta


class SequentialLR(LRScheduler):
    """Run schedulers one after another: schedulers[0] until milestones[0], then
    schedulers[1], each starting afresh at its own step 0 when its milestone is reached:

        lr(t) = schedulers[i] at step t − m_i,   m_i ≤ t < m_{i+1}   (m_0 = 0)

    E.g. warmup then cosine: SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5),
    CosineAnnealingLR(opt, T_max=95)], milestones=[5]). PyTorch's semantics (at a milestone
    it calls the next scheduler with epoch 0, the closed form at 0); the schedulers must be
    made for this optimizer. state_dict() holds each scheduler's state under '_schedulers'."""

    _hyper = ("_milestones",)

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int]) -> None:
        who = "SequentialLR"
        _check_optimizer(who, optimizer)
        if not isinstance(schedulers, (list, tuple)) or not schedulers:
            raise ValueError(f"{who}: expected a non-empty list of schedulers, got "
                             f"{schedulers!r:.80}")
        for i, s in enumerate(schedulers):
            if isinstance(s, ReduceLROnPlateau):
                raise ValueError(f"{who}: schedulers[{i}] is a ReduceLROnPlateau, whose "
                                 "step needs the metric; it cannot be sequenced")
            if not isinstance(s, LRScheduler):
                raise TypeError(f"{who}: schedulers[{i}] is {type(s).__name__}, not an LR "
                                "scheduler")
            if s.optimizer is not optimizer:
                raise ValueError(f"{who}: schedulers[{i}] ({type(s).__name__}) drives "
                                 "another optimizer")
        self._check_hyper(who, _milestones=milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"{who}: {len(schedulers)} schedulers need "
                             f"{len(schedulers) - 1} milestones, got {len(milestones)}")
        self._schedulers, self._milestones = list(schedulers), list(milestones)
        super().__init__(optimizer)

    @staticmethod
    def _check_hyper(who: str, **hyper: Any) -> None:
        milestones = hyper["_milestones"]
        _check_milestones(who, milestones, low=1)
        if any(a >= b for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f"{who}: milestones must increase, got {list(milestones)}")

    def _phase(self, t: int) -> tuple[LRScheduler, int]:
        """The scheduler in charge at step t and the step it started at."""
        i = bisect.bisect_right(self._milestones, t)
        return self._schedulers[i], self._milestones[i - 1] if i else 0

    def _lrs_at(self, t: int) -> list[float]:
        sched, start = self._phase(t)
        return sched._lrs_at(t - start)

    def _momenta_at(self, t: int) -> list[float] | None:
        sched, start = self._phase(t)
        return sched._momenta_at(t - start)

    def step(self) -> None:
        """Advance by one; the scheduler in charge advances too (its own step count)."""
        super().step()
        sched, start = self._phase(self.last_epoch)
        sched.last_epoch, sched._last_lr = self.last_epoch - start, self.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(),
                "_schedulers": [s.state_dict() for s in self._schedulers]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the position, the milestones and every scheduler's state, all checked
        first (nothing changes on error)."""
        self._check_state("SequentialLR.load_state_dict", state_dict)
        for s, state in zip(self._schedulers, state_dict["_schedulers"]):
            s.load_state_dict(state)
        _restore(self, {k: v for k, v in state_dict.items() if k != "_schedulers"})
        _set_momenta(self.optimizer, self._momenta_at(self.last_epoch))

    def _check_state(self, who: str, state: Any) -> None:
        super()._check_state(who, state)
        n = len(self._schedulers)
        if len(state["_milestones"]) != n - 1:
            raise ValueError(f"{who}: the state has {len(state['_milestones'])} milestones, "
                             f"this SequentialLR {n - 1}")
        saved = state["_schedulers"]
        if not isinstance(saved, (list, tuple)) or len(saved) != n:
            raise ValueError(f"{who}: _schedulers must hold {n} states, got {saved!r:.80}")
        for i, (s, sub) in enumerate(zip(self._schedulers, saved)):
            s._check_state(f"{who}: _schedulers[{i}] ({type(s).__name__})", sub)


class ReduceLROnPlateau:
    """Multiply the lr by `factor` when a metric has not improved for `patience` steps.

    step(metric): the metric improves when it is below best·(1 − threshold) (mode='min',
    threshold_mode='rel'), below best − threshold ('abs'), or above best·(1 + threshold) /
    best + threshold for mode='max'. After a reduction, `cooldown` steps pass before bad
    steps count again; lr never goes below min_lr (a number or one per group), and changes
    smaller than eps are skipped. PyTorch's semantics, including a group added later by
    add_param_group: a number min_lr is its floor too; with a list, step raises until
    `min_lrs` holds one floor per group. Unlike PyTorch, a NaN metric raises (PyTorch counts
    it as a bad step)."""

    _keys = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown",
             "min_lrs", "eps", "best", "num_bad_epochs", "cooldown_counter", "last_epoch",
             "_last_lr")

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | list[float] = 0.0,
                 eps: float = 1e-8) -> None:
        who = "ReduceLROnPlateau"
        _check_optimizer(who, optimizer)
        min_lrs = _per_group_values(who, "min_lr", min_lr, optimizer)
        for v in min_lrs:
            check_number(who, "min_lr", v)
        self._check_settings(who, mode=mode, factor=factor, patience=patience,
                             threshold=threshold, threshold_mode=threshold_mode,
                             cooldown=cooldown, eps=eps)
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lrs, self.eps = cooldown, min_lrs, eps
        # a number extends to groups added later; a list must be extended by hand
        self._default_min_lr = None if isinstance(min_lr, (list, tuple)) else min_lr
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [g["lr"] for g in optimizer.param_groups]

    @staticmethod
    def _check_settings(who: str, **settings: Any) -> None:
        """The constructor's checks, which a loaded state passes too."""
        if settings["mode"] not in ("min", "max"):
            raise ValueError(f"{who}: invalid mode={settings['mode']!r}; use 'min' or 'max'")
        if settings["threshold_mode"] not in ("rel", "abs"):
            raise ValueError(f"{who}: invalid threshold_mode={settings['threshold_mode']!r}; "
                             "use 'rel' or 'abs'")
        check_number(who, "factor", settings["factor"], high=1.0)
        check_int(who, "patience", settings["patience"], low=0)
        check_int(who, "cooldown", settings["cooldown"], low=0)
        check_number(who, "threshold", settings["threshold"])
        check_number(who, "eps", settings["eps"])

    def _is_better(self, value: float) -> bool:
        if self.mode == "min":
            bar = self.best * (1 - self.threshold) if self.threshold_mode == "rel" else (
                self.best - self.threshold)
            return value < bar
        bar = self.best * (1 + self.threshold) if self.threshold_mode == "rel" else (
            self.best + self.threshold)
        return value > bar

    def step(self, metrics: Any) -> None:
        """Record one value of the monitored metric (a number or one-element tensor)."""
        try:
            value = float(metrics)
        except (TypeError, ValueError):
            raise TypeError(f"ReduceLROnPlateau.step: the metric must be a number or a "
                            f"one-element tensor, got {metrics!r}") from None
        if math.isnan(value):
            raise ValueError("ReduceLROnPlateau.step: the metric is NaN")
        groups = len(self.optimizer.param_groups)
        if groups != len(self.min_lrs):  # a group added by add_param_group since
            if self._default_min_lr is None:
                raise ValueError(f"ReduceLROnPlateau.step: the optimizer has {groups} param "
                                 f"groups, min_lr gave floors for {len(self.min_lrs)}; after "
                                 "add_param_group set min_lrs to one floor per group")
            self.min_lrs = [self._default_min_lr] * groups
        self.last_epoch += 1
        if self._is_better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for g, floor in zip(self.optimizer.param_groups, self.min_lrs):
                new = max(g["lr"] * self.factor, floor)
                if g["lr"] - new > self.eps:
                    g["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, list) else v
                for k, v in ((k, getattr(self, k)) for k in self._keys)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what state_dict() gave, checked as the constructor checks its arguments,
        and put its last rates into the optimizer's groups (nothing changes on error)."""
        who = "ReduceLROnPlateau.load_state_dict"
        _check_keys(who, state_dict, self.state_dict())
        self._check_settings(who, **{k: state_dict[k] for k in (
            "mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "eps")})
        _check_loaded(self, who, state_dict, ("min_lrs", "_last_lr"), low_epoch=0)
        check_int(who, "num_bad_epochs", state_dict["num_bad_epochs"], low=0)
        check_int(who, "cooldown_counter", state_dict["cooldown_counter"], low=0)
        check_number(who, "best", state_dict["best"], low=-math.inf, high_open=False)
        _restore(self, state_dict)
