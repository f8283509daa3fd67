"""Initializers (PyTorch's names and formulas), in place under no_grad.

Every random draw comes from tg.random.generator(), so tg.manual_seed(s) repeats them.
fan_in / fan_out of a weight (out, in, *k) are in·∏k and out·∏k. The variances (lecture 001,
"Initialization"):

    xavier (Glorot)   Var W = gain² · 2 / (fan_in + fan_out)
    kaiming (He)      Var W = gain² / fan          (gain² = 2 for ReLU: Var W = 2 / fan_in)
    lecun             Var W = 1 / fan_in
    uniform U(−b, b)  has variance b² / 3, so b = √3 · std.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import random as _random
from ..tape import no_grad
from ..tensor import Tensor
from .module import Module

_GAINS = {"linear": 1.0, "identity": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
          "conv_transpose1d": 1.0, "conv_transpose2d": 1.0, "conv_transpose3d": 1.0,
          "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0), "selu": 0.75}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table): 1 for linear, conv and
    sigmoid, 5/3 for tanh, √2 for relu, √(2 / (1 + a²)) for leaky_relu with slope a
    (default 0.01), 3/4 for selu."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; "
                         f"choose from {sorted(_GAINS) + ['leaky_relu']}")
    return _GAINS[nonlinearity]


def _check(t: Any, who: str) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{who}: expected a Tensor, got {type(t).__name__}")
    if t.dtype.kind != "f":
        raise TypeError(f"{who}: the tensor must be floating point, got {t.dtype}")
    return t


def _fill(t: Tensor, values: Any) -> Tensor:
    with no_grad():
        t.copy_(np.asarray(values, dtype=t.dtype))
    return t


def _fans(t: Tensor, who: str) -> tuple[int, int]:
    if t.ndim < 2:
        raise ValueError(f"{who}: fan in and fan out need a tensor of at least 2 dimensions, "
                         f"got shape {t.shape}")
    receptive = int(np.prod(t.shape[2:])) if t.ndim > 2 else 1
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fan(t: Tensor, mode: str, who: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{who}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(t, who)
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(f"{who}: {mode} is 0 for shape {t.shape}")
    return fan


# ---------------------------------------------------------------------- constants
def constant_(t: Tensor, val: float) -> Tensor:
    return _fill(_check(t, "constant_"), val)


def zeros_(t: Tensor) -> Tensor:
    return _fill(_check(t, "zeros_"), 0.0)


def ones_(t: Tensor) -> Tensor:
    return _fill(_check(t, "ones_"), 1.0)


# ---------------------------------------------------------------------- distributions
def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with U(a, b)."""
    _check(t, "uniform_")
    if not a <= b:
        raise ValueError(f"uniform_: need a <= b, got a={a}, b={b}")
    return _fill(t, _random.generator().uniform(a, b, t.shape))


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with N(mean, std²)."""
    _check(t, "normal_")
    if std < 0:
        raise ValueError(f"normal_: std must be non-negative, got {std}")
    return _fill(t, _random.generator().normal(mean, std, t.shape))


def xavier_uniform_(t: Tensor, gain: float = 1.0) -> Tensor:
    """U(−b, b) with b = gain·√(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    fan_in, fan_out = _fans(_check(t, "xavier_uniform_"), "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound)


def xavier_normal_(t: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, std²) with std = gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(_check(t, "xavier_normal_"), "xavier_normal_")
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(t: Tensor, a: float, mode: str, nonlinearity: str, who: str) -> float:
    fan = _fan(_check(t, who), mode, who)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(t: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """U(−b, b) with b = √3·gain/√fan (He et al., 2015); a is the leaky_relu slope.
    With a = √5 (nn.Linear's default) this is U(−1/√fan_in, 1/√fan_in)."""
    std = _kaiming_std(t, a, mode, nonlinearity, "kaiming_uniform_")
    return uniform_(t, -math.sqrt(3.0) * std, math.sqrt(3.0) * std)


def kaiming_normal_(t: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """N(0, std²) with std = gain/√fan; for ReLU (gain √2) Var W = 2 / fan_in."""
    return normal_(t, 0.0, _kaiming_std(t, a, mode, nonlinearity, "kaiming_normal_"))


def lecun_normal_(t: Tensor) -> Tensor:
    """N(0, 1/fan_in) (LeCun et al., 1998; the init that SELU networks assume)."""
    return normal_(t, 0.0, 1.0 / math.sqrt(_fan(_check(t, "lecun_normal_"), "fan_in",
                                                "lecun_normal_")))


def orthogonal_(t: Tensor, gain: float = 1.0) -> Tensor:
    """A (semi-)orthogonal matrix times gain (Saxe et al., 2013): for the weight viewed as
    rows × cols (rows = shape[0]), WᵀW = gain²·I if rows ≥ cols, else WWᵀ = gain²·I.
    Drawn as the Q of a QR of a Gaussian matrix, with signs fixed so Q is Haar-uniform."""
    _check(t, "orthogonal_")
    if t.ndim < 2:
        raise ValueError(f"orthogonal_: needs a tensor of at least 2 dimensions, got shape "
                         f"{t.shape}")
    rows, cols = t.shape[0], t.size // t.shape[0]
    a = _random.generator().standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    if rows < cols:
        q = q.T
    return _fill(t, gain * q.reshape(t.shape))


# ---------------------------------------------------------------------- data-driven
def lsuv_(model: Module, x: Any, tol: float = 0.1, max_iter: int = 10,
          orthogonal: bool = True) -> Module:
    """Layer-sequential unit-variance init (Mishkin and Matas, 2015, "All you need is a good
    init"), run on a batch x.

    Every layer with a weight of 2 or more dimensions (Linear) is first set orthogonal (unless
    orthogonal=False); then, first layer to last, its weight is divided by √Var(B) where B is
    the layer's output on x, until |Var(B) − 1| < tol or max_iter forward passes. The model
    runs in its current mode; its buffers (e.g. BatchNorm running statistics) are restored
    afterwards, so only the layer weights change. Returns the model."""
    if not isinstance(model, Module):
        raise TypeError(f"lsuv_: model must be a Module, got {type(model).__name__}")
    if tol <= 0 or max_iter < 1:
        raise ValueError(f"lsuv_: need tol > 0 and max_iter >= 1, got tol={tol}, "
                         f"max_iter={max_iter}")
    x = x if isinstance(x, Tensor) else Tensor(x)
    layers = [m for m in model.modules()
              if isinstance(getattr(m, "weight", None), Tensor) and m.weight.ndim >= 2]
    if not layers:
        raise ValueError(f"lsuv_: {type(model).__name__} has no layer with a weight matrix")
    saved = {name: b.numpy().copy() for name, b in model.named_buffers()}
    if orthogonal:
        for m in layers:
            orthogonal_(m.weight)
    try:
        for m in layers:
            for _ in range(max_iter):
                var = _output_variance(model, m, x)
                if abs(var - 1.0) < tol or var == 0.0:
                    break
                with no_grad():
                    m.weight.copy_(m.weight.numpy() / np.sqrt(var))
    finally:
        with no_grad():
            for name, b in model.named_buffers():
                if name in saved:
                    b.copy_(saved[name])
    return model


def _output_variance(model: Module, layer: Module, x: Tensor) -> float:
    """Var of `layer`'s output (over all its entries) when `model` runs on x."""
    seen: list[float] = []
    handle = layer.register_forward_hook(
        lambda m, inputs, out: seen.append(float(np.var(np.asarray(out, np.float64)))))
    try:
        with no_grad():
            model(x)
    finally:
        handle.remove()
    if not seen:
        raise ValueError(f"lsuv_: {layer.scope_label()} is not used by the model's forward")
    return seen[0]
