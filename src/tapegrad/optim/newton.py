"""Newton's method with the exact Hessian from the engine (notes 001, "Newton's method";
notes 004, "Newton's method")."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..tape import grad
from ..tensor import Tensor, concatenate
from .closure_based import ClosureOptimizer
from .optimizer import Closure, check_flag, check_int, check_number

_MAX_DAMPING = 1e20  # no decrease even then: θ is a minimum to working precision


class Newton(ClosureOptimizer):
    """One (damped) Newton step per step(closure) over all parameters flattened into θ:

        θ ← θ − lr·(H + α·I)⁻¹ g

    g and the dense n×n Hessian H come from the engine: the gradient is taken with
    create_graph=True and each of its n entries is differentiated again. α = damping > 0
    is the lecture's regularized step (H + αI)⁻¹g: it turns into gradient descent with rate
    1/α as α grows and stops the step from climbing along directions where H has negative
    eigenvalues λ with |λ| < 2α. Undamped Newton is drawn to any stationary point, saddles
    included.

    adaptive=True adjusts α as Levenberg–Marquardt does: a step is kept only if the loss
    decreases, after which α ← α/10; otherwise it is retried with α ← max(10α, 1e-3), up
    to 30 times per step (θ stays put if none decreases the loss). Far from a minimum this
    is cautious gradient descent, near one it is Newton's quadratically convergent step.
    The current α is kept in the state.

    The closure recomputes and returns the loss *with its graph*: either do not call
    backward in it (Newton differentiates the loss itself) or call
    loss.backward(create_graph=True). Afterwards `.grad` holds g at the old θ.
    max_params bounds n (the Hessian has n² entries and costs n backward sweeps).
    """

    _state_always = ("n_iter",)
    _state_optional = ("damping",)

    def __init__(self, params: Iterable[Any], lr: float = 1.0, damping: float = 0.0,
                 adaptive: bool = False, max_params: int = 2000) -> None:
        super().__init__(params, {"lr": lr, "damping": damping, "adaptive": adaptive,
                                  "max_params": max_params})
        self._check_dense_size(max_params, f", {self._numel()} backward sweeps per step")

    def _validate(self, group: dict[str, Any]) -> None:
        check_number("Newton", "lr", group["lr"], low_open=True)
        check_number("Newton", "damping", group["damping"])
        check_flag("Newton", "adaptive", group["adaptive"])
        check_int("Newton", "max_params", group["max_params"])

    def _gradient(self, loss: Tensor, ps: list[Tensor]) -> list[Tensor]:
        """The gradient of loss w.r.t. the parameters ps, recorded (create_graph=True)."""
        node = loss.record
        if node is not None and not node.freed:
            return list(grad(loss, ps, create_graph=True, allow_unused=True))
        if all(p.grad is not None and p.grad.requires_grad for p in ps):
            return [p.grad for p in ps]  # type: ignore[misc]
        raise ValueError("Newton.step: the closure's loss has no graph left to differentiate "
                         "twice; return the loss without calling backward, or call "
                         "loss.backward(create_graph=True)")

    def _hessian(self, g_flat: Tensor, ps: list[Tensor]) -> np.ndarray:
        """Row i = ∂g_i/∂θ, one reverse sweep per row through the recorded gradient."""
        n = g_flat.size
        H = np.zeros((n, n), dtype=self._dtype())
        if not g_flat.requires_grad:  # the loss is linear in θ
            return H
        for i in range(n):
            rows = grad(g_flat[i], ps, retain_graph=True, allow_unused=True)
            H[i] = np.concatenate([np.zeros(p.size) if r is None else r.numpy().reshape(-1)
                                   for p, r in zip(ps, rows)])
        return H

    def step(self, closure: Closure | None = None) -> Tensor:  # type: ignore[override]
        closure = self._require_closure(closure)
        group = self.param_groups[0]
        ps = self._flat_params
        loss = self._evaluate(closure)
        if not isinstance(loss, Tensor) or loss.size != 1:
            raise TypeError("Newton.step: the closure must return the loss as a one-element "
                            f"Tensor, got {type(loss).__name__}")
        state = self.state.setdefault(ps[0], {"n_iter": 0})
        trainable = [p for p in ps if p.requires_grad]  # frozen ones keep their values
        if not trainable:
            return loss.detach()
        grads = self._gradient(loss, trainable)
        parts = [Tensor(np.zeros(p.shape, p.dtype)) if g is None else g
                 for p, g in zip(trainable, grads)]
        g_flat = concatenate([g.reshape(-1) for g in parts])
        H = self._hessian(g_flat, trainable)
        g = g_flat.numpy().astype(H.dtype)
        state["n_iter"] += 1
        mask = np.concatenate([np.full(p.size, p.requires_grad) for p in ps])

        def full(d: np.ndarray) -> np.ndarray:  # the step over all parameters, 0 if frozen
            out = np.zeros(mask.size, d.dtype)
            out[mask] = d
            return out
        if group["adaptive"]:
            self._adaptive_step(closure, float(loss.item()), g, H, state, full)
        else:
            self._scatter(self._gather() - group["lr"] * full(
                self._solve(H, g, group["damping"])))
        for p, gp in zip(trainable, parts):
            p.grad = Tensor(gp.numpy().copy())
        return loss.detach()

    @staticmethod
    def _solve(H: np.ndarray, g: np.ndarray, alpha: float) -> np.ndarray:
        """(H + αI)⁻¹ g, or a ValueError when H + αI is singular."""
        try:
            return np.linalg.solve(H + alpha * np.eye(H.shape[0], dtype=H.dtype), g)
        except np.linalg.LinAlgError:
            raise ValueError(f"Newton.step: H + damping·I is singular (damping={alpha}); use "
                             "damping > 0 or adaptive=True") from None

    def _adaptive_step(self, closure: Closure, f0: float, g: np.ndarray, H: np.ndarray,
                       state: dict[str, Any], full: Callable[[np.ndarray], np.ndarray]
                       ) -> None:
        """Levenberg–Marquardt: retry with more damping until the loss decreases."""
        lr = self.param_groups[0]["lr"]
        alpha = state.get("damping", self.param_groups[0]["damping"])
        x = self._gather()
        for _ in range(30):
            try:
                d = self._solve(H, g, alpha)
            except ValueError:
                alpha = min(max(10 * alpha, 1e-3), _MAX_DAMPING)
                continue
            self._scatter(x - lr * full(d))
            f = float(self._evaluate(closure).item())  # type: ignore[union-attr]
            if f < f0:
                state["damping"] = alpha / 10
                return
            alpha = min(max(10 * alpha, 1e-3), _MAX_DAMPING)
        self._scatter(x)
        state["damping"] = alpha
