"""The shared machinery of the full-batch methods that see all parameters as one flat
vector x and re-evaluate the loss through a closure: quasi-Newton (LBFGS, BFGS), nonlinear
conjugate gradient and Newton.

Their state (directions, curvature pairs, inverse-Hessian estimates) lives under the first
parameter, as in PyTorch's LBFGS, as numpy arrays over x, and is saved by state_dict like any
other optimizer's.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tape import no_grad
from ..tensor import Tensor
from .line_search import strong_wolfe
from .optimizer import Closure, Optimizer, check_int, check_number


class ClosureOptimizer(Optimizer):
    """Base class: one param group, parameters flattened into x, step(closure) required."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(f"{type(self).__name__}: supports a single param group, got "
                             f"{len(self.param_groups)}")

    def _check_dense_size(self, max_params: int, cost: str) -> None:
        """A ValueError when n parameters are too many for an n×n matrix."""
        n = self._numel()
        if n > max_params:
            raise ValueError(f"{type(self).__name__}: {n} parameters need a dense {n}×{n} "
                             f"matrix ({n * n} entries{cost}), more than max_params="
                             f"{max_params} allows; use LBFGS, or raise max_params")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        raise ValueError(f"{type(self).__name__}: supports a single param group; list all "
                         "parameters when constructing it")

    # ------------------------------------------------------------------ flat view
    @property
    def _flat_params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    def _numel(self) -> int:
        return sum(p.size for p in self._flat_params)

    def _dtype(self) -> np.dtype:
        return np.result_type(*[p.dtype for p in self._flat_params])

    def _gather(self) -> np.ndarray:
        """x: all parameters, flattened and concatenated (a copy)."""
        return np.concatenate([p.numpy().reshape(-1) for p in self._flat_params]).astype(
            self._dtype())

    def _flat_grad(self) -> np.ndarray:
        """The parameters' gradients as one vector (zeros where a grad is None)."""
        parts = [np.zeros(p.size, self._dtype()) if p.grad is None else
                 p.grad.numpy().reshape(-1) for p in self._flat_params]
        return np.concatenate(parts).astype(self._dtype())

    def _scatter(self, x: np.ndarray) -> None:
        """Write x back into the parameters, in place (each version is bumped)."""
        offset = 0
        with no_grad():
            for p in self._flat_params:
                p.copy_(x[offset:offset + p.size].reshape(p.shape))
                offset += p.size

    def _closure_eval(self, closure: Closure) -> tuple[Tensor, np.ndarray]:
        loss = self._evaluate(closure)
        if not isinstance(loss, Tensor) or loss.size != 1:
            raise TypeError(f"{type(self).__name__}.step: the closure must return the loss "
                            f"as a one-element Tensor, got {type(loss).__name__}")
        return loss, self._flat_grad()

    def _require_closure(self, closure: Closure | None) -> Closure:
        if closure is None or not callable(closure):
            raise ValueError(f"{type(self).__name__}.step needs a closure that zeroes the "
                             "grads, computes the loss, calls backward and returns the loss")
        return closure

    # ------------------------------------------------------------------ checkpoints
    _counters = ("func_evals", "n_iter", "updates")
    _state_always: tuple[str, ...] = ()  # names in the state from the first step() on
    _state_iterated: tuple[str, ...] = ()  # ... and once n_iter >= 1
    _state_optional: tuple[str, ...] = ()  # ... and sometimes

    def _check_state(self, state: dict[str, Any], group: dict[str, Any], who: str) -> None:
        """A loaded state must hold the names a step() leaves (its counters ints >= 0) and
        no others, so the next step() can continue from it."""
        super()._check_state(state, group, who)
        needed = set(self._state_always)
        if isinstance(state.get("n_iter"), (int, np.integer)) and state["n_iter"] >= 1:
            needed |= set(self._state_iterated)
        known = set(self._state_always + self._state_iterated + self._state_optional)
        missing, unknown = sorted(needed - set(state)), sorted(set(state) - known)
        if missing or unknown:
            problems = ([f"lacks {missing}"] if missing else []) + (
                [f"has unknown entries {unknown}"] if unknown else [])
            raise ValueError(f"{who} {' and '.join(problems)}; {type(self).__name__} keeps "
                             f"{sorted(known)}")

    def _import_state(self, p: Tensor, name: str, value: Any, who: str) -> Any:
        """Arrays stay numpy arrays over x (length n, or n×n, or k×n); lists stay lists."""
        if isinstance(value, (list, tuple)):
            return [self._import_state(p, name, v, who) for v in value]
        if isinstance(value, (Tensor, np.ndarray)):
            arr = np.array(value, copy=True)
            n = self._numel()
            if arr.ndim == 0:
                return arr.item()
            if arr.shape[-1] != n or arr.ndim > 2 or arr.dtype != self._dtype():
                raise ValueError(f"{who}: state '{name}' is {arr.dtype} of shape "
                                 f"{arr.shape}, which does not fit {n} parameters of dtype "
                                 f"{self._dtype()}")
            return arr
        return value


class LineSearchOptimizer(ClosureOptimizer):
    """The iteration shared by LBFGS, BFGS and conjugate gradient: up to max_iter times,
    pick a descent direction d from the gradient history, take a step t along it (lr, or
    a strong-Wolfe line search), stop early when the gradient, the step or the loss change
    fall below their tolerances. Subclasses supply `_direction`.

    The evaluation budget is torch.optim.LBFGS's, for all three methods: max_eval (default
    max_iter·5//4) counts the closure calls of one step() and is checked after each
    iteration; a line search may make max_ls = max_eval − (calls so far in this step())
    calls after its first trial, so a step() makes at most max_eval + 1 calls. With
    max_iter=1 (so max_eval=1) a search evaluates only its first trial, kept if the loss
    went down (else t = 0): to step one iteration at a time with a full search, pass
    max_eval (e.g. 25)."""

    _c2 = 0.9  # the curvature constant of the strong Wolfe conditions
    _state_always = ("func_evals", "n_iter")
    _state_iterated = ("prev_grad", "prev_loss")
    _state_optional = ("d", "t")

    def __init__(self, params: Iterable[Any], lr: float, max_iter: int, max_eval: int | None,
                 tolerance_grad: float, tolerance_change: float, line_search_fn: str | None,
                 **extra: Any) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                                  "tolerance_grad": tolerance_grad,
                                  "tolerance_change": tolerance_change,
                                  "line_search_fn": line_search_fn, **extra})

    def _validate(self, group: dict[str, Any]) -> None:
        who = type(self).__name__
        check_number(who, "lr", group["lr"], low_open=True)
        check_int(who, "max_iter", group["max_iter"])
        check_int(who, "max_eval", group["max_eval"])
        check_number(who, "tolerance_grad", group["tolerance_grad"])
        check_number(who, "tolerance_change", group["tolerance_change"])
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(f"{who}: invalid line_search_fn={group['line_search_fn']!r}; "
                             "use None or 'strong_wolfe'")

    @abstractmethod
    def _direction(self, g: np.ndarray, state: dict[str, Any]) -> np.ndarray:
        """The search direction at gradient g; state holds the previous 'd', 't' and
        'prev_grad' (when state['n_iter'] > 1) and the method's own memory."""

    def _first_t(self, g: np.ndarray, d: np.ndarray, state: dict[str, Any]) -> float:
        """The trial step length: min(1, 1/‖g‖₁)·lr on the first iteration, then lr. The
        state still holds the previous iteration's 'd', 't' and 'prev_grad'."""
        lr = self.param_groups[0]["lr"]
        if state["n_iter"] > 1:
            return lr
        return min(1.0, 1.0 / float(np.abs(g).sum())) * lr  # g ≠ 0: step() checked it

    def step(self, closure: Closure | None = None) -> Tensor:  # type: ignore[override]
        """Run up to max_iter iterations; returns the loss at the starting point."""
        closure = self._require_closure(closure)
        group = self.param_groups[0]
        orig_loss, g = self._closure_eval(closure)  # failing here, it leaves no state
        state = self.state.setdefault(self._flat_params[0], {"func_evals": 0, "n_iter": 0})
        f = float(orig_loss.item())
        evals = 1
        state["func_evals"] += 1
        if np.abs(g).max() <= group["tolerance_grad"]:
            return orig_loss

        def evaluate(x_new: np.ndarray) -> tuple[float, np.ndarray]:
            self._scatter(x_new)
            loss, grad = self._closure_eval(closure)  # type: ignore[arg-type]
            return float(loss.item()), grad

        x = self._gather()
        for it in range(group["max_iter"]):
            state["n_iter"] += 1
            d = self._direction(g, state)
            t = self._first_t(g, d, state)
            state["prev_grad"], state["prev_loss"] = g, f
            slope = float(g @ d)
            if slope > -group["tolerance_change"]:  # no step along d; the state keeps d
                state["d"], state["t"] = d, t       # and t all the same, as PyTorch's does
                break
            last = it == group["max_iter"] - 1
            if group["line_search_fn"] == "strong_wolfe":
                t, f, g, used = strong_wolfe(evaluate, x, t, d, f, g, c2=self._c2,
                                             tolerance_change=group["tolerance_change"],
                                             max_ls=group["max_eval"] - evals)
                x = x + t * d
                self._scatter(x)
            else:
                x = x + t * d
                self._scatter(x)
                used = 0
                if not last:
                    f, g = evaluate(x)
                    used = 1
            state["d"], state["t"] = d, t
            evals += used
            state["func_evals"] += used
            if last or evals >= group["max_eval"]:
                break
            if (np.abs(g).max() <= group["tolerance_grad"]
                    or np.abs(t * d).max() <= group["tolerance_change"]
                    or abs(f - state["prev_loss"]) < group["tolerance_change"]):
                break
        return orig_loss
