"""Initializers (PyTorch's names and formulas), in place under no_grad.

Every random draw comes from tg.random.generator(), so tg.manual_seed(s) repeats them, or,
given generator=g (a tg.Generator), from g alone, as in PyTorch.
fan_in / fan_out of a weight (out, in, *k) are in·∏k and out·∏k. The variances (lecture 001,
"Initialization"):

    xavier (Glorot)   Var W = gain² · 2 / (fan_in + fan_out)
    kaiming (He)      Var W = gain² / fan          (gain² = 2 for ReLU: Var W = 2 / fan_in;
                      mode="fan_avg", fan = (fan_in + fan_out)/2, is lecture 002's He init
                      N(0, 4/(n_in + n_out)), U(±√(12/(n_in + n_out))))
    lecun             Var W = 1 / fan_in
    uniform U(−b, b)  has variance b² / 3, so b = √3 · std.

As in PyTorch, a tensor with no elements is left as it is (kaiming_*_ and lecun_normal_ warn
"Initializing zero-element tensors is a no-op", as PyTorch's kaiming_*_ do).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import functional as F
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


def _real(value: Any, who: str, name: str) -> float:
    """value as a float: a finite real number, else TypeError/ValueError naming it."""
    F._number(value, who, name)
    if not math.isfinite(value):
        raise ValueError(f"{who}: {name} must be finite, got {value!r}")
    return float(value)


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


_MODES = ("fan_in", "fan_out", "fan_avg")


def _fan(t: Tensor, mode: str, who: str) -> float:
    """fan_in, fan_out, or their mean (fan_avg) of a tensor with elements."""
    if mode not in _MODES:
        raise ValueError(f"{who}: mode must be one of {_MODES}, got {mode!r}")
    fan_in, fan_out = _fans(t, who)
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]


def _empty(t: Tensor, warn: bool) -> bool:
    """Whether t has no elements (nothing to initialize); warn as PyTorch's kaiming_*_ do."""
    if t.size:
        return False
    if warn:
        F._warn("Initializing zero-element tensors is a no-op")
    return True


# ---------------------------------------------------------------------- constants
def constant_(t: Tensor, val: float) -> Tensor:
    """Fill with val."""
    _check(t, "constant_")
    F._number(val, "constant_", "val")
    return _fill(t, val)


def zeros_(t: Tensor) -> Tensor:
    return _fill(_check(t, "zeros_"), 0.0)


def ones_(t: Tensor) -> Tensor:
    return _fill(_check(t, "ones_"), 1.0)

def eye_(t: Tensor) -> Tensor:
    """The identity matrix for a 2-D tensor (ones on the diagonal of a non-square one too):
    a Linear layer that passes its inputs through."""
    _check(t, "eye_")
    if t.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {t.shape}")
    return _fill(t, np.eye(*t.shape))



# ---------------------------------------------------------------------- distributions
def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with U(a, b), drawn from generator (a tg.Generator; None: tapegrad's)."""
    _check(t, "uniform_")
    a, b = _real(a, "uniform_", "a"), _real(b, "uniform_", "b")
    if not a <= b:
        raise ValueError(f"uniform_: need a <= b, got a={a}, b={b}")
    return _fill(t, _random.resolve(generator, "uniform_").uniform(a, b, t.shape))


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with N(mean, std²), drawn from generator (a tg.Generator; None: tapegrad's)."""
    _check(t, "normal_")
    mean, std = _real(mean, "normal_", "mean"), _real(std, "normal_", "std")
    if std < 0:
        raise ValueError(f"normal_: std must be non-negative, got {std}")
    return _fill(t, _random.resolve(generator, "normal_").normal(mean, std, t.shape))

def trunc_normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Any = None) -> Tensor:
    """Fill with N(mean, std²) truncated to [a, b] (absolute bounds, as in PyTorch: the
    defaults ±2 are ±2·std only for std = 1). The density is φ((x − mean)/std) / (std·Z) on
    [a, b], Z = Φ(β) − Φ(α) with α, β = (a − mean)/std, (b − mean)/std.

    Drawn by rejection: normal draws outside [a, b] are drawn again (exact, where PyTorch
    inverts the CDF), so [a, b] must hold a fair share of the mass, Z ≥ 0.01 (at most about
    100 draws per value), else ValueError. PyTorch too is only accurate there: it warns when
    mean is more than 2 std from [a, b]."""
    who = "trunc_normal_"
    _check(t, who)
    mean, std = _real(mean, who, "mean"), _real(std, who, "std")
    a, b = _real(a, who, "a"), _real(b, who, "b")
    if not std > 0 or not a < b:
        raise ValueError(f"{who}: need std > 0 and a < b, got std={std}, a={a}, b={b}")
    mass = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std)
    if mass < 0.01:
        raise ValueError(f"{who}: [a, b] = [{a}, {b}] holds only {mass:.3g} of N({mean}, "
                         f"{std}²), less than the 0.01 that rejection sampling needs")
    rng = _random.resolve(generator, who)
    values = np.empty(t.size)
    todo = np.arange(t.size)
    while todo.size:
        draws = rng.normal(mean, std, todo.size)
        ok = (draws >= a) & (draws <= b)
        values[todo[ok]] = draws[ok]
        todo = todo[~ok]
    return _fill(t, values.reshape(t.shape))


def _normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))



def _xavier_std(t: Tensor, gain: float, who: str) -> float | None:
    """gain·√(2 / (fan_in + fan_out)), or None for a tensor with no elements."""
    fan_in, fan_out = _fans(_check(t, who), who)
    gain = _real(gain, who, "gain")
    return None if _empty(t, warn=False) else gain * math.sqrt(2.0 / (fan_in + fan_out))


def xavier_uniform_(t: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """U(−b, b) with b = gain·√(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    std = _xavier_std(t, gain, "xavier_uniform_")
    return t if std is None else uniform_(t, -math.sqrt(3.0) * std, math.sqrt(3.0) * std,
                                          generator)


def xavier_normal_(t: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """N(0, std²) with std = gain·√(2 / (fan_in + fan_out))."""
    std = _xavier_std(t, gain, "xavier_normal_")
    return t if std is None else normal_(t, 0.0, std, generator)


def _kaiming_std(t: Tensor, a: float, mode: str, nonlinearity: str, who: str
                 ) -> float | None:
    """gain/√fan, or None (with PyTorch's warning) for a tensor with no elements."""
    fan = _fan(_check(t, who), mode, who)
    gain = calculate_gain(nonlinearity, a)
    return None if _empty(t, warn=True) else gain / math.sqrt(fan)


def kaiming_uniform_(t: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    """U(−b, b) with b = √3·gain/√fan (He et al., 2015); a is the leaky_relu slope.
    With a = √5 (nn.Linear's default) this is U(−1/√fan_in, 1/√fan_in).

    mode: "fan_in" (forward variance), "fan_out" (backward) or "fan_avg", fan =
    (fan_in + fan_out)/2: with ReLU's gain √2 that is lecture 002's
    U(±√(12/(n_in + n_out))), whose variance is 4/(n_in + n_out)."""
    std = _kaiming_std(t, a, mode, nonlinearity, "kaiming_uniform_")
    return t if std is None else uniform_(t, -math.sqrt(3.0) * std, math.sqrt(3.0) * std,
                                          generator)


def kaiming_normal_(t: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    """N(0, std²) with std = gain/√fan; for ReLU (gain √2) Var W = 2 / fan_in.

    mode="fan_avg" takes fan = (fan_in + fan_out)/2: with ReLU's gain this is lecture 002's
    He initialization N(0, 4/(n_in + n_out))."""
    std = _kaiming_std(t, a, mode, nonlinearity, "kaiming_normal_")
    return t if std is None else normal_(t, 0.0, std, generator)


def lecun_normal_(t: Tensor, generator: Any = None) -> Tensor:
    """N(0, 1/fan_in) (LeCun et al., 1998; the init that SELU networks assume)."""
    fan = _fan(_check(t, "lecun_normal_"), "fan_in", "lecun_normal_")
    return t if _empty(t, warn=True) else normal_(t, 0.0, 1.0 / math.sqrt(fan), generator)


def orthogonal_(t: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """A (semi-)orthogonal matrix times gain (Saxe et al., 2013): for the weight viewed as
    rows × cols (rows = shape[0]), WᵀW = gain²·I if rows ≥ cols, else WWᵀ = gain²·I.
    Drawn as the Q of a QR of a Gaussian matrix, with signs fixed so Q is Haar-uniform."""
    _check(t, "orthogonal_")
    if t.ndim < 2:
        raise ValueError(f"orthogonal_: needs a tensor of at least 2 dimensions, got shape "
                         f"{t.shape}")
    gain = _real(gain, "orthogonal_", "gain")
    if _empty(t, warn=False):
        return t
    rows, cols = t.shape[0], t.size // t.shape[0]
    a = _random.resolve(generator, "orthogonal_").standard_normal((max(rows, cols),
                                                                   min(rows, cols)))
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
    afterwards, so only the layer weights change, and if anything fails (a layer the forward
    does not use, an error in the forward) the weights are restored too. Returns the
    model."""
    if not isinstance(model, Module):
        raise TypeError(f"lsuv_: model must be a Module, got {type(model).__name__}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)):
        raise TypeError(f"lsuv_: max_iter must be an int, got {max_iter!r}")
    if _real(tol, "lsuv_", "tol") <= 0 or max_iter < 1:
        raise ValueError(f"lsuv_: need tol > 0 and max_iter >= 1, got tol={tol}, "
                         f"max_iter={max_iter}")
    x = x if isinstance(x, Tensor) else Tensor(x)
    layers = [m for m in model.modules()
              if isinstance(getattr(m, "weight", None), Tensor) and m.weight.ndim >= 2]
    if not layers:
        raise ValueError(f"lsuv_: {type(model).__name__} has no layer with a weight matrix")
    buffers = {name: b.numpy().copy() for name, b in model.named_buffers()}
    weights = [m.weight.numpy().copy() for m in layers]
    try:
        if orthogonal:
            for m in layers:
                orthogonal_(m.weight)
        for m in layers:
            for _ in range(max_iter):
                var = _output_variance(model, m, x)
                if abs(var - 1.0) < tol or var == 0.0:
                    break
                with no_grad():
                    m.weight.copy_(m.weight.numpy() / np.sqrt(var))
    except BaseException:  # a failed call changes no weight
        with no_grad():
            for m, w in zip(layers, weights):
                m.weight.copy_(w)
        raise
    finally:
        with no_grad():
            for name, b in model.named_buffers():
                if name in buffers:
                    b.copy_(buffers[name])
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
