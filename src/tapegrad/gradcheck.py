"""Finite-difference checks of the tape's gradients (in float64)."""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .tape import enable_grad, grad
from .tensor import Tensor


class GradcheckError(ValueError):
    """An analytic gradient that disagrees with finite differences."""


def gradcheck(fn: Callable[..., Any], inputs: Tensor | Sequence[Tensor], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Compare the tape's Jacobian of fn with central differences, entry by entry.

    For every checked input entry x_j and every output entry y_i,
        numeric  J_ij = (y_i(x + ε e_j) − y_i(x − ε e_j)) / 2ε   (two forward passes per j),
        analytic J_ij = (eᵢᵀ J)_j                                (one reverse sweep per i),
    and each pair must satisfy |analytic − numeric| ≤ atol + rtol·|numeric| (any NaN
    fails; an infinity passes only where both sides are the same infinity).

    inputs: a Tensor or a list/tuple of Tensors, passed to fn in that order. The floating
    inputs that require grad are checked; if none requires grad, every floating input is.
    Checked inputs are given to fn as float64 copies (the tensors passed in are not changed);
    the others (integer class labels, masks, fixed weights) are passed through unchanged.
    fn returns a Tensor or a tuple/list of Tensors; every floating output is checked.
    fn runs with grad mode on, also when gradcheck is called under no_grad.
    eps > 0, atol ≥ 0 and rtol ≥ 0 are finite numbers.

    Returns True, or raises GradcheckError with the worst entry (the largest excess of
    |analytic − numeric| over its tolerance): input and output index, both values, and how
    many entries fail.
    """
    if not callable(fn):
        raise TypeError(f"gradcheck: fn must be callable, got {type(fn).__name__}")
    _check_number("eps", eps, zero_ok=False)
    _check_number("atol", atol, zero_ok=True)
    _check_number("rtol", rtol, zero_ok=True)
    given = _as_inputs(inputs)
    floats = [k for k, t in enumerate(given) if t.dtype.kind == "f"]
    checked = [k for k in floats if given[k].requires_grad] or floats
    if not checked:
        dtypes = ", ".join(str(t.dtype) for t in given)
        raise ValueError(f"gradcheck: no floating-point input to differentiate (inputs are "
                         f"{dtypes})")
    args: list[Tensor] = list(given)
    for k in checked:
        args[k] = Tensor(np.array(given[k].numpy(), dtype=np.float64, order="C"),
                         requires_grad=True)
    xs = [args[k] for k in checked]
    with enable_grad():
        outs, out_labels = _outputs(_first_call(fn, args))
        analytic = _analytic_jacobian(outs, xs)
        numeric = _numeric_jacobian(fn, args, xs, outs, eps)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(np.subtract(analytic, numeric))
        tol = np.abs(numeric)
        tol *= rtol
        tol += atol
        ok = (analytic == numeric) | (diff <= tol)  # NaN compares False: it fails
    if ok.all():
        return True
    with np.errstate(invalid="ignore", over="ignore"):
        excess = np.where(ok, -np.inf, np.nan_to_num(diff - tol, nan=np.inf))
    row, col = np.unravel_index(int(np.argmax(excess)), excess.shape)
    out_name = _entry(out_labels, outs, int(row))
    in_name = _entry([_label(f"input {k}", given[k]) for k in checked], xs, int(col))
    a, n = analytic[row, col], numeric[row, col]
    why = (f"|analytic − numeric| = {diff[row, col]:.3g} > atol + rtol·|numeric| = "
           f"{tol[row, col]:.3g}" if np.isfinite([a, n]).all() else "not finite")
    raise GradcheckError(
        f"gradcheck failed at d {out_name} / d {in_name}: analytic {a:.8g} vs numeric "
        f"{n:.8g}, {why} (the worst of {int((~ok).sum())} of {ok.size} Jacobian entries out "
        f"of tolerance; eps={eps}, atol={atol}, rtol={rtol})")


def _check_number(name: str, value: Any, zero_ok: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"gradcheck: {name} must be a real number, got "
                        f"{type(value).__name__} {value!r}")
    if not (np.isfinite(value) and (value >= 0 if zero_ok else value > 0)):
        need = "non-negative" if zero_ok else "positive"
        raise ValueError(f"gradcheck: {name} must be a {need} finite number, got {value!r}")


def _as_inputs(inputs: Any) -> list[Tensor]:
    if isinstance(inputs, Tensor):
        return [inputs]
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"gradcheck: inputs must be a Tensor or a list/tuple of Tensors, got "
                        f"{type(inputs).__name__}")
    if not inputs:
        raise ValueError("gradcheck: no inputs")
    for k, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"gradcheck: input {k} is {type(t).__name__}, not a Tensor "
                            "(wrap arrays in tg.tensor)")
    return list(inputs)


def _first_call(fn: Callable[..., Any], args: list[Tensor]) -> Any:
    """fn(*args); a float32 layer meeting the float64 copies gets a hint how to fix it."""
    try:
        return fn(*args)
    except TypeError as e:
        if not re.search(r"float(16|32)", str(e)):
            raise
        raise TypeError(f"gradcheck: fn failed: {e}. gradcheck evaluates fn on float64 "
                        "copies of the inputs, so the tensors fn uses besides them (a module's "
                        "parameters, captured data) must be float64 too: create the layers "
                        "with dtype='float64' or convert the module with module.double()"
                        ) from e


def _outputs(result: Any) -> tuple[list[Tensor], list[str]]:
    """The floating outputs of fn (a Tensor or a tuple/list of them) and their labels."""
    several = isinstance(result, (list, tuple))
    outs = list(result) if several else [result]
    for k, t in enumerate(outs):
        if not isinstance(t, Tensor):
            what = f"output {k} is" if several else "got"
            raise TypeError("gradcheck: fn must return a Tensor or a tuple of Tensors, "
                            f"{what} {type(t).__name__}")
    floats = [k for k, t in enumerate(outs) if t.dtype.kind == "f"]
    if not floats:
        dtypes = ", ".join(str(t.dtype) for t in outs)
        raise ValueError(f"gradcheck: fn returned no floating-point output to check "
                         f"(got {dtypes})")
    return ([outs[k] for k in floats],
            [_label(f"output {k}" if several else "output", outs[k]) for k in floats])


def _analytic_jacobian(outs: list[Tensor], xs: list[Tensor]) -> np.ndarray:
    """Row i = eᵢᵀ J: one reverse sweep per output entry (zero where no input reaches it)."""
    jac = np.zeros((sum(t.size for t in outs), sum(x.size for x in xs)))
    row = 0
    for out in outs:
        if not out.requires_grad:
            row += out.size
            continue
        for i in range(out.size):
            seed = np.zeros(out.size, out.dtype)
            seed[i] = 1
            grads = grad(out, xs, seed.reshape(out.shape), retain_graph=True,
                         allow_unused=True)
            jac[row] = np.concatenate([np.zeros(x.size) if g is None else g.numpy().reshape(-1)
                                       for x, g in zip(xs, grads)])
            row += 1
    return jac


def _numeric_jacobian(fn: Callable[..., Any], args: list[Tensor], xs: list[Tensor],
                      outs: list[Tensor], eps: float) -> np.ndarray:
    """Column j = (y(x + ε e_j) − y(x − ε e_j)) / 2ε, each input entry moved in place."""
    shapes = [t.shape for t in outs]

    def y() -> np.ndarray:
        now, _ = _outputs(fn(*args))
        if [t.shape for t in now] != shapes:
            raise ValueError(f"gradcheck: fn's output shapes changed from {shapes} to "
                             f"{[t.shape for t in now]} when an input moved by eps")
        return np.concatenate([t.numpy().astype(np.float64).reshape(-1) for t in now])

    jac = np.empty((sum(t.size for t in outs), sum(x.size for x in xs)))
    col = 0
    for x in xs:
        data = x._data  # the float64 copy, moved in place, entry by entry in C order
        for j in np.ndindex(data.shape):
            old = data[j]
            data[j] = old + eps
            plus = y()
            data[j] = old - eps
            minus = y()
            data[j] = old
            jac[:, col] = (plus - minus) / (2 * eps)
            col += 1
    return jac


def _entry(labels: list[str], ts: list[Tensor], flat: int) -> str:
    """'input 2 (W1)[1, 0]': entry `flat` of the flattened tensors ts, laid end to end."""
    ends = np.cumsum([t.size for t in ts])
    k = int(np.searchsorted(ends, flat, side="right"))
    idx = np.unravel_index(flat - (ends[k] - ts[k].size), ts[k].shape)
    return labels[k] + (f"[{', '.join(str(int(i)) for i in idx)}]" if idx else "")


def _label(what: str, t: Tensor) -> str:
    return f"{what} ({t.name})" if t.name else what
