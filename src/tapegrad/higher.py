"""Second derivatives through the tape: the vjps are Tensor expressions, so a gradient taken
with create_graph=True can be differentiated again."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .tape import enable_grad, grad
from .tensor import Tensor, _as_array


def _leaf(fn: Callable[[Tensor], Tensor], x: Tensor, who: str) -> Tensor:
    """x as a new leaf to differentiate fn at."""
    if not callable(fn):
        raise TypeError(f"{who}: fn must be callable, got {type(fn).__name__}")
    if not isinstance(x, Tensor):
        raise TypeError(f"{who}: x must be a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{who}: x must be floating-point, got {x.dtype}")
    return x.detach().requires_grad_()


def _gradient(fn: Callable[[Tensor], Tensor], x: Tensor, who: str
              ) -> tuple[Tensor, Tensor | None]:
    """fn(x) as a 0-d tensor, and its gradient at the leaf x recorded for a second
    differentiation: None where it is constant (fn constant or linear in x: the Hessian is
    0, as torch.autograd.functional gives). Call with grad mode on."""
    y = fn(x)
    if not isinstance(y, Tensor) or y.size != 1:
        shape = getattr(y, "shape", type(y).__name__)
        raise ValueError(f"{who}: fn must return a one-element tensor, got {shape}")
    y = y.reshape(())
    if not y.requires_grad:  # fn(x) depends on nothing that requires grad
        return y, None
    (g,) = grad(y, x, create_graph=True, allow_unused=True)
    return y, g if g is not None and g.requires_grad else None


def hvp(fn: Callable[[Tensor], Tensor], x: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
    """(fn(x), H v) where H is the Hessian of the scalar fn at x, like
    torch.autograd.functional.hvp: the gradient g(x) is recorded, then d(g·v)/dx = H v.
    Grad mode is on inside, also when called under no_grad (as in torch)."""
    x = _leaf(fn, x, "hvp")
    v = v if isinstance(v, Tensor) else Tensor._make(_as_array(v, x.dtype, "hvp: v"), False)
    if v.shape != x.shape:
        raise ValueError(f"hvp: v has shape {v.shape}, x has shape {x.shape}")
    with enable_grad():
        y, g = _gradient(fn, x, "hvp")
        hv = None if g is None else grad((g * v.detach()).sum(), x, allow_unused=True)[0]
    return y.detach(), hv if hv is not None else Tensor(np.zeros(x.shape, x.dtype))


def hessian(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """The Hessian of a scalar fn at x, shape x.shape + x.shape: row i is the gradient of
    the i-th entry of the recorded gradient, H_ij = ∂²fn/∂x_i∂x_j. Grad mode is on inside,
    also when called under no_grad (as in torch)."""
    x = _leaf(fn, x, "hessian")
    n = x.size
    h = np.zeros((n, n), dtype=x.dtype)
    with enable_grad():
        _, g = _gradient(fn, x, "hessian")
        if g is not None:
            flat = g.reshape(-1)
            for i in range(n):
                (row,) = grad(flat[i], x, retain_graph=True, allow_unused=True)
                if row is not None:
                    h[i] = row.numpy().reshape(-1)
    return Tensor(h.reshape(x.shape + x.shape))
