"""Quasi-Newton methods (notes 001, "Quasi-Newton methods"): BFGS keeps a dense estimate
of the inverse Hessian, L-BFGS rebuilds its product with the gradient from the last m
curvature pairs (s, y) = (θ_k − θ_{k−1}, ∇J(θ_k) − ∇J(θ_{k−1}))."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .closure_based import LineSearchOptimizer
from .optimizer import check_int

_CURVATURE_EPS = 1e-10  # pairs with yᵀs at or below this are skipped (keeps H positive)


def _curvature_pair(g: np.ndarray, state: dict[str, Any]) -> tuple[np.ndarray, np.ndarray,
                                                                   float]:
    s = state["d"] * state["t"]
    y = g - state["prev_grad"]
    return s, y, float(y @ s)


class LBFGS(LineSearchOptimizer):
    """Limited-memory BFGS (PyTorch's signature and iteration).

    d = −H g by the two-loop recursion over the last history_size pairs (s_i, y_i), with
    H₀ = (yᵀs / yᵀy)·I from the newest pair; then θ ← θ + t·d with t = lr (or from a strong
    Wolfe line search with line_search_fn='strong_wolfe'). One step() runs up to max_iter
    iterations and calls the closure (zero grads, loss, backward, return loss) as needed.
    The history is kept across step() calls and in state_dict().

    The line search and the evaluation budget are PyTorch 2.13's (tapegrad.optim.line_search,
    LineSearchOptimizer): in float64, the steps, losses, func_evals and n_iter match
    torch.optim.LBFGS's up to rounding (which long runs can amplify). max_eval bounds the
    closure calls of one step(), line searches included (it may be exceeded by one), so with
    max_iter=1 (max_eval=1) the "search" takes its first trial step or none: pass max_eval
    to give it room.
    """

    _state_iterated = LineSearchOptimizer._state_iterated + ("old_dirs", "old_stps", "ro",
                                                             "H_diag")

    def __init__(self, params: Iterable[Any], lr: float = 1.0, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        super().__init__(params, lr, max_iter, max_eval, tolerance_grad, tolerance_change,
                         line_search_fn, history_size=history_size)

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        check_int("LBFGS", "history_size", group["history_size"])

    def _direction(self, g: np.ndarray, state: dict[str, Any]) -> np.ndarray:
        if state["n_iter"] == 1:
            state["old_dirs"], state["old_stps"], state["ro"] = [], [], []
            state["H_diag"] = 1.0
            return -g
        s, y, ys = _curvature_pair(g, state)
        if ys > _CURVATURE_EPS:
            if len(state["old_dirs"]) == self.param_groups[0]["history_size"]:
                for key in ("old_dirs", "old_stps", "ro"):
                    state[key].pop(0)
            state["old_dirs"].append(y)
            state["old_stps"].append(s)
            state["ro"].append(1.0 / ys)
            state["H_diag"] = ys / float(y @ y)
        ys_, ss_, ro = state["old_dirs"], state["old_stps"], state["ro"]
        q = -g
        alphas = [0.0] * len(ys_)
        for i in reversed(range(len(ys_))):
            alphas[i] = float(ss_[i] @ q) * ro[i]
            q = q - alphas[i] * ys_[i]
        r = q * state["H_diag"]
        for i in range(len(ys_)):
            beta = float(ys_[i] @ r) * ro[i]
            r = r + ss_[i] * (alphas[i] - beta)
        return r


class BFGS(LineSearchOptimizer):
    """BFGS with a dense n×n inverse-Hessian estimate H (for small parameter counts).

    After each step, with s = θ_k − θ_{k−1}, y = g_k − g_{k−1} and yᵀs > 0 (notes 001):

        H ← (I − s yᵀ/yᵀs) H (I − y sᵀ/yᵀs) + s sᵀ/yᵀs

    starting from H = (yᵀs / yᵀy)·I at the first update (Nocedal & Wright eq. 6.20); the
    direction is d = −H g (reset to −g if it is not a descent direction). Steps use a strong
    Wolfe line search by default (line_search_fn=None takes t = lr). H has n² entries:
    more than max_params parameters raise a ValueError (LBFGS needs only O(n·history)).
    """

    _state_iterated = LineSearchOptimizer._state_iterated + ("H", "updates")

    def __init__(self, params: Iterable[Any], lr: float = 1.0, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9,
                 line_search_fn: str | None = "strong_wolfe", max_params: int = 5000) -> None:
        super().__init__(params, lr, max_iter, max_eval, tolerance_grad, tolerance_change,
                         line_search_fn, max_params=max_params)
        self._check_dense_size(max_params, "")

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        check_int("BFGS", "max_params", group["max_params"])

    def _direction(self, g: np.ndarray, state: dict[str, Any]) -> np.ndarray:
        n = g.size
        if state["n_iter"] == 1:
            state["H"] = np.eye(n, dtype=g.dtype)
            state["updates"] = 0
            return -g
        s, y, ys = _curvature_pair(g, state)
        if ys > _CURVATURE_EPS:
            H = state["H"] if state["updates"] else np.eye(n, dtype=g.dtype) * (ys / (y @ y))
            rho = 1.0 / ys
            V = np.eye(n, dtype=g.dtype) - rho * np.outer(s, y)
            state["H"] = V @ H @ V.T + rho * np.outer(s, s)
            state["updates"] += 1
        d = -state["H"] @ g
        if float(g @ d) >= 0:
            state["H"] = np.eye(n, dtype=g.dtype)
            state["updates"] = 0
            d = -g
        return d
