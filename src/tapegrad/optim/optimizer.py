"""Optimizer: the base class of every update rule (PyTorch's interface).

An optimizer holds `param_groups`, a list of dicts: each has "params" (the leaf tensors it
updates) and its own options ("lr", ...), so two layers can train at different rates. It
keeps per-parameter `state` (momentum buffers, moments, step counts), keyed by the
parameter tensor itself. `state_dict()` exports both as deep copies of plain arrays and
numbers (what `tg.save` writes); `load_state_dict` checks everything first and only then
replaces the state, so a resumed run continues bit for bit and a failed load changes nothing.

Subclasses implement `_validate(group)` and `step(closure)`; FirstOrderOptimizer's step
calls the rule `_update(θ, g, group, state) -> Δ`, with θ ← θ − Δ written as Tensor
expressions; it is applied under `tg.no_grad()` and in place (`p -= Δ`: one pass over p's
storage, no copy, as a hand-written numpy loop would), which bumps the tensor's version: a
backward through a graph that saved the old value then raises. The rules update their state
buffers in place too (`v *= β; v += (1 − β)·g`, as PyTorch's optimizers do): the same
arithmetic in the same order as the formulas, so the same bits, with fewer temporaries
(see adaptive.py: each megabyte-sized temporary can cost page faults).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..nn.module import zero_grads
from ..tape import enable_grad, no_grad
from ..tensor import Tensor

Closure = Callable[[], Tensor]


def check_number(who: str, name: str, value: Any, low: float = 0.0, high: float = math.inf,
                 low_open: bool = False, high_open: bool = True) -> None:
    """Raise ValueError/TypeError unless `value` is a real number in the given interval."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: {name} must be a number, got {value!r}")
    v = float(value)
    too_low = v <= low if low_open else v < low
    too_high = v >= high if high_open else v > high
    if math.isnan(v) or too_low or too_high:
        lo, hi = "(" if low_open else "[", ")" if high_open else "]"
        raise ValueError(f"{who}: invalid {name}={value!r}; it must lie in {lo}{low}, {high}{hi}")


def check_int(who: str, name: str, value: Any, low: int = 1) -> None:
    """Raise ValueError unless `value` is an int (not a bool) that is at least `low`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{who}: invalid {name}={value!r}; use an int >= {low}")


def check_flag(who: str, name: str, value: Any) -> None:
    """Raise TypeError unless `value` is True or False."""
    if not isinstance(value, bool):
        raise TypeError(f"{who}: {name} must be True or False, got {value!r}")


def _export(value: Any) -> Any:
    """A deep copy of a state value made of plain arrays, numbers, lists and dicts."""
    if isinstance(value, Tensor):
        return value.numpy().copy()
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_export(v) for v in value)
    if isinstance(value, dict):
        return {k: _export(v) for k, v in value.items()}
    return value


class Optimizer(ABC):
    """Base class: param groups, per-parameter state, zero_grad, state_dict.

    params: an iterable of floating-point leaf Tensors, or of dicts
        {"params": [...], "lr": ...} (param groups with their own options). As in PyTorch,
        frozen tensors (requires_grad=False) may be included: without a grad they never move.
    defaults: the options every group gets unless it sets its own.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        who = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{who}: params must be an iterable of tensors or dicts, got a "
                            "single Tensor; pass [t] or model.parameters()")
        _check_ordered(who, params)
        try:
            items = list(params)
        except TypeError:
            raise TypeError(f"{who}: params must be an iterable of tensors or dicts, got "
                            f"{type(params).__name__}") from None
        if not items:
            raise ValueError(f"{who}: got an empty parameter list")
        self._validate({"params": [], **defaults})
        self.defaults = dict(defaults)
        groups = items if isinstance(items[0], dict) else [{"params": items}]
        self.param_groups: list[dict[str, Any]] = []
        checked = []
        for g in groups:
            checked.append(self._make_group(g, checked))
        self.param_groups = checked
        self.state: dict[Tensor, dict[str, Any]] = {}

    # ------------------------------------------------------------------ groups
    @abstractmethod
    def _validate(self, group: dict[str, Any]) -> None:
        """Check a group's options (each subclass names its own); raise before any change."""

    def _make_group(self, group: Any, others: list[dict[str, Any]]) -> dict[str, Any]:
        who = type(self).__name__
        if not isinstance(group, dict):
            raise TypeError(f"{who}: a param group must be a dict, got {type(group).__name__}")
        if "params" not in group:
            raise ValueError(f"{who}: a param group needs a 'params' entry")
        unknown = sorted(set(group) - set(self.defaults) - {"params", "initial_lr"})
        if unknown:
            raise ValueError(f"{who}: unknown option(s) {unknown} in a param group; "
                             f"known: {sorted(self.defaults)}")
        ps = group["params"]
        _check_ordered(who, ps)
        ps = [ps] if isinstance(ps, Tensor) else list(ps)
        if not ps:
            raise ValueError(f"{who}: a param group has an empty 'params' list")
        seen = {id(p) for g in others for p in g["params"]}
        for k, p in enumerate(ps):
            if not isinstance(p, Tensor):
                raise TypeError(f"{who}: parameter {k} is a {type(p).__name__}, not a Tensor")
            if p.dtype.kind != "f":
                raise ValueError(f"{who}: parameter {k} is {p.dtype} (shape {p.shape}); only "
                                 "floating-point tensors can be optimized")
            if not p.is_leaf:
                raise ValueError(f"{who}: parameter {k} (shape {p.shape}) is not a leaf (it "
                                 f"was made by '{p.record.op}'); optimize leaf tensors only")
            if id(p) in seen:
                raise ValueError(f"{who}: parameter {k} (shape {p.shape}) appears in more "
                                 "than one place")
            seen.add(id(p))
        new = {**self.defaults, **{k: v for k, v in group.items() if k != "params"},
               "params": ps}
        self._validate(new)
        return new

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group (e.g. a layer unfrozen later) with its own options."""
        self.param_groups.append(self._make_group(param_group, self.param_groups))

    def _params(self) -> list[Tensor]:
        return [p for g in self.param_groups for p in g["params"]]

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: `p.grad = None`, or with set_to_none=False zeros written
        into the existing .grad tensors, as in PyTorch."""
        zero_grads(self._params(), set_to_none)

    @abstractmethod
    def step(self, closure: Closure | None = None) -> Tensor | None:
        """Update the parameters once (after re-evaluating the loss through `closure`, when
        given); returns the closure's loss or None."""

    @staticmethod
    def _evaluate(closure: Closure | None) -> Tensor | None:
        """Run the closure (it zeroes grads, computes the loss, calls backward, returns the
        loss) with grad mode on, even when step() itself runs under no_grad."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """{"state": {index: {name: array or number}}, "param_groups": [{options...,
        "params": [indices]}]}, indices counting parameters across groups in order. All
        arrays are copies: later steps do not change a saved state dict."""
        index = {id(p): i for i, p in enumerate(self._params())}
        groups = [{**{k: _export(v) for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        state = {index[id(p)]: _export(s) for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict()` (or `tg.load` of a saved one) gave. Groups must match
        in number and size, per-parameter arrays in shape; nothing changes on error."""
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{who}: expected a dict with keys 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, (list, tuple)) or len(saved_groups) != len(
                self.param_groups):
            n = len(saved_groups) if isinstance(saved_groups, (list, tuple)) else "no"
            raise ValueError(f"{who}: the state has {n} param groups, this optimizer has "
                             f"{len(self.param_groups)}")
        new_groups = []
        for k, (mine, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if not isinstance(saved, dict):
                raise ValueError(f"{who}: param group {k} is a {type(saved).__name__}, not "
                                 "a dict")
            if len(saved.get("params", [])) != len(mine["params"]):
                raise ValueError(f"{who}: param group {k} has {len(saved.get('params', []))} "
                                 f"params in the state, {len(mine['params'])} here")
            unknown = sorted(set(saved) - set(self.defaults) - {"params", "initial_lr"})
            if unknown:
                raise ValueError(f"{who}: param group {k} has unknown option(s) {unknown}")
            group = {**mine, **{o: _import_option(v) for o, v in saved.items()
                                if o != "params"}}
            self._validate(group)
            new_groups.append(group)
        params = self._params()
        group_of = [g for g in new_groups for _ in g["params"]]
        saved_state = state_dict["state"]
        if not isinstance(saved_state, dict):
            raise ValueError(f"{who}: 'state' must be a dict, got "
                             f"{type(saved_state).__name__}")
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, s in saved_state.items():
            i = _index(key)
            if not 0 <= i < len(params) or not isinstance(s, dict):
                raise ValueError(f"{who}: state entry {key!r} does not name a parameter "
                                 f"(there are {len(params)})")
            state = {name: self._import_state(params[i], name, v, who) for name, v in s.items()}
            self._check_state(state, group_of[i], f"{who}: state of parameter {i}")
            new_state[params[i]] = state
        self.param_groups = new_groups
        self.state = new_state

    _counters: tuple[str, ...] = ("step",)  # state entries that count: ints >= 0

    def _check_state(self, state: dict[str, Any], group: dict[str, Any], who: str) -> None:
        """Raise unless a loaded per-parameter state is one the rule can continue from under
        its group's options: the counters must be ints >= 0 (subclasses check the names)."""
        for name in self._counters:
            if name in state:
                check_int(who, name, state[name], low=0)

    def _import_state(self, p: Tensor, name: str, value: Any, who: str) -> Any:
        """One state value as this optimizer keeps it: arrays become Tensors of p's shape
        and dtype (anything else is an error)."""
        if isinstance(value, (Tensor, np.ndarray)):
            arr = np.array(value, copy=True)
            if arr.shape != p.shape or arr.dtype != p.dtype:
                raise ValueError(f"{who}: state '{name}' is {arr.dtype} of shape "
                                 f"{arr.shape}, the parameter is {p.dtype} of shape {p.shape}")
            return Tensor(arr)
        return value

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for k, g in enumerate(self.param_groups):
            opts = ", ".join(f"{o}={v!r}" for o, v in g.items() if o != "params")
            lines.append(f"  group {k}: {len(g['params'])} params, {opts}")
        return "\n".join(lines + [")"])


def _check_ordered(who: str, params: Any) -> None:
    """Refuse a set of parameters (PyTorch's rule for a group's params; here for the whole
    list too): its order changes from run to run, and state_dict() numbers the parameters
    in order, so a saved state would load into the wrong ones."""
    if isinstance(params, (set, frozenset)):
        raise TypeError(f"{who}: parameters must come in an ordered collection (a list), got "
                        f"a {type(params).__name__}, whose order changes between runs")


def _index(key: Any) -> int:
    """A state key as a parameter index: an int, or its digits (-1 for anything else)."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return int(key)
    return int(key) if isinstance(key, str) and key.isdigit() else -1


def _import_option(value: Any) -> Any:
    """Options come back from tg.load as lists/tuples/numbers; one-element tensors become
    numbers."""
    if isinstance(value, Tensor) and value.size == 1:
        return value.item()
    return value


class FirstOrderOptimizer(Optimizer):
    """Base of the rules that move each parameter from its own `.grad` (SGD, Adagrad,
    RMSprop, Adam, AdamW): subclasses give `_update`, the step Δ with θ ← θ − Δ.

    A group with maximize=True hands the rule g = −∇L in place of ∇L, before anything else
    (weight decay included), as PyTorch does: the steps are exactly those that minimizing −L
    would take, so L goes up."""

    def step(self, closure: Closure | None = None) -> Tensor | None:
        """Update every parameter that has a `.grad` once, in place; with a closure, first
        re-evaluate the loss (and grads) through it. Returns the closure's loss or None."""
        loss = self._evaluate(closure)
        states, update = self.state, self._update
        with no_grad():  # nothing is recorded, so the rule may read p and p.grad directly
            for group in self.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    if group["maximize"]:
                        g = -g
                    state = states.get(p)
                    if state is None:
                        state = states[p] = {}
                    p -= update(p, g, group, state)  # in p's storage; bumps its version
        return loss

    @abstractmethod
    def _update(self, theta: Tensor, g: Tensor, group: dict[str, Any],
                state: dict[str, Any]) -> Tensor:
        """The rule: the step Δ (θ ← θ − Δ) of one parameter θ from its gradient g, its
        group's options and its state dict (empty on the first step; updated here).
        Called under no_grad with the parameter and its `.grad` themselves: read them, do
        not write into them (state tensors may be updated in place), and return a new tensor
        of θ's shape. It reads every state entry it needs before it changes any, so a state
        missing an entry fails without changing the others."""

    @abstractmethod
    def _state_names(self, group: dict[str, Any]) -> set[str]:
        """The names in a parameter's state after a step under the group's options."""

    # _state_names under any options; a rule whose names do not depend on its options
    # leaves it empty, and then the names themselves are all it knows
    _known_state: frozenset[str] = frozenset()

    def _check_state(self, state: dict[str, Any], group: dict[str, Any], who: str) -> None:
        """A loaded state is empty (no step yet) or has the rule's names, every one but
        'step' an array of the parameter's shape and dtype (see _import_state). It may keep
        entries of earlier options too (a momentum buffer after momentum was set to 0 in
        param_groups mid-run: the rule leaves it, as PyTorch's do, and a saved state has it)."""
        names = self._state_names(group)
        if state and not names <= set(state) <= (self._known_state or names):
            raise ValueError(f"{who} has entries {sorted(state)}; {type(self).__name__} with "
                             f"these options keeps {sorted(names)} (or nothing before the "
                             "first step)")
        for name, value in state.items():
            if name != "step" and not isinstance(value, Tensor):
                raise ValueError(f"{who}: '{name}' must be an array, got {value!r}")
        super()._check_state(state, group, who)
