"""PyTorch's torch.autograd spellings: `tg.autograd.grad`, `tg.autograd.backward` and
`tg.autograd.functional.jacobian/hessian/hvp`, on tapegrad's one reverse sweep (tape.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import tape as _tape
from ..tape import grad
from ..tensor import Tensor
from . import functional

__all__ = ["backward", "functional", "grad"]


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None,
             retain_graph: bool | None = None, create_graph: bool = False,
             inputs: Tensor | Sequence[Tensor] | None = None) -> None:
    """Accumulate the gradients of `tensors` into `.grad` of the leaves they depend on (with
    `inputs`: of those tensors only), as torch.autograd.backward:
    Σ_k grad_tensors[k]ᵀ · d tensors[k] / d leaf. grad_tensors holds one gradient per tensor
    (the tensor's shape), or None for a one-element tensor (its gradient is 1); retain_graph
    defaults to create_graph."""
    roots = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    for k, t in enumerate(roots):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward: tensor {k} must be a Tensor, got {type(t).__name__}")
    grads = None
    if grad_tensors is not None:
        grads = ([grad_tensors] if isinstance(grad_tensors, Tensor) or len(roots) == 1
                 and not isinstance(grad_tensors, (list, tuple)) else list(grad_tensors))
    _tape.backward(roots, grads, retain_graph=create_graph if retain_graph is None
                   else retain_graph, create_graph=create_graph, inputs=inputs)
