"""A line search satisfying the strong Wolfe conditions (Nocedal & Wright, Numerical
Optimization, Algorithms 3.5 and 3.6), for the quasi-Newton and conjugate-gradient methods.

Along a descent direction d from x, with φ(t) = f(x + t·d), find t with

    φ(t) ≤ φ(0) + c1·t·φ'(0)        (sufficient decrease)
    |φ'(t)| ≤ c2·|φ'(0)|            (curvature: the slope has flattened enough)

by bracketing an interval that contains such points and shrinking it with safeguarded
cubic interpolation.

The variant is PyTorch's `_strong_wolfe` (a port of Torch7's lswolfe.lua), rule for rule, so
that LBFGS takes the steps torch.optim.LBFGS takes:

- Bracketing (N&W 3.5). The first trial t is evaluated; then, with t_prev = 0 at first,
  [t_prev, t] is the bracket if t lacks sufficient decrease, or φ(t) ≥ φ(t_prev) from the
  third trial on, or φ'(t) ≥ 0; t is returned if it meets both conditions; otherwise the
  next trial is the minimizer of the cubic through t_prev and t, clamped to
  [t + 0.01(t − t_prev), 10t].
- Zoom (N&W 3.6). The low end of the bracket is the end with the lower loss (the first on a
  tie). The trial is the cubic's minimizer within the bracket, with PyTorch's
  insufficient-progress rule: a trial within 0.1·width of an end is taken once, but if the
  previous trial was also that close, or the trial is an end itself, it moves to 0.1·width
  inside the nearer end. A trial without sufficient decrease, or not below the low end,
  replaces the high end (and the low end is chosen again by loss); one that meets both
  conditions is returned; any other becomes the low end, the old low end becoming the high
  end when φ'(t)·(t_hi − t_lo) ≥ 0. The zoom stops, returning the low end, when
  width·max|d| < tolerance_change.
- Budget. max_ls evaluations after the first trial, over both phases. If bracketing spends
  them without finding a bracket, the bracket is [0, last trial]; when they run out, the
  search returns the low end (t = 0 with φ(0) and its gradient if no trial went lower).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

Evaluate = Callable[[np.ndarray], tuple[float, np.ndarray]]


class _Point(NamedTuple):
    t: float
    f: float            # φ(t)
    g: np.ndarray       # the gradient at x + t·d
    slope: float        # φ'(t) = g·d


def _cubic_min(p1: _Point, p2: _Point, lo: float, hi: float) -> float:
    """The minimizer of the cubic through p1 and p2 (values and slopes; N&W eq. 3.59, from
    the right-hand point as in Torch7's polyinterp.lua), clamped to [lo, hi]; the middle of
    [lo, hi] when the cubic has no minimum."""
    with np.errstate(all="ignore"):  # inf and nan as in PyTorch's tensor arithmetic
        a = p1.slope + p2.slope - 3 * np.float64(p1.f - p2.f) / (p1.t - p2.t)
        disc = a * a - p1.slope * p2.slope
        if not disc >= 0:
            return (lo + hi) / 2
        b = np.sqrt(disc)
        if p1.t > p2.t:
            p1, p2 = p2, p1
        t = p2.t - (p2.t - p1.t) * ((p2.slope + b - a) / (p2.slope - p1.slope + 2 * b))
    return float(min(max(t, lo), hi))


def strong_wolfe(evaluate: Evaluate, x: np.ndarray, t: float, d: np.ndarray, f0: float,
                 g0: np.ndarray, c1: float = 1e-4, c2: float = 0.9,
                 tolerance_change: float = 1e-9,
                 max_ls: int = 25) -> tuple[float, float, np.ndarray, int]:
    """Search t > 0 along d from x (loss f0, gradient g0, g0·d < 0), starting at t.

    evaluate(x') -> (loss, flat gradient) at x'. Returns (t, loss, gradient, evaluations),
    with at most max_ls + 1 evaluations (the rules are in the module's docstring)."""
    start = _Point(0.0, f0, g0, float(g0 @ d))
    d_norm = float(np.abs(d).max())

    def trial(t: float) -> _Point:
        f, g = evaluate(x + t * d)
        return _Point(t, f, g, float(g @ d))

    def short_of_decrease(p: _Point) -> bool:  # (False for a nan loss, as in PyTorch)
        return p.f > f0 + c1 * p.t * start.slope

    def flat(p: _Point) -> bool:
        return abs(p.slope) <= -c2 * start.slope

    prev, new = start, trial(t)
    n = 0  # evaluations after the first (PyTorch's ls_iter)
    while n < max_ls:
        if short_of_decrease(new) or (n > 1 and new.f >= prev.f):
            break
        if flat(new):
            return new.t, new.f, new.g, n + 1
        if new.slope >= 0:
            break
        step = new.t - prev.t
        prev, new = new, trial(_cubic_min(prev, new, new.t + 0.01 * step, 10 * new.t))
        n += 1
    else:  # the budget ran out (or was 0) before a bracket was found
        prev = start
    ends = [prev, new]  # kept in this order: the first wins a tie for the low end
    lo = 0 if ends[0].f <= ends[1].f else 1
    insufficient = False
    while n < max_ls:
        left, right = min(ends[0].t, ends[1].t), max(ends[0].t, ends[1].t)
        if (right - left) * d_norm < tolerance_change:
            break
        t = _cubic_min(ends[0], ends[1], left, right)
        eps = 0.1 * (right - left)
        near_end = min(right - t, t - left) < eps
        if near_end and (insufficient or t >= right or t <= left):
            t = right - eps if abs(t - right) < abs(t - left) else left + eps
            insufficient = False
        else:
            insufficient = near_end
        new = trial(t)
        n += 1
        hi = 1 - lo
        if short_of_decrease(new) or new.f >= ends[lo].f:
            ends[hi] = new
            lo = 0 if ends[0].f <= ends[1].f else 1
        elif flat(new):
            return new.t, new.f, new.g, n + 1
        else:
            if new.slope * (ends[hi].t - ends[lo].t) >= 0:
                ends[hi] = ends[lo]
            ends[lo] = new
    best = ends[lo]
    return best.t, best.f, best.g, n + 1
