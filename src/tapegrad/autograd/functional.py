"""torch.autograd.functional's jacobian, hessian and hvp, by tapegrad's reverse sweeps."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .. import higher
from ..tape import enable_grad, grad
from ..tensor import Tensor, stack, zeros

__all__ = ["hessian", "hvp", "jacobian"]


def jacobian(func: Callable[..., Tensor], inputs: Tensor | Sequence[Tensor],
             create_graph: bool = False) -> Tensor | tuple[Tensor, ...]:
    """J_ij = ∂ func(x)_i / ∂ x_j, of shape func(x).shape + x.shape, by one reverse sweep per
    output entry (row i is the gradient of eᵢᵀ func(x)). For a tuple of inputs, func takes
    them in order and the result is a tuple of one Jacobian per input. With create_graph the
    Jacobian is recorded (differentiable w.r.t. the inputs that require grad); else the
    inputs are differentiated as new leaves and the result requires no grad. An output that
    does not depend on an input gives zeros for it, as in PyTorch. Grad mode is on inside."""
    single = isinstance(inputs, Tensor)
    given = [inputs] if single else list(inputs)
    xs = []
    for k, x in enumerate(given):
        if not isinstance(x, Tensor) or x.dtype.kind != "f":
            what = x.dtype if isinstance(x, Tensor) else type(x).__name__
            raise TypeError(f"jacobian: input {k} must be a floating-point Tensor, got {what}")
        xs.append(x if create_graph and x.requires_grad else x.detach().requires_grad_())
    with enable_grad():
        y = func(*xs)
        if not isinstance(y, Tensor):
            raise TypeError(f"jacobian: func must return a Tensor, got {type(y).__name__}")
        rows: list[list[Tensor]] = [[] for _ in xs]
        for i in range(y.size):
            grads = [None] * len(xs)
            if y.requires_grad:
                one_hot = np.zeros(y.size, y.dtype)
                one_hot[i] = 1
                grads = grad(y, xs, grad_outputs=Tensor(one_hot.reshape(y.shape)),
                             retain_graph=True, create_graph=create_graph, allow_unused=True)
            for row, x, g in zip(rows, xs, grads):
                row.append(zeros(x.shape, dtype=x.dtype) if g is None else g)
    jacobians = tuple(stack(row).reshape(y.shape + x.shape) if row
                      else zeros(y.shape + x.shape, dtype=x.dtype) for row, x in zip(rows, xs))
    return jacobians[0] if single else jacobians


def hessian(func: Callable[[Tensor], Tensor], inputs: Tensor) -> Tensor:
    """The Hessian of a scalar func at inputs, shape inputs.shape * 2 (tg.hessian)."""
    return higher.hessian(func, inputs)


def hvp(func: Callable[[Tensor], Tensor], inputs: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
    """(func(inputs), H v) for the Hessian H of a scalar func (tg.hvp)."""
    return higher.hvp(func, inputs, v)
