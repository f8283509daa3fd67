"""Finite-difference checks of the tape's gradients (in float64)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .tape import grad
from .tensor import Tensor


class GradcheckError(ValueError):
    """An analytic gradient that disagrees with finite differences."""


def gradcheck(fn: Callable[..., Tensor], inputs: Tensor | Sequence[Tensor], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0) -> bool:
    """Compare the tape's gradient of fn with central differences, entry by entry.

    The output is reduced to a scalar s = Σ u ⊙ fn(x) with a fixed random u, so one backward
    gives ∂s/∂x for every input entry; each entry is compared with (s(x + εe) − s(x − εe)) / 2ε.
    Inputs are copied to float64 (the inputs given are not changed). Returns True, or raises
    GradcheckError naming the input, the index, both values and the worst relative error.
    """
    given = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not given:
        raise ValueError("gradcheck: no inputs")
    xs = []
    for k, t in enumerate(given):
        if not isinstance(t, Tensor):
            raise TypeError(f"gradcheck: input {k} is {type(t).__name__}, not a Tensor")
        if t.dtype.kind != "f":
            raise TypeError(f"gradcheck: input {k} has dtype {t.dtype}; it needs floats")
        xs.append(Tensor(t.numpy().astype(np.float64), requires_grad=True))
    out = fn(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    u = np.random.default_rng(seed).standard_normal(out.shape)

    def s(*args: Tensor) -> float:
        return float(np.sum(u * fn(*args).numpy().astype(np.float64)))

    if out.requires_grad:
        analytic = grad((out * u).sum(), xs, allow_unused=True)
    else:
        analytic = (None,) * len(xs)
    worst: tuple[float, str] = (0.0, "")
    for k, (x, a) in enumerate(zip(xs, analytic)):
        a_arr = np.zeros(x.shape) if a is None else a.numpy()
        raw = x._data
        for idx in np.ndindex(*x.shape):
            old = raw[idx]
            raw[idx] = old + eps
            plus = s(*xs)
            raw[idx] = old - eps
            minus = s(*xs)
            raw[idx] = old
            numeric = (plus - minus) / (2 * eps)
            err = abs(a_arr[idx] - numeric)
            rel = err / max(abs(numeric), 1e-12)
            if rel > worst[0] and err > atol:
                worst = (rel, _entry(k, idx, a_arr[idx], numeric))
            if err > atol + rtol * abs(numeric):
                raise GradcheckError(f"gradcheck failed: {_entry(k, idx, a_arr[idx], numeric)};"
                                     f" worst relative error so far {worst[0]:.3g} "
                                     f"(atol={atol}, rtol={rtol})")
    return True


def _entry(k: int, idx: tuple[Any, ...], analytic: float, numeric: float) -> str:
    return f"input {k} at index {idx}: analytic {analytic:.8g} vs numeric {numeric:.8g}"
