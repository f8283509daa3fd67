"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..tensor import Tensor
from .optimizer import FirstOrderOptimizer, check_flag, check_number


class SGD(FirstOrderOptimizer):
    """Gradient descent, optionally with (Nesterov) momentum and L2 weight decay.

    With g = ∇L(θ) + weight_decay·θ, for every parameter θ (PyTorch's formulation; with
    maximize=True, g = −∇L(θ) + weight_decay·θ, which ascends L):

        b ← g                              (first step)
        b ← μ·b + (1 − dampening)·g        (later steps)
        d = g + μ·b if nesterov else b     (d = g when momentum μ = 0)
        θ ← θ − lr·d

    With v = −lr·b this is the lecture's momentum Δw(τ) = −η∇E + μΔw(τ−1) (notes 000,
    "Momentum") and, for nesterov=True, the change-of-variables form of Nesterov momentum
    θ̃ ← θ̃ + v_new + α(v_new − v_old) (notes 001, "Nesterov momentum").
    """

    def __init__(self, params: Iterable[Any], lr: float, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0,
                 dampening: float = 0.0, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "nesterov": nesterov, "weight_decay": weight_decay,
                                  "maximize": maximize})

    def _validate(self, group: dict[str, Any]) -> None:
        check_number("SGD", "lr", group["lr"])
        check_number("SGD", "momentum", group["momentum"])
        check_number("SGD", "dampening", group["dampening"])
        check_number("SGD", "weight_decay", group["weight_decay"])
        check_flag("SGD", "nesterov", group["nesterov"])
        check_flag("SGD", "maximize", group["maximize"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']!r}, "
                             f"dampening={group['dampening']!r}")

    _known_state = frozenset({"momentum_buffer"})

    def _state_names(self, group: dict[str, Any]) -> set[str]:
        return {"momentum_buffer"} if group["momentum"] else set()

    def _update(self, theta: Tensor, g: Tensor, group: dict[str, Any],
                state: dict[str, Any]) -> Tensor:
        mu, wd = group["momentum"], group["weight_decay"]
        if wd:
            g = g + wd * theta
        if mu:
            if "momentum_buffer" not in state:
                buf = state["momentum_buffer"] = Tensor(g.numpy())  # a copy: g may be p.grad
            else:  # in place: b ← μ·b + (1 − dampening)·g
                buf = state["momentum_buffer"]
                buf *= mu
                buf += (1 - group["dampening"]) * g
            g = g + mu * buf if group["nesterov"] else buf
        return group["lr"] * g
