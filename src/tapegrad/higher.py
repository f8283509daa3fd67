"""Second derivatives through the tape: the vjps are Tensor expressions, so a gradient taken
with create_graph=True can be differentiated again."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .tape import grad
from .tensor import Tensor


def _leaf(x: Tensor) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"expected a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"hessian/hvp need a floating-point input, got {x.dtype}")
    return x.detach().requires_grad_()


def _scalar(y: Tensor, who: str) -> Tensor:
    if not isinstance(y, Tensor) or y.size != 1:
        shape = getattr(y, "shape", type(y).__name__)
        raise ValueError(f"{who}: fn must return a one-element tensor, got {shape}")
    return y.reshape(())


def hvp(fn: Callable[[Tensor], Tensor], x: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
    """(fn(x), H v) where H is the Hessian of the scalar fn at x, like
    torch.autograd.functional.hvp: the gradient g(x) is recorded, then d(g·v)/dx = H v."""
    x = _leaf(x)
    v = v if isinstance(v, Tensor) else Tensor(np.asarray(v, dtype=x.dtype))
    if v.shape != x.shape:
        raise ValueError(f"hvp: v has shape {v.shape}, x has shape {x.shape}")
    y = _scalar(fn(x), "hvp")
    (g,) = grad(y, x, create_graph=True)
    if not g.requires_grad:  # fn is linear in x: H = 0
        return y.detach(), Tensor(np.zeros_like(x.numpy()))
    (hv,) = grad((g * v.detach()).sum(), x, allow_unused=True)
    return y.detach(), hv if hv is not None else Tensor(np.zeros_like(x.numpy()))


def hessian(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """The Hessian of a scalar fn at x, shape x.shape + x.shape: row i is the gradient of
    the i-th entry of the recorded gradient."""
    x = _leaf(x)
    y = _scalar(fn(x), "hessian")
    (g,) = grad(y, x, create_graph=True)
    n = x.size
    h = np.zeros((n, n), dtype=x.dtype)
    if g.requires_grad:
        flat = g.reshape(-1)
        for i in range(n):
            (row,) = grad(flat[i], x, retain_graph=True, allow_unused=True)
            if row is not None:
                h[i] = row.numpy().reshape(-1)
    return Tensor(h.reshape(x.shape + x.shape))
