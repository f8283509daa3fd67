"""Nonlinear conjugate gradient, Polak–Ribière (notes 001, "Conjugate gradients")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .closure_based import LineSearchOptimizer
from .optimizer import check_int


class ConjugateGradient(LineSearchOptimizer):
    """Nonlinear conjugate gradient with the Polak–Ribière+ update and a strong Wolfe line
    search (Nocedal & Wright §5.2):

        β = max(0, g_kᵀ(g_k − g_{k−1}) / g_{k−1}ᵀg_{k−1}),    d_k = −g_k + β·d_{k−1}

    restarting with d = −g every `restart` iterations (default: the number of parameters)
    and whenever d is not a descent direction. Directions are conjugate with respect to the
    Hessian on a quadratic. The first trial step of each line search is
    t_{k−1}·g_{k−1}ᵀd_{k−1} / g_kᵀd_k (N&W eq. 3.60). For small, full-batch problems; one
    step() runs up to max_iter iterations.
    """

    _c2 = 0.1  # CG needs a tighter curvature condition than quasi-Newton methods

    def __init__(self, params: Iterable[Any], lr: float = 1.0, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, restart: int | None = None) -> None:
        super().__init__(params, lr, max_iter, max_eval, tolerance_grad, tolerance_change,
                         "strong_wolfe", restart=restart)

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        if group["restart"] is not None:
            check_int("ConjugateGradient", "restart", group["restart"])
        if group["line_search_fn"] != "strong_wolfe":
            raise ValueError("ConjugateGradient: always uses line_search_fn='strong_wolfe'")

    def _direction(self, g: np.ndarray, state: dict[str, Any]) -> np.ndarray:
        restart = self.param_groups[0]["restart"] or g.size
        if state["n_iter"] == 1 or (state["n_iter"] - 1) % restart == 0:
            return -g
        prev = state["prev_grad"]  # nonzero: the previous iteration would have stopped
        beta = max(0.0, float(g @ (g - prev)) / float(prev @ prev))
        d = -g + beta * state["d"]
        return d if float(g @ d) < 0 else -g

    def _first_t(self, g: np.ndarray, d: np.ndarray, state: dict[str, Any]) -> float:
        if state["n_iter"] == 1 or "d" not in state:
            return super()._first_t(g, d, state)
        prev_slope = float(state["prev_grad"] @ state["d"])
        return min(state["t"] * prev_slope / float(g @ d), 1e10)
