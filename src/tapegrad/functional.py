"""Composites: activations, softmax, losses, dropout, normalization, built only from
primitives. None of them has a backward of its own; the tape differentiates them."""

from __future__ import annotations

from . import ops
from .tensor import Tensor, _axes


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x - logsumexp(x): stable for any magnitude of x."""
    return x - ops.logsumexp(x, axis=_axes(axis, x.ndim, "log_softmax"), keepdims=True)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x - logsumexp(x)) = exp(x_i) / sum_j exp(x_j), without overflow."""
    return ops.exp(log_softmax(x, axis))
