"""Per-coordinate adaptive rates: Adagrad, RMSprop, Adam, AdamW and Adadelta (notes 001,
"Adagrad", "RMSProp", "RMSProp + momentum", "Adam"; notes 000, "Further algorithms"; notes
004, "Adaptation of η_k").

The rules update their state in place and keep at most two temporaries of the parameter's
size alive (`del` drops each one as soon as it is used): the arithmetic and its order are
those of the formulas, so the results are the same bits, but the allocator can reuse memory
instead of handing it back to the OS and faulting it in again for every temporary (an Adam
step on the 784-256-128-10 MLP: ~3 ms with every temporary alive until the end, ~0.6 ms).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import ops
from ..tensor import Tensor, zeros_like
from .optimizer import FirstOrderOptimizer, check_flag, check_number


def _average_square(avg: Tensor, x: Tensor, beta: float) -> None:
    """avg ← β·avg + (1 − β)·x ⊙ x in place, rounded as PyTorch's addcmul: ((1 − β)·x)·x."""
    avg *= beta
    square = (1 - beta) * x
    square *= x
    avg += square


class Adagrad(FirstOrderOptimizer):
    """Adagrad: divide each coordinate's step by the root of its summed squared gradients.

        a ← a + g ⊙ g,    θ ← θ − lr_t · g / (√a + eps),    lr_t = lr / (1 + (t − 1)·lr_decay)

    (notes 001, "Adagrad": θ ← θ − ε/(√a + ν) ⊙ g), with g = ∇L + weight_decay·θ (−∇L in
    place of ∇L with maximize=True, which ascends L) and a starting at
    initial_accumulator_value: each param group's own (PyTorch's Adagrad starts every group
    from the constructor's value, ignoring a group's).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "eps": eps, "maximize": maximize})

    def _validate(self, group: dict[str, Any]) -> None:
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_number("Adagrad", name, group[name])
        check_flag("Adagrad", "maximize", group["maximize"])

    def _state_names(self, group: dict[str, Any]) -> set[str]:
        return {"step", "sum"}

    def _update(self, theta: Tensor, g: Tensor, group: dict[str, Any],
                state: dict[str, Any]) -> Tensor:
        if not state:
            state["step"] = 0
            state["sum"] = zeros_like(theta) + group["initial_accumulator_value"]
        acc, t = state["sum"], state["step"] + 1
        state["step"] = t
        if group["weight_decay"]:
            g = g + group["weight_decay"] * theta
        acc += g * g
        lr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        den = acc.sqrt()
        den += group["eps"]
        step = lr * g
        step /= den
        return step


class RMSprop(FirstOrderOptimizer):
    """RMSprop: Adagrad with an exponentially weighted average of squared gradients.

        a ← α·a + (1 − α)·g ⊙ g
        centered:   m ← α·m + (1 − α)·g,   s = √(a − m ⊙ m) + eps,   else s = √a + eps
        momentum μ: b ← μ·b + g / s,   θ ← θ − lr·b;   else θ ← θ − lr·g / s

    (notes 001, "RMSProp" with β = α, and "RMSProp + momentum" with v = −lr·b; PyTorch's
    formulation, eps outside the root.) g = ∇L + weight_decay·θ, with −∇L in place of ∇L
    when maximize=True (which ascends L).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps,
                                  "weight_decay": weight_decay, "momentum": momentum,
                                  "centered": centered, "maximize": maximize})

    def _validate(self, group: dict[str, Any]) -> None:
        for name in ("lr", "eps", "weight_decay", "momentum"):
            check_number("RMSprop", name, group[name])
        check_number("RMSprop", "alpha", group["alpha"], high=1.0, high_open=False)
        check_flag("RMSprop", "centered", group["centered"])
        check_flag("RMSprop", "maximize", group["maximize"])

    _known_state = frozenset({"step", "square_avg", "momentum_buffer", "grad_avg"})

    def _state_names(self, group: dict[str, Any]) -> set[str]:
        return {"step", "square_avg"} | ({"momentum_buffer"} if group["momentum"] else set()) \
            | ({"grad_avg"} if group["centered"] else set())

    def _update(self, theta: Tensor, g: Tensor, group: dict[str, Any],
                state: dict[str, Any]) -> Tensor:
        alpha, mu = group["alpha"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = zeros_like(theta)
            if mu:
                state["momentum_buffer"] = zeros_like(theta)
            if group["centered"]:
                state["grad_avg"] = zeros_like(theta)
        a = state["square_avg"]  # every entry is read before any changes
        m = state["grad_avg"] if group["centered"] else None
        buf = state["momentum_buffer"] if mu else None
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * theta
        _average_square(a, g, alpha)
        if m is not None:
            m *= alpha
            m += (1 - alpha) * g
            a = a - m * m
        den = a.sqrt()
        del a
        den += group["eps"]
        scaled = g / den
        del den
        if buf is not None:
            buf *= mu
            buf += scaled
            scaled = buf
        return group["lr"] * scaled


class Adam(FirstOrderOptimizer):
    """Adam: momentum on the gradient, RMSprop on its square, both bias-corrected.

        t ← t + 1
        v ← β1·v + (1 − β1)·g,          a ← β2·a + (1 − β2)·g ⊙ g
        ṽ = v / (1 − β1^t),              ã = a / (1 − β2^t)      (bias_correction=True)
        amsgrad: â ← max(â, a) and ã uses â
        θ ← θ − lr · ṽ / (√ã + eps)

    (notes 001, "Adam" and "Adam with no bias correction": θ ← θ − ε/(√ã + ν) ⊙ ṽ; with
    bias_correction=False, ṽ = v and ã = a.) g = ∇L + weight_decay·θ (an L2 penalty);
    AdamW decouples the decay instead. maximize=True puts −∇L in place of ∇L (ascending L).
    """

    _decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, bias_correction: bool = True,
                 amsgrad: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay,
                                  "bias_correction": bias_correction, "amsgrad": amsgrad,
                                  "maximize": maximize})

    def _validate(self, group: dict[str, Any]) -> None:
        who = type(self).__name__
        for name in ("lr", "eps", "weight_decay"):
            check_number(who, name, group[name])
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{who}: betas must be a pair (beta1, beta2), got {betas!r}")
        check_number(who, "betas[0]", betas[0], high=1.0)
        check_number(who, "betas[1]", betas[1], high=1.0)
        check_flag(who, "amsgrad", group["amsgrad"])
        check_flag(who, "bias_correction", group["bias_correction"])
        check_flag(who, "maximize", group["maximize"])

    _known_state = frozenset({"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"})

    def _state_names(self, group: dict[str, Any]) -> set[str]:
        return {"step", "exp_avg", "exp_avg_sq"} | (
            {"max_exp_avg_sq"} if group["amsgrad"] else set())

    def _update(self, theta: Tensor, g: Tensor, group: dict[str, Any],
                state: dict[str, Any]) -> Tensor:
        b1, b2 = group["betas"]
        lr, wd = group["lr"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros_like(theta)
            state["exp_avg_sq"] = zeros_like(theta)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = zeros_like(theta)
        v, a = state["exp_avg"], state["exp_avg_sq"]  # read before anything changes
        a_max = state["max_exp_avg_sq"] if group["amsgrad"] else None
        state["step"] += 1
        t = state["step"]
        if wd and not self._decoupled:
            g = g + wd * theta
        v *= b1
        v += (1 - b1) * g
        _average_square(a, g, b2)
        del g
        if a_max is not None:
            a = ops.maximum(a_max, a)
            state["max_exp_avg_sq"] = a
        if group["bias_correction"]:  # lr·ṽ/(√ã + eps) with ṽ = v/(1 − β1^t), ã = a/(1 − β2^t)
            den = (a / (1 - b2 ** t)).sqrt()
            den += group["eps"]
            step = v / (1 - b1 ** t)
            step *= lr
        else:
            den = a.sqrt()
            den += group["eps"]
            step = lr * v
        step /= den
        del den
        if self._decoupled and wd:
            step += theta * (lr * wd)
        return step


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): the parameter shrinks by
    θ ← θ·(1 − lr·weight_decay) before the Adam step, and the decay never enters the
    moments (in Adam it is added to g). Default weight_decay=1e-2, as in PyTorch."""

    _decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, bias_correction: bool = True,
                 amsgrad: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, bias_correction, amsgrad,
                         maximize=maximize)


class Adadelta(FirstOrderOptimizer):
    """Adadelta: RMSprop whose step size is the running RMS of the earlier steps, so that the
    step has θ's units and needs no learning rate (lr = 1, the default, is Zeiler's rule).

        a ← ρ·a + (1 − ρ)·g ⊙ g
        Δ = √(d + eps) / √(a + eps) ⊙ g
        d ← ρ·d + (1 − ρ)·Δ ⊙ Δ
        θ ← θ − lr·Δ

    (notes 004, "Adaptation of η_k possible (Adam, Adagrad, Adadelta)"; Zeiler 2012,
    Δθ = −RMS[Δθ]_{t−1} / RMS[g]_t · g, and PyTorch's formulation.) g = ∇L + weight_decay·θ,
    with −∇L in place of ∇L when maximize=True (which ascends L).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0, *,
                 maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps,
                                  "weight_decay": weight_decay, "maximize": maximize})

    def _validate(self, group: dict[str, Any]) -> None:
        for name in ("lr", "eps", "weight_decay"):
            check_number("Adadelta", name, group[name])
        check_number("Adadelta", "rho", group["rho"], high=1.0, high_open=False)
        check_flag("Adadelta", "maximize", group["maximize"])

    def _state_names(self, group: dict[str, Any]) -> set[str]:
        return {"step", "square_avg", "acc_delta"}

    def _update(self, theta: Tensor, g: Tensor, group: dict[str, Any],
                state: dict[str, Any]) -> Tensor:
        rho, eps = group["rho"], group["eps"]
        if not state:
            state["step"] = 0
            state["square_avg"] = zeros_like(theta)
            state["acc_delta"] = zeros_like(theta)
        a, d = state["square_avg"], state["acc_delta"]  # both read before either changes
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * theta
        _average_square(a, g, rho)
        std = (a + eps).sqrt()
        delta = (d + eps).sqrt()
        delta /= std
        del std
        delta *= g
        _average_square(d, delta, rho)
        return group["lr"] * delta
