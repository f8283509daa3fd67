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
milestones=[warmup_steps]); LambdaLR takes any factor λ(t), MultiStepLR decays at milestones.

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

from .optimizer import Optimizer, check_int, check_number


class LRScheduler:
    """Base class: remembers each group's initial lr and sets lr = _lr_at(lr0, t) on step
    (or the rates _lrs_at(t) gives, for a schedule with a formula per group).

    last_epoch=-1 starts a new schedule (the constructor performs step 0, so the optimizer's
    lr is the t = 0 value right away). last_epoch=k resumes one: the constructor performs
    step k + 1 from the groups' 'initial_lr', as PyTorch's LambdaLR, StepLR, MultiStepLR and
    ConstantLR do (its ExponentialLR, LinearLR and CosineAnnealingLR keep the optimizer's
    current rate for that first step instead). load_state_dict resumes exactly."""

    _hyper: tuple[str, ...] = ()

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        who = type(self).__name__
        _check_optimizer(who, optimizer)
        check_int(who, "last_epoch", last_epoch, low=-1)
        if last_epoch != -1 and any("initial_lr" not in g for g in optimizer.param_groups):
            raise ValueError(f"{who}: last_epoch={last_epoch} resumes a schedule, but the "
                             "optimizer's groups have no 'initial_lr'")
        self.optimizer = optimizer
        self.base_lrs = [g.get("initial_lr", g["lr"]) for g in optimizer.param_groups]
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

    @staticmethod
    def _check_hyper(who: str, **hyper: Any) -> None:
        """Raise unless the schedule's settings (the _hyper names) are valid: the one check
        of the constructor and of load_state_dict (a schedule with none has none)."""

    def step(self) -> None:
        """Advance the schedule by one and write the new rates into the optimizer.

        The schedule knows the groups the optimizer had when it was made: after
        add_param_group, step raises (changing nothing) rather than leave the new group at
        its rate; make the scheduler once every group is in (PyTorch's recursive schedules
        scale the new group by their step-to-step ratios; its LambdaLR raises)."""
        groups = len(self.optimizer.param_groups)
        if groups != len(self.base_lrs):
            raise ValueError(f"{type(self).__name__}.step: the optimizer has {groups} param "
                             f"groups, this schedule was made for {len(self.base_lrs)}; a "
                             "group added later (add_param_group) has no initial rate here: "
                             "make the scheduler after adding every group")
        lrs = self._lrs_at(self.last_epoch + 1)
        self.last_epoch += 1
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
        pass the constructor's checks (nothing changes on error)."""
        self._check_state(f"{type(self).__name__}.load_state_dict", state_dict)
        _restore(self, state_dict)

    def _check_state(self, who: str, state: Any) -> None:
        """Raise unless `state` is a state_dict() this scheduler can take."""
        _check_keys(who, state, self.state_dict())
        self._check_hyper(who, **{n: state[n] for n in self._hyper})
        _check_loaded(self, who, state, ("base_lrs", "_last_lr"), low_epoch=-1)


def _check_optimizer(who: str, optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{who}: expected a tapegrad optimizer, got {type(optimizer).__name__}")


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
        n = len(optimizer.param_groups)
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * n
        if len(min_lrs) != n:
            raise ValueError(f"{who}: min_lr has {len(min_lrs)} entries for {n} param groups")
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
