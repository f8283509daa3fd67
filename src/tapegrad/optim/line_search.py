"""A line search satisfying the strong Wolfe conditions (Nocedal & Wright, Numerical
Optimization, Algorithms 3.5 and 3.6), for the quasi-Newton and conjugate-gradient methods.

Along a descent direction d from x, with φ(t) = f(x + t·d), find t with

    φ(t) ≤ φ(0) + c1·t·φ'(0)        (sufficient decrease)
    |φ'(t)| ≤ c2·|φ'(0)|            (curvature: the slope has flattened enough)

by bracketing an interval that contains such points and shrinking it with safeguarded
cubic interpolation.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Evaluate = Callable[[np.ndarray], tuple[float, np.ndarray]]


def _cubic_min(t1: float, f1: float, d1: float, t2: float, f2: float, d2: float,
               lo: float, hi: float) -> float:
    """The minimizer in [lo, hi] of the cubic through (t1, f1) and (t2, f2) with slopes d1,
    d2 (N&W eq. 3.59); the middle of [lo, hi] when the cubic has no minimum there."""
    if t1 == t2:
        return (lo + hi) / 2
    a = d1 + d2 - 3 * (f1 - f2) / (t1 - t2)
    disc = a * a - d1 * d2
    if disc < 0 or not math.isfinite(disc):
        return (lo + hi) / 2
    b = math.copysign(math.sqrt(disc), t2 - t1)
    denom = d2 - d1 + 2 * b
    if denom == 0:
        return (lo + hi) / 2
    t = t2 - (t2 - t1) * (d2 + b - a) / denom
    return min(max(t, lo), hi) if math.isfinite(t) else (lo + hi) / 2


def strong_wolfe(evaluate: Evaluate, x: np.ndarray, t: float, d: np.ndarray, f0: float,
                 g0: np.ndarray, c1: float = 1e-4, c2: float = 0.9, max_evals: int = 25,
                 tolerance_change: float = 1e-9) -> tuple[float, float, np.ndarray, int]:
    """Search t > 0 along d from x (loss f0, gradient g0, g0·d < 0), starting at t.

    evaluate(x') -> (loss, flat gradient) at x'. Returns (t, loss, gradient, evaluations);
    when max_evals runs out, the best point that decreased the loss (t = 0 if none)."""
    slope0 = float(g0 @ d)
    t_prev, f_prev, s_prev, g_prev = 0.0, f0, slope0, g0
    evals = 0
    bracket = None
    while evals < max_evals:
        f, g = evaluate(x + t * d)
        evals += 1
        s = float(g @ d)
        if f > f0 + c1 * t * slope0 or (evals > 1 and f >= f_prev):
            bracket = (t_prev, f_prev, s_prev, g_prev, t, f, s, g)
            break
        if abs(s) <= -c2 * slope0:
            return t, f, g, evals
        if s >= 0:
            bracket = (t, f, s, g, t_prev, f_prev, s_prev, g_prev)
            break
        # extrapolate: the cubic's minimizer, kept in [t + 0.01(t − t_prev), 10t]
        t_next = _cubic_min(t_prev, f_prev, s_prev, t, f, s, t + 0.01 * (t - t_prev), 10 * t)
        t_prev, f_prev, s_prev, g_prev = t, f, s, g
        t = t_next
    if bracket is None:
        return t_prev, f_prev, g_prev, evals
    return _zoom(evaluate, x, d, f0, slope0, bracket, c1, c2, max_evals - evals, evals,
                 tolerance_change)


def _zoom(evaluate: Evaluate, x: np.ndarray, d: np.ndarray, f0: float, slope0: float,
          bracket: tuple, c1: float, c2: float, budget: int, evals: int,
          tolerance_change: float) -> tuple[float, float, np.ndarray, int]:
    """Shrink [t_lo, t_hi] (t_lo: the lowest loss so far that has sufficient decrease) until
    a point meets both Wolfe conditions (N&W Algorithm 3.6)."""
    t_lo, f_lo, s_lo, g_lo, t_hi, f_hi, s_hi, _ = bracket
    for _ in range(budget):
        width = abs(t_hi - t_lo)
        if width * float(np.abs(d).max()) < tolerance_change:
            break
        left, right = min(t_lo, t_hi), max(t_lo, t_hi)
        t = _cubic_min(t_lo, f_lo, s_lo, t_hi, f_hi, s_hi, left + 0.1 * width,
                       right - 0.1 * width)
        f, g = evaluate(x + t * d)
        evals += 1
        s = float(g @ d)
        if f > f0 + c1 * t * slope0 or f >= f_lo:
            t_hi, f_hi, s_hi = t, f, s
            continue
        if abs(s) <= -c2 * slope0:
            return t, f, g, evals
        if s * (t_hi - t_lo) >= 0:
            t_hi, f_hi, s_hi = t_lo, f_lo, s_lo
        t_lo, f_lo, s_lo, g_lo = t, f, s, g
    return t_lo, f_lo, g_lo, evals
