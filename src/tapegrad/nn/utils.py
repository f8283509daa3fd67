"""Gradient clipping (lecture 001, "gradient clipping"): applied between backward and step;
and the parameters as one flat vector (parameters_to_vector, vector_to_parameters)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..tape import no_grad
from ..tensor import Tensor, concatenate


def _grads(parameters: Tensor | Iterable[Tensor], who: str) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for k, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{who}: item {k} is {type(p).__name__}, not a Tensor")
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Rescale the gradients in place so that their joint norm is at most max_norm.

    total = (Σ_p ‖g_p‖_q^q)^(1/q) over all gradients together (q = norm_type; inf: max |g|);
    if total > max_norm every gradient is multiplied by max_norm / (total + 1e-6), as in
    PyTorch. A NaN among the gradients makes the total NaN (whatever its place), and then,
    as in PyTorch, every gradient is multiplied by that NaN factor (error_if_nonfinite=True
    raises instead). Returns the total norm *before* clipping, as a 0-d tensor."""
    who = "clip_grad_norm_"
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.number)) \
            or not max_norm >= 0:
        raise ValueError(f"{who}: max_norm must be a non-negative number, got {max_norm!r}")
    try:  # a number, or a string such as 'inf' (PyTorch takes float(norm_type))
        q = math.nan if isinstance(norm_type, bool) else float(norm_type)
    except (TypeError, ValueError):
        q = math.nan
    if not (q == math.inf or q > 0):
        raise ValueError(f"{who}: norm_type must be positive or inf, got {norm_type!r}")
    grads = _grads(parameters, who)
    dtype = grads[0].dtype if grads else np.dtype(np.float32)
    if not grads:
        return Tensor(np.zeros((), dtype))
    if q == math.inf:  # max |g| is exact in any float dtype; np.max keeps a NaN wherever it is
        total = float(np.max([np.max(np.abs(g._data)) if g.size else 0.0 for g in grads]))
    else:  # summed in float64, one gradient at a time (for q = 2, |g|² = g·g exactly)
        sums = [np.sum(np.square(g._data, dtype=np.float64)) if q == 2.0
                else np.sum(np.abs(g._data, dtype=np.float64) ** q) for g in grads]
        total = float(np.sum(sums) ** (1.0 / q))
    if error_if_nonfinite and not math.isfinite(total):
        raise ValueError(f"{who}: the total norm of order {norm_type} of the gradients is "
                         f"{total}; nothing was clipped")
    coef = max_norm / (total + 1e-6)
    if not coef >= 1.0:  # coef < 1, or NaN: PyTorch multiplies by min(coef, 1) = NaN
        with no_grad(), np.errstate(invalid="ignore"):  # inf·0 = NaN, quietly, as in PyTorch
            for g in grads:
                g.copy_(np.asarray(g) * np.asarray(coef, g.dtype))
    return Tensor(np.asarray(total, dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clip every gradient entry to [−clip_value, clip_value], in place."""
    if isinstance(clip_value, bool) or not isinstance(clip_value, (int, float, np.number)) \
            or not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be a non-negative number, got "
                         f"{clip_value!r}")
    grads = _grads(parameters, "clip_grad_value_")
    with no_grad():
        for g in grads:
            g.copy_(np.clip(np.asarray(g), -clip_value, clip_value))


def _params(parameters: Tensor | Iterable[Tensor], who: str) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for k, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{who}: item {k} is {type(p).__name__}, not a Tensor")
    if not params:
        raise ValueError(f"{who}: no parameters given")
    return params


def parameters_to_vector(parameters: Tensor | Iterable[Tensor]) -> Tensor:
    """The parameters flattened and joined into one 1-D tensor, in order: [vec(p₁); vec(p₂);
    ...]. Recorded (a concatenation of reshapes), so a loss of it differentiates back to
    the parameters, as in PyTorch."""
    return concatenate([p.reshape(-1) for p in _params(parameters, "parameters_to_vector")])


def vector_to_parameters(vec: Tensor, parameters: Tensor | Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D vec into the parameters, in place (the inverse of
    parameters_to_vector); each keeps its dtype and its identity, so optimizers holding it
    see the new values. Deliberately unlike PyTorch, which makes each parameter a view of
    vec: here they do not share memory with vec. vec must have exactly as many entries as
    the parameters; otherwise ValueError, and nothing is written."""
    who = "vector_to_parameters"
    if not isinstance(vec, Tensor):
        raise TypeError(f"{who}: expected vec to be a Tensor, got {type(vec).__name__}")
    params = _params(parameters, who)
    total = sum(p.size for p in params)
    if vec.shape != (total,):
        raise ValueError(f"{who}: vec has shape {vec.shape}, the parameters need ({total},)")
    flat, start = vec.numpy(), 0
    with no_grad():
        for p in params:
            p.copy_(flat[start:start + p.size].reshape(p.shape))
            start += p.size
