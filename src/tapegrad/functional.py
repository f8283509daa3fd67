"""Composites: activations, softmax, losses, dropout, normalization, built only from
primitives. None of them has a backward of its own; the tape differentiates them.

Shapes follow PyTorch: a batch is (N, C) with the features (classes) on axis 1. Every
function is stable for inputs of any magnitude (logits of ±1e4 give finite values and
gradients, with no overflow, division or invalid-value warnings from numpy).
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from . import ops
from . import random as _random
from .tape import ShapeError, _user_frame, no_grad
from .tensor import Tensor, _alias, _axes, _axis, _check_in_range, int64

_REDUCTIONS = ("mean", "sum", "none")
_BCE_EPS = 1e-12  # PyTorch's floor on p(1 − p) in the gradient of binary_cross_entropy


# ====================================================================== helpers
def _tensor(x: Any, who: str, name: str = "input") -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, list, tuple, int, float, np.number)):
        return Tensor(x)
    raise TypeError(f"{who}: {name} must be a Tensor or array, got {type(x).__name__}")


def _operand(value: Any, like: Tensor, who: str, name: str) -> Tensor:
    """A weight, bias or pos_weight: a Tensor as given; an array or list becomes a Tensor of
    like's floating dtype, so a float64 numpy weight does not turn float32 into float64."""
    if isinstance(value, Tensor):
        return value
    t = _tensor(value, who, name)
    if like.dtype.kind == "f" and t.dtype != like.dtype:
        t = Tensor._make(t._data.astype(like.dtype), False)
    return t


def _elementwise_weight(value: Any, input: Tensor, who: str, name: str) -> Tensor | None:
    """weight / pos_weight of an elementwise loss: must broadcast to the input's shape."""
    if value is None:
        return None
    w = _operand(value, input, who, name)
    try:
        ok = np.broadcast_shapes(w.shape, input.shape) == input.shape
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(f"{who}: {name} shape {w.shape} does not broadcast to the input "
                         f"shape {input.shape}")
    return w


def _number(value: Any, who: str, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: {name} must be a number, got {value!r}")


def _floating(x: Tensor, who: str, name: str = "input") -> Tensor:
    if x.dtype.kind != "f":
        raise TypeError(f"{who}: {name} must be floating point, got {x.dtype}")
    return x


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_reduction(reduction: str, who: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{who}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _elementwise_target(input: Tensor, target: Any, reduction: str, who: str
                        ) -> tuple[Tensor, Tensor]:
    """Check reduction; input as a Tensor, and target (made a Tensor of input's dtype) of
    input's shape."""
    _check_reduction(reduction, who)
    input = _tensor(input, who)
    if not isinstance(target, Tensor):
        target = _tensor(target, who, "target")  # a new tensor: later changes do not reach it
        if input.dtype.kind == "f" and target.dtype != input.dtype:
            target = Tensor._make(target._data.astype(input.dtype), False)
    if input.shape != target.shape:
        raise ShapeError(f"{who}: input shape {input.shape} and target shape "
                         f"{target.shape} differ")
    return input, target


def _mask(condition: np.ndarray) -> Tensor:
    return Tensor._make(np.asarray(condition), False)


# ====================================================================== activations
def relu(x: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); the gradient at 0 is 0 (as in PyTorch). inplace=True writes it into x and
    returns x, by the rules of x.clamp_(0): refused where the change would be recorded (x
    or a tensor it was computed from requires grad, outside no_grad)."""
    x = _tensor(x, "relu")
    return x.clamp_(0) if inplace else ops.relu(x)


def _in_place(x: Tensor, fn: Any, who: str) -> Tensor:
    """PyTorch's inplace=True: fn(x) written into x, and x returned, by the rules of F.relu's
    inplace (refused where the change would be recorded: x or a tensor it was computed from
    requires grad, outside no_grad). A result of another dtype (a float activation of an
    integer tensor) is refused, as PyTorch does, rather than cast into x."""
    x._recorded(None, f"{who}(inplace=True)", True)
    out = fn(x)
    if out.dtype != x.dtype:
        raise TypeError(f"{who}(inplace=True): the result is {out.dtype}, which cannot be "
                        f"written into x, a {x.dtype} tensor of shape {x.shape}; give a "
                        "floating-point tensor, or leave inplace=False")
    return x.copy_(out)


def leaky_relu(x: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope·x otherwise (gradient negative_slope at 0, as PyTorch).
    inplace=True writes the result into x (see relu)."""
    x = _tensor(x, "leaky_relu")
    _number(negative_slope, "leaky_relu", "negative_slope")
    if inplace:
        return _in_place(x, lambda t: leaky_relu(t, negative_slope), "leaky_relu")
    return ops.where(_mask(x._data > 0), x, x * negative_slope)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, a·x otherwise, with learned slopes: weight (1,) (or 0-d) is one slope
    for any input; weight (C,) is one slope per channel of input (N, C, ...) (axis 1; a 1-D
    input has one channel), as in PyTorch. The output has input's shape. As for leaky_relu
    the gradient at x = 0 is the slope side: ∂y/∂x = a, ∂y/∂a = x (= 0)."""
    who = "prelu"
    x = _floating(_tensor(input, who), who)
    a = _operand(weight, x, who, "weight")
    if a.dtype != x.dtype:  # as PyTorch, which refuses to promote here
        raise TypeError(f"{who}: input is {x.dtype} but weight is {a.dtype}; convert one of "
                        "them")
    if a.ndim > 1:
        raise ShapeError(f"{who}: weight must be 0-d or 1-D, got shape {a.shape}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if a.size == 1:
        a = a.reshape(())
    elif a.size == channels:
        a = a.reshape((channels,) + (1,) * (x.ndim - 2))
    else:
        raise ShapeError(f"{who}: weight has {a.size} slopes, but input of shape {x.shape} "
                         f"has {channels} channel{'s' * (channels != 1)} (axis 1); give 1 "
                         "or one per channel")
    return ops.where(_mask(x._data > 0), x, x * a)


def elu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, α(eˣ − 1) otherwise. eˣ is taken of min(x, 0), so large x never overflows;
    the gradient at 0 is α (the left branch, as in PyTorch). inplace=True writes the result
    into x (see relu)."""
    x = _tensor(x, "elu")
    _number(alpha, "elu", "alpha")
    if inplace:
        return _in_place(x, lambda t: elu(t, alpha), "elu")
    return ops.where(_mask(x._data > 0), x, (x.clip(hi=0.0).exp() - 1.0) * alpha)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """(1/β)·log(1 + e^{βx}) = (1/β)·(max(βx, 0) + log1p(e^{−|βx|})): never overflows.

    As in PyTorch, where βx > threshold the result is x itself (the two differ by less than
    e^{−threshold}/β), gradient 1. max(·, 0) splits its gradient at a tie, so the gradient
    at 0 is the exact sigmoid(0) = ½."""
    x = _tensor(x, "softplus")
    _number(beta, "softplus", "beta")
    _number(threshold, "softplus", "threshold")
    if beta <= 0:
        raise ValueError(f"softplus: beta must be positive, got {beta}")
    z = x * beta if beta != 1.0 else x
    out = ops.maximum(z, 0.0) + (-z.abs()).exp().log1p()
    out = out / beta if beta != 1.0 else out
    if threshold == math.inf:  # as binary_cross_entropy_with_logits asks: never linear
        return out
    linear = z._data > threshold
    return ops.where(_mask(linear), x, out) if linear.any() else out


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
             ) -> Tensor:
    """x limited to [min_val, max_val]. As in PyTorch the gradient is 1 strictly inside and
    0 outside and at the bounds themselves (clip's is 1 at the bounds): where(inside, x, the
    clipped values as a constant). inplace=True writes the result into x (see relu)."""
    x = _tensor(x, "hardtanh")
    _check_hardtanh_bounds(min_val, max_val, "hardtanh")
    if inplace:
        return _in_place(x, lambda t: hardtanh(t, min_val, max_val), "hardtanh")
    a = x._data
    clipped = Tensor._make(np.clip(a, min_val, max_val).astype(a.dtype, copy=False), False)
    return ops.where(_mask((a > min_val) & (a < max_val)), x, clipped)


def _check_hardtanh_bounds(min_val: float, max_val: float, who: str) -> None:
    """hardtanh's checks, shared with nn.Hardtanh's constructor."""
    _number(min_val, who, "min_val")
    _number(max_val, who, "max_val")
    if min_val > max_val:
        raise ValueError(f"{who}: min_val {min_val} is greater than max_val {max_val}")


def relu6(x: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) = hardtanh(x, 0, 6): gradient 0 at 0 and at 6, as in PyTorch.
    inplace=True writes the result into x (see relu)."""
    x = _tensor(x, "relu6")
    if inplace:
        return _in_place(x, relu6, "relu6")
    return hardtanh(x, 0.0, 6.0)


_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_TANH_CAP = 10.0  # tanh(√(2/π)(x + 0.044715x³)) is ±1 in float32 and float64 beyond it


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x), Φ the standard normal CDF: ½·x·(1 + erf(x/√2)) (approximate='none'), or
    ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (approximate='tanh'), as PyTorch defines them.

    The tanh form's inner polynomial is taken of x clipped to ±10, where the tanh is already
    ±1 to the last bit: the same values, and no overflow of x³ for huge inputs."""
    x = _tensor(x, "gelu")
    half = x * 0.5  # halved first (exact), so x near the dtype's max does not overflow
    if approximate == "none":
        return half * (ops.erf(x * _SQRT_HALF) + 1.0)
    if approximate == "tanh":
        c = x.clip(-_GELU_TANH_CAP, _GELU_TANH_CAP)
        return half * (((c + c * c * c * 0.044715) * _SQRT_2_OVER_PI).tanh() + 1.0)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x: Tensor, inplace: bool = False) -> Tensor:
    """x·σ(x) (also called swish), with the overflow-free sigmoid. inplace=True writes the
    result into x (see relu)."""
    x = _tensor(x, "silu")
    if inplace:
        return _in_place(x, silu, "silu")
    return x * ops.sigmoid(x)


def mish(x: Tensor, inplace: bool = False) -> Tensor:
    """x·tanh(softplus(x)) = x·tanh(log(1 + eˣ)), softplus taken without overflow.
    inplace=True writes the result into x (see relu)."""
    x = _tensor(x, "mish")
    if inplace:
        return _in_place(x, mish, "mish")
    return x * softplus(x, threshold=math.inf).tanh()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e^{−x}), the engine's overflow-free primitive."""
    return ops.sigmoid(_tensor(x, "sigmoid"))

def logsigmoid(x: Tensor) -> Tensor:
    """log σ(x) = −softplus(−x) = min(x, 0) − log(1 + e^{−|x|}): never overflows, and exact
    (no linear cut-off) for large |x|. The gradient is σ(−x), ½ at 0."""
    x = _tensor(x, "logsigmoid")
    return -softplus(-x, threshold=math.inf)


def tanh(x: Tensor) -> Tensor:
    return _tensor(x, "tanh").tanh()


def log_softmax(x: Tensor, axis: int | None = -1, *, dim: int | None = None) -> Tensor:
    """z − logsumexp(z) with z = x − max(x) along axis: stable for any magnitude of x.

    The shift by the max is a constant (log-softmax and all its derivatives are invariant to
    it), so it adds no gradient path; taken first it makes z ≤ 0 and logsumexp(z) ≤ log C,
    so the result is accurate to the dtype's eps instead of to one ulp of |x| (5e-4 for
    float32 logits of 1e4). axis=None is PyTorch's deprecated implicit choice (see
    _implicit_axis), never the whole tensor. dim is PyTorch's name for axis."""
    x = _tensor(x, "log_softmax")
    axis = _alias("log_softmax", "axis", axis, -1, "dim", dim)
    if axis is None:
        axis = _implicit_axis(x.ndim, "log_softmax", "axis")
    return _log_softmax(x, axis, "log_softmax")


def _implicit_axis(ndim: int, who: str, arg: str) -> int:
    """The axis PyTorch's softmax takes when none is given: 0 for 0-, 1- and 3-d input, else
    1 (so (N, C) normalizes each row over its classes, never over the batch). Warns, as
    PyTorch does, that the choice is deprecated; the warning points at the caller's line."""
    axis = 0 if ndim in (0, 1, 3) else 1
    _warn(f"Implicit dimension choice for {who} has been deprecated. Change the call to "
          f"include {arg}={axis} as an argument.")
    return axis


def _warn(message: str) -> None:
    """A UserWarning attributed to the innermost line of code outside tapegrad (the user's
    call, however deep inside tapegrad the warning is raised)."""
    _, steps = _user_frame(sys._getframe(0))
    warnings.warn(message, UserWarning, stacklevel=steps + 1)


def _log_softmax(x: Tensor, axis: int, who: str) -> Tensor:
    axes = _axes(axis, x.ndim, who)
    if x.size:
        m = x._data.max(axis=axes, keepdims=True)
        x = x - Tensor._make(np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False),
                             False)
    return x - ops.logsumexp(x, axis=axes, keepdims=True)


def softmax(x: Tensor, axis: int | None = -1, *, dim: int | None = None) -> Tensor:
    """exp(log_softmax(x)) = exp(x_i) / sum_j exp(x_j), without overflow. axis=None is
    PyTorch's deprecated implicit choice (see _implicit_axis); dim is PyTorch's name for
    axis."""
    return _softmax(_tensor(x, "softmax"), axis, dim, "softmax")


def softmin(x: Tensor, axis: int | None = -1, *, dim: int | None = None) -> Tensor:
    """softmax(−x) = exp(−x_i) / Σ_j exp(−x_j) along axis, without overflow (axis and dim
    as in softmax)."""
    return _softmax(-_tensor(x, "softmin"), axis, dim, "softmin")


def _softmax(x: Tensor, axis: int | None, dim: int | None, who: str) -> Tensor:
    axis = _alias(who, "axis", axis, -1, "dim", dim)
    if axis is None:
        axis = _implicit_axis(x.ndim, who, "axis")
    return ops.exp(_log_softmax(x, axis, who))


def one_hot(t: Tensor, num_classes: int = -1) -> Tensor:
    """The int64 tensor of shape t.shape + (num_classes,) with a 1 at each class index of t
    (integers in [0, num_classes)); num_classes=-1 takes t.max() + 1. No gradient."""
    t = _tensor(t, "one_hot")
    if t.dtype.kind not in "iu":
        raise TypeError(f"one_hot: t must hold integer class indices, got {t.dtype}")
    if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool) or (
            num_classes < -1):
        raise ValueError(f"one_hot: num_classes must be an int >= 0 or -1, got "
                         f"{num_classes!r}")
    labels = t._data
    if num_classes == -1:
        if not labels.size:
            raise ValueError(f"one_hot: cannot infer num_classes from an empty tensor (shape "
                             f"{t.shape}); give num_classes")
        num_classes = int(labels.max()) + 1
    if labels.size and not (labels.min() >= 0 and labels.max() < num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)].flat[0]
        raise ValueError(f"one_hot: class index {bad} is out of range for num_classes="
                         f"{num_classes}")
    return Tensor._make((labels[..., None] == np.arange(num_classes)).astype(int64), False)


# ====================================================================== losses
def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """(input − target)², averaged (or summed) over every element. Shapes must match."""
    input, target = _elementwise_target(input, target, reduction, "mse_loss")
    return _reduce((input - target).square(), reduction)

def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """|input − target|, averaged (or summed) over every element. Shapes must match. The
    gradient at input = target is 0 (sign(0)), as in PyTorch."""
    input, target = _elementwise_target(input, target, reduction, "l1_loss")
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input: Tensor, target: Any, reduction: str = "mean", beta: float = 1.0
                   ) -> Tensor:
    """With d = input − target: ½d²/β where |d| < β, |d| − ½β elsewhere (β = 0: |d|).
    Quadratic near 0, linear beyond β; the gradient d/β meets ±1 at |d| = β, as in PyTorch."""
    who = "smooth_l1_loss"
    input, target = _elementwise_target(input, target, reduction, who)
    _check_beta(beta, who)
    d = input - target
    a = d.abs()
    if beta == 0:
        return _reduce(a, reduction)
    return _reduce(ops.where(_mask(a._data < beta), d.square() * (0.5 / beta), a - 0.5 * beta),
                   reduction)


def _check_beta(beta: float, who: str) -> None:
    """smooth_l1_loss's check of beta, shared with nn.SmoothL1Loss's constructor."""
    _number(beta, who, "beta")
    if not beta >= 0:  # NaN too, as in PyTorch
        raise ValueError(f"{who}: beta must be non-negative, got {beta}")


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0
               ) -> Tensor:
    """With d = input − target: ½d² where |d| < δ, δ·(|d| − ½δ) elsewhere (δ > 0); that is
    δ·smooth_l1_loss with β = δ. The gradient d meets ±δ at |d| = δ, as in PyTorch."""
    who = "huber_loss"
    input, target = _elementwise_target(input, target, reduction, who)
    _check_delta(delta, who)
    d = input - target
    a = d.abs()
    return _reduce(ops.where(_mask(a._data < delta), d.square() * 0.5, (a - 0.5 * delta) * delta),
                   reduction)


def _check_delta(delta: float, who: str) -> None:
    """huber_loss's check of delta, shared with nn.HuberLoss's constructor."""
    _number(delta, who, "delta")
    if not delta > 0:
        raise ValueError(f"{who}: delta must be positive, got {delta}")


def kl_div(input: Tensor, target: Any, reduction: str = "mean", log_target: bool = False
           ) -> Tensor:
    """Pointwise Kullback–Leibler divergence of log-probabilities input = log q from the
    target probabilities p: p·(log p − log q), 0 where p = 0 (PyTorch's xlogy). With
    log_target=True the target is log p: e^{log p}·(log p − log q).

    reduction: 'none', 'sum', 'mean' (over every element; warns, as PyTorch does, that this
    is not the divergence) or 'batchmean': the sum divided by the batch size input.shape[0],
    i.e. KL(p‖q) averaged over the batch. Shapes must match. Deliberately unlike PyTorch, a
    negative probability in target is a ValueError (PyTorch gives NaN), and where p = 0
    the gradient to a target that requires grad is −log q, the p·log p term giving 0
    (PyTorch: NaN)."""
    who = "kl_div"
    if reduction != "batchmean":
        _check_reduction(reduction, who)
    # reduction is checked above; "none" makes _elementwise_target check only the shapes
    input, target = _elementwise_target(input, target, "none", who)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target._data > 0
        if (target._data < 0).any():
            raise ValueError(f"{who}: target holds probabilities, which cannot be negative; "
                             f"got {target._data[target._data < 0].flat[0]} (use "
                             "log_target=True for log-probabilities)")
        logp = ops.where(_mask(positive), target, 1.0).log()  # log 1 = 0 where p = 0
        loss = target * logp - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    if reduction == "mean":
        _warn("reduction: 'mean' divides the total loss by both the batch size and the "
              "support size.'batchmean' divides only by the batch size, and aligns with the "
              "KL div math definition.'mean' will be changed to behave the same as "
              "'batchmean' in the next major release.")
    return _reduce(loss, reduction)


def _bce_logs(p: Tensor) -> tuple[Tensor, Tensor]:
    """(max(log p, −100), max(log(1 − p), −100)) for p in [0, 1], with PyTorch's gradients
    (1 − p)/D and −p/D, D = max(p(1 − p), 1e-12).

    Where p(1 − p) ≥ 1e-12 these are the log primitive's 1/p and −1/(1 − p). At the
    saturated entries (p or 1 − p below about 1e-12, p = 0 and p = 1 included) each term is
    the straight-through c + (p − p.detach())·k: its value is the constant c = max(log, −100)
    (computed without a warning) and its gradient the constant k = (1 − p)/1e-12 or −p/1e-12,
    so the loss's gradient is PyTorch's (p − t)/1e-12, large and pointing toward the target,
    instead of the clamp's 0. The log primitive only sees unsaturated entries."""
    arr = p._data
    eps = arr.dtype.type(_BCE_EPS)
    flat = arr * (1 - arr) < eps
    if not flat.any():
        return p.log(), (1.0 - p).log()
    with np.errstate(divide="ignore"):
        values = (np.maximum(np.log(arr), -100.0), np.maximum(np.log(1 - arr), -100.0),
                  (1 - arr) / eps, -arr / eps)
    c1, c2, k1, k2 = (Tensor._make(np.where(flat, v, 0).astype(arr.dtype), False)
                      for v in values)
    mask = _mask(flat)
    safe = ops.where(mask, 0.5, p)
    delta = p - p.detach()  # 0, with gradient 1
    return (ops.where(mask, c1 + delta * k1, safe.log()),
            ops.where(mask, c2 + delta * k2, (1.0 - safe).log()))


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Tensor:
    """−w·[t·log p + (1 − t)·log(1 − p)] for probabilities p in [0, 1].

    As in PyTorch each log is clamped at −100, so p = 0 or 1 gives a finite loss, and the
    gradient is PyTorch's w·(p − t)/max(p(1 − p), 1e-12): at a saturated p (p = 0 or 1, or
    within about 1e-12 of them) it is w·(p − t)·1e12, pointing toward the target (see
    _bce_logs); elsewhere it is the exact derivative w·(p − t)/(p(1 − p))."""
    who = "binary_cross_entropy"
    input, target = _elementwise_target(input, target, reduction, who)
    _floating(input, who)
    weight = _elementwise_weight(weight, input, who, "weight")
    p = input._data
    if p.size and not (p.min() >= 0 and p.max() <= 1):  # NaN fails too
        bad = p[~((p >= 0) & (p <= 1))].flat[0]
        raise ValueError(f"{who}: input must be probabilities in [0, 1], found {bad}; for "
                         "logits use binary_cross_entropy_with_logits")
    log_p, log_q = _bce_logs(input)
    loss = -(target * log_p + (1.0 - target) * log_q)
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None,
                                     pos_weight: Any = None, reduction: str = "mean") -> Tensor:
    """−[t·log σ(x) + (1 − t)·log(1 − σ(x))] = softplus(x) − t·x, never overflowing.

    With pos_weight w (per class): (1 − t)·x + (1 + (w − 1)·t)·softplus(−x), as in PyTorch.
    The gradient with respect to x is σ(x) − t (without pos_weight)."""
    who = "binary_cross_entropy_with_logits"
    input, target = _elementwise_target(input, target, reduction, who)
    weight = _elementwise_weight(weight, input, who, "weight")
    pos_weight = _elementwise_weight(pos_weight, input, who, "pos_weight")
    if pos_weight is None:
        loss = softplus(input, threshold=math.inf) - target * input
    else:
        loss = (1.0 - target) * input + (1.0 + (pos_weight - 1.0) * target) * softplus(
            -input, threshold=math.inf)
    return _reduce(loss if weight is None else loss * weight, reduction)


def _class_indices(target: Any, lead: tuple[int, ...], classes: int, ignore_index: int,
                   who: str) -> tuple[np.ndarray, bool]:
    """The target as a new integer array (n,) (n = prod(lead), lead the input's shape without
    the class axis), every label in [0, classes) or ignore_index, and whether every sample
    counts (no label is ignore_index)."""
    arr = target._data if isinstance(target, Tensor) else np.asarray(target)
    if arr.dtype.kind not in "iu":
        soft = "; give probabilities with the input's shape for soft targets" if (
            who == "cross_entropy") else ""
        raise TypeError(f"{who}: class-index targets must be integers, got dtype {arr.dtype}"
                        f" (shape {arr.shape}){soft}")
    n = math.prod(lead)
    if arr.shape != lead and not (len(lead) <= 1 and arr.shape in ((n,), ()) and n == 1):
        probs = lead[:1] + (classes,) + lead[1:]
        raise ShapeError(f"{who}: target shape {arr.shape} does not match: expected "
                         f"{lead} class indices or {probs} probabilities")
    arr = arr.reshape(-1)
    if arr.size and arr.min() >= 0 and arr.max() < classes:  # every label is a class
        if type(ignore_index) is int and not 0 <= ignore_index < classes:
            return arr.astype(np.intp), True
    else:
        bad = ((arr < 0) | (arr >= classes)) & (arr != ignore_index)
        if bad.any():
            label = int(arr[bad][0])
            raise ValueError(f"{who}: target label {label} is out of range for {classes} "
                             f"classes (valid labels are 0..{classes - 1}, or "
                             f"ignore_index={ignore_index})")
    return arr.astype(np.intp), not (arr == ignore_index).any()


def _class_weights(weight: Any, classes: int, dtype: np.dtype, who: str) -> np.ndarray | None:
    if weight is None:
        return None
    arr = weight._data if isinstance(weight, Tensor) else weight
    try:
        w = np.asarray(arr, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: weight must be {classes} numbers (one per class), got "
                        f"{weight!r}") from None
    if w.shape != (classes,):
        raise ShapeError(f"{who}: weight must have shape ({classes},) (one per class), got "
                         f"{w.shape}")
    return w


def _as_batch(x: Tensor, who: str) -> tuple[Tensor, tuple[int, ...]]:
    """The input with its class axis last, as rows (M, C), and the shape of the per-sample
    losses: (C,) as (1, C) and (); (N, C) as is and (N,); (N, C, d1, ..., dk) (PyTorch's
    K-dimensional loss, e.g. a sequence (N, C, T)) moved to (N, d1, ..., dk, C), then
    reshaped to (N·d1·…·dk, C), and (N, d1, ..., dk)."""
    if x.ndim == 1:
        return x.reshape(1, x.shape[0]), ()
    if x.ndim == 2:
        return x, (x.shape[0],)
    if x.ndim == 0:
        raise ShapeError(f"{who}: input must be (N, C), (C,) or (N, C, d1, ...), got shape "
                         f"{x.shape}")
    lead = x.shape[:1] + x.shape[2:]
    moved = x.permute(0, *range(2, x.ndim), 1)
    return moved.reshape(math.prod(lead), x.shape[1]), lead


def _indexed_loss(logp: Tensor, y: np.ndarray, kept_all: bool, weight: np.ndarray | None,
                  ignore_index: int, reduction: str, label_smoothing: float = 0.0) -> Tensor:
    """PyTorch's nll_loss / cross_entropy for class indices on log-probabilities (N, C):
    loss_n = w_{y_n}·(−log p[n, y_n]) (0 where y_n = ignore_index); with smoothing ε,
    (1 − ε)·loss_n + (ε/C)·Σ_c w_c·(−log p[n, c]). 'mean' divides by Σ_n w_{y_n}.
    kept_all: no y_n is ignore_index (as _class_indices reports)."""
    n, c = logp.shape
    if kept_all:
        keep, y0 = None, y
    else:
        keep = y != ignore_index
        y0 = np.where(keep, y, 0)
    loss = -logp[np.arange(n), y0]
    plain = weight is None and kept_all
    if not plain:
        if keep is None:
            w = weight[y0]
        else:
            w = keep.astype(logp.dtype) if weight is None else weight[y0] * keep
        loss = loss * w
    if label_smoothing:
        smooth = -(logp if weight is None else logp * weight).sum(axis=1)
        smooth = smooth if keep is None else smooth * keep.astype(logp.dtype)
        loss = loss * (1.0 - label_smoothing) + smooth * (label_smoothing / c)
    if reduction != "mean" or plain:
        return _reduce(loss, reduction)
    total = float(w.sum())
    if total > 0:
        return loss.sum() / total
    # Σ w = 0 (every target ignored, or only classes of weight 0): the mean is 0/0 = NaN, as
    # in PyTorch, and so is the gradient of the counted samples, while ignored samples get
    # 0, as in PyTorch (a batch of padding only must not turn the parameters into NaN)
    nan = float("nan")
    factor = nan if keep is None else np.where(keep, nan, 0.0).astype(logp.dtype)
    return (loss * factor).sum() + nan


def nll_loss(input: Tensor, target: Any, weight: Any = None, *, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """−w_{y_n}·log p[n, y_n] for log-probabilities input (N, C) and class indices (N,); also
    (C,) with a 0-d target, and PyTorch's K-dimensional form: input (N, C, d1, ..., dk) with
    target (N, d1, ..., dk) (the class axis is axis 1; 'none' gives (N, d1, ..., dk)).

    weight: optional per-class weights (C,); 'mean' then divides by Σ_n w_{y_n} (NaN if that
    is 0, as in PyTorch). Samples whose target is ignore_index contribute nothing (and are
    not counted by 'mean'; their gradient is 0 even when the mean is NaN)."""
    who = "nll_loss"
    _check_reduction(reduction, who)
    input = _tensor(input, who)
    logp, lead = _as_batch(input, who)
    c = logp.shape[1]
    y, kept_all = _class_indices(target, lead, c, ignore_index, who)
    loss = _indexed_loss(logp, y, kept_all, _class_weights(weight, c, input.dtype, who),
                         ignore_index, reduction)
    return loss.reshape(lead) if reduction == "none" and loss.shape != lead else loss


def cross_entropy(logits: Tensor, target: Any, weight: Any = None, *, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits (N, C) (or (C,), or (N, C, d1, ..., dk) with the
    classes on axis 1, as in PyTorch): nll_loss(log_softmax(logits)) over the class axis.

    target is either class indices (N,) (integers in [0, C); (N, d1, ..., dk) for K-dim
    logits) or probabilities (N, C) (one-hot or soft; any target with the logits' shape).
    With label smoothing ε the target becomes (1 − ε)·t + ε/C, so for indices
    loss_n = (1 − ε)·(−log p[n, y_n]) + ε·mean_c(−log p[n, c]). weight (C,) and ignore_index
    follow PyTorch (see nll_loss; for probability targets loss_n = −Σ_c w_c·t_c·log p[n, c],
    'mean' divides by the number of samples N·d1·…·dk, and an ignore_index >= 0 is
    refused, as in PyTorch).

    >>> import tapegrad as tg
    >>> logits = tg.tensor([[2.0, 0.0, 0.0]], requires_grad=True)
    >>> loss = cross_entropy(logits, [0])          # −log(e² / (e² + 2))
    >>> round(loss.item(), 4)
    0.2395
    >>> loss.backward()
    >>> logits.grad                                # softmax − onehot
    tensor([[-0.213 ,  0.1065,  0.1065]])
    """
    who = "cross_entropy"
    _check_reduction(reduction, who)
    _number(label_smoothing, who, "label_smoothing")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{who}: label_smoothing must be in [0, 1], got {label_smoothing}")
    logits = _floating(_tensor(logits, who), who)
    batch, lead = _as_batch(logits, who)
    c = batch.shape[1]
    w = _class_weights(weight, c, logits.dtype, who)
    logp = log_softmax(batch, axis=1)
    t_shape = target.shape if isinstance(target, (Tensor, np.ndarray)) else np.shape(target)
    if tuple(t_shape) == logits.shape:  # same shape as the logits: probabilities
        # PyTorch's rule: an index it would ignore is refused; a negative one (no class)
        # goes unused, so CrossEntropyLoss(ignore_index=-1) also takes soft targets
        if not (isinstance(ignore_index, (int, np.integer)) and ignore_index < 0):
            raise ValueError(f"{who}: ignore_index={ignore_index} is not supported for "
                             f"probability targets (target shape {tuple(t_shape)}, the "
                             "logits' shape); give class indices, or leave ignore_index")
        probs = _tensor(target, who, "target")
        if probs.dtype.kind not in "fiub":
            raise TypeError(f"{who}: probability targets must be numeric, got {probs.dtype}")
        # a target that requires grad (e.g. a trained teacher) stays in the graph, as in
        # PyTorch; any other is a constant array in the logits' dtype
        t = probs if probs.requires_grad else Tensor._make(
            probs._data.astype(logits.dtype), False)
        t = _as_batch(t, who)[0]  # its class axis last too, as rows
        if label_smoothing:
            t = t * (1.0 - label_smoothing) + label_smoothing / c
        if w is not None:
            t = t * w
        loss = _reduce(-(t * logp).sum(axis=1), reduction)
    else:
        y, kept_all = _class_indices(target, lead, c, ignore_index, who)
        loss = _indexed_loss(logp, y, kept_all, w, ignore_index, reduction, label_smoothing)
    return loss.reshape(lead) if reduction == "none" and loss.shape != lead else loss


# ====================================================================== distances
def normalize(input: Tensor, p: float = 2.0, dim: int | Sequence[int] = 1, eps: float = 1e-12
              ) -> Tensor:
    """x / max(‖x‖_p, ε), the p-norm taken along dim (p ≥ 1 or inf): unit vectors along dim,
    and x/ε for vectors shorter than ε. As in PyTorch, the clamp passes no gradient to the
    norm where ‖x‖_p < ε, so there the gradient is 1/ε."""
    who = "normalize"
    x = _floating(_tensor(input, who), who)
    _number(p, who, "p")
    _number(eps, who, "eps")
    if not p >= 1:
        raise ValueError(f"{who}: p must be >= 1 or inf, got {p}")
    axes = _axes(dim, x.ndim, who)
    if p == math.inf:
        x._nonempty(axes, who)  # no max of no values
    return x / x.norm(p, axis=axes, keepdims=True).clip(lo=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Σ (x1/max(‖x1‖, ε))·(x2/max(‖x2‖, ε)) along dim, after broadcasting x1 and x2 to one
    shape; the result drops dim. PyTorch 2.x's formula: each norm is clamped on its own (not
    their product), which keeps the result in [−1, 1]. PyTorch clamps outside the graph, so
    the gradient flows through the unclamped norm (0 at a zero vector); here the clamped
    norm is the straight-through n − n.detach() + ε: value ε, gradient the norm's."""
    who = "cosine_similarity"
    x1 = _floating(_tensor(x1, who, "x1"), who, "x1")
    x2 = _floating(_tensor(x2, who, "x2"), who, "x2")
    _number(eps, who, "eps")
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ShapeError(f"{who}: x1 shape {x1.shape} and x2 shape {x2.shape} do not "
                         "broadcast") from None
    if not shape:
        raise ShapeError(f"{who}: x1 and x2 are 0-d; there is no dim {dim} to reduce")
    axis = _axis(dim, len(shape), who)

    def unit(x: Tensor) -> Tensor:
        x = x if x.shape == shape else x.broadcast_to(shape)
        n = x.norm(2, axis=axis, keepdims=True)
        small = n._data < eps
        if small.any():
            n = ops.where(_mask(small), n - n.detach() + eps, n)
        return x / n

    return (unit(x1) * unit(x2)).sum(axis=axis)


# ====================================================================== layers
def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b for x (..., in), weight (out, in), bias (out,)."""
    x = _tensor(x, "linear")
    weight = _operand(weight, x, "linear", "weight")
    bias = None if bias is None else _operand(bias, x, "linear", "bias")
    w_shape, x_shape = weight._data.shape, x._data.shape
    if len(w_shape) != 2:
        raise ShapeError(f"linear: weight must be 2-D (out, in), got shape {w_shape}")
    if not x_shape or x_shape[-1] != w_shape[1]:
        raise ShapeError(f"linear: input shape {x_shape} has {x_shape[-1] if x_shape else 0} "
                         f"features but weight {w_shape} expects {w_shape[1]}")
    if x.dtype != weight.dtype and x.dtype.kind == "f":
        raise TypeError(f"linear: input is {x.dtype} but weight is {weight.dtype}; convert "
                        f"one of them (x.astype('{weight.dtype}'), or the model's parameters)"
                        ", as PyTorch requires the same dtype")
    if bias is not None and bias._data.shape != (w_shape[0],):
        raise ShapeError(f"linear: bias shape {bias.shape} does not match weight "
                         f"{w_shape} (expected ({w_shape[0]},))")
    y = ops.matmul(x, ops.transpose(weight, axes=(1, 0)))  # x @ weight.T
    return y if bias is None else ops.add(y, bias)


def embedding(input: Any, weight: Any, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0) -> Tensor:
    """The rows of weight (num_embeddings, embedding_dim) at the integer indices input (any
    shape, values in [0, num_embeddings)): out[i…] = weight[input[i…]], shape
    input.shape + (embedding_dim,). A getitem with an index array, so the gradient adds
    into the rows used (a row used k times receives the sum of its k upstream gradients).

    padding_idx (negative counts from the end, as in PyTorch): that row's value is read
    like any other, but it receives no gradient (where(input == padding_idx, rows as a
    constant, rows)).

    max_norm: as PyTorch, first (under no_grad, in place, bumping weight's version) every
    row used whose norm_type-norm ‖w‖ exceeds max_norm is scaled by max_norm/(‖w‖ + 1e-7);
    the renormalization itself is not differentiated."""
    who = "embedding"
    idx = _tensor(input, who)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{who}: input must hold integer indices, got {idx.dtype}")
    weight = _tensor(weight, who, "weight")
    if weight.ndim != 2:
        raise ShapeError(f"{who}: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {weight.shape}")
    n = weight.shape[0]
    padding_idx = _padding_idx(padding_idx, n, who)
    _check_max_norm(max_norm, norm_type, who)
    rows = np.array(idx._data)  # a copy: the backward scatters by it, whatever input becomes
    _check_in_range(rows, n, who, f"weight of shape {weight.shape} (indices in [0, {n}))")
    if max_norm is not None and rows.size and weight.shape[1]:  # no norm of no values
        _floating(weight, who, "weight")
        _renorm(weight, np.unique(rows), max_norm, norm_type)
    out = ops.getitem(weight, index=(rows,))
    if padding_idx is not None:
        pad = rows == padding_idx
        if pad.any():
            out = ops.where(_mask(pad[..., None]), out.detach(), out)
    return out


def _padding_idx(padding_idx: Any, n: int, who: str) -> int | None:
    """padding_idx in [−n, n) as an index in [0, n), or None."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
        raise TypeError(f"{who}: padding_idx must be an int or None, got {padding_idx!r}")
    if not -n <= padding_idx < n:
        raise ValueError(f"{who}: padding_idx {padding_idx} is out of range for "
                         f"num_embeddings {n} (in [-{n}, {n}))")
    return int(padding_idx) % n


def _check_max_norm(max_norm: float | None, norm_type: float, who: str) -> None:
    if max_norm is not None:
        _number(max_norm, who, "max_norm")
        _number(norm_type, who, "norm_type")
        if not (max_norm >= 0 and norm_type > 0):
            raise ValueError(f"{who}: max_norm must be >= 0 and norm_type > 0, got max_norm="
                             f"{max_norm}, norm_type={norm_type}")


def _renorm(weight: Tensor, rows: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scale each row in rows of weight whose norm exceeds max_norm to norm max_norm (up to
    PyTorch's 1e-7), in place, under no_grad."""
    norms = np.linalg.norm(weight._data[rows], ord=norm_type, axis=1).astype(np.float64)
    over = norms > max_norm
    if over.any():
        scale = (max_norm / (norms[over] + 1e-7)).astype(weight.dtype)
        with no_grad():
            weight[rows[over]] = weight._data[rows[over]] * scale[:, None]


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inverted: bool = True) -> Tensor:
    """Zero each element with probability p, the mask drawn from tg.random.generator().
    p is the drop probability (PyTorch's convention; lecture 001 writes p for the keep
    probability 1 − p).

    inverted=True (default, PyTorch): training output x·m/(1 − p), evaluation output x.
    inverted=False (the original formulation): training output x·m, evaluation x·(1 − p).
    Either way the expected training output equals the evaluation output."""
    x = _tensor(x, "dropout")
    _number(p, "dropout", "p")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p}")
    if not training:
        return x if inverted or p == 0.0 else x * (1.0 - p)
    if p == 0.0:
        return x
    keep = (_random.generator().random(x.shape) >= p).astype(x.dtype)
    if inverted:
        keep = keep / (1.0 - p) if p < 1.0 else keep  # p = 1 drops everything
    return x * Tensor._make(keep, False)


def batch_norm(x: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization over the batch axis, for x (N, C) or (N, C, L).

    Training: μ = mean_n x, σ² = mean_n (x − μ)², x̂ = (x − μ)/√(σ² + ε), y = γ·x̂ + β.
    The forward records exactly the lecture's graph: mean, sub, square, mean, add ε, sqrt,
    div, mul γ, add β (the last two only with weight/bias). The running statistics are then
    updated outside the graph (under no_grad), as in PyTorch:
    r_μ ← (1 − momentum)·r_μ + momentum·μ, r_σ² ← (1 − momentum)·r_σ² + momentum·σ²·N/(N − 1).
    Evaluation (training=False) normalizes with the running statistics and leaves them; it
    needs them (None is a ValueError, as in PyTorch).
    """
    who = "batch_norm"
    x = _tensor(x, who)
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{who}: {name} must be a Tensor (it is updated in place) or "
                            f"None, got {type(t).__name__}")
    weight = None if weight is None else _operand(weight, x, who, "weight")
    bias = None if bias is None else _operand(bias, x, who, "bias")
    _number(momentum, who, "momentum")
    _number(eps, who, "eps")
    if x.ndim not in (2, 3):
        raise ShapeError(f"{who}: expected input (N, C) or (N, C, L), got shape {x.shape}")
    c = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (c,):
            raise ShapeError(f"{who}: {name} has shape {t.shape}, expected ({c},) for input "
                             f"{x.shape}")
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{who}: give both running_mean and running_var, or neither")
    if not training and running_mean is None:  # as PyTorch: no statistics to normalize with
        raise ValueError(f"{who}: training=False needs running_mean and running_var (got "
                         "None); give them, or training=True for the batch statistics")
    axes = (0,) if x.ndim == 2 else (0, 2)
    count = x.shape[0] * (1 if x.ndim == 2 else x.shape[2])
    if training and count <= 1:
        raise ValueError(f"{who}: expected more than 1 value per channel when training, got "
                         f"input of shape {x.shape}")
    flat = x.ndim == 2  # the statistics (C,) broadcast as they are; for (N, C, L) as (C, 1)

    def stat(t: Tensor) -> Tensor:
        return t if flat else t.reshape(c, 1)

    if training or running_mean is None:
        mean = stat(ops.mean(x, axis=axes, keepdims=False))
        centered = x - mean
        var = stat(ops.mean(centered.square(), axis=axes, keepdims=False))
        if training and running_mean is not None:
            _update_running(running_mean, running_var, mean, var, momentum, count)
    else:
        centered = x - stat(running_mean)
        var = stat(running_var)
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * stat(weight)
    if bias is not None:
        out = out + stat(bias)
    return out


def _update_running(running_mean: Tensor, running_var: Tensor, mean: Tensor, var: Tensor,
                    momentum: float, count: int) -> None:
    with no_grad():  # plain arrays (no live views): the same arithmetic, no Python ufunc hook
        unbiased = var._data.reshape(-1) * (count / (count - 1))
        running_mean.copy_((1.0 - momentum) * running_mean._data
                           + momentum * mean._data.reshape(-1))
        running_var.copy_((1.0 - momentum) * running_var._data + momentum * unbiased)


def _normalized_shape(shape: Any, who: str) -> tuple[int, ...]:
    """normalized_shape (an int or a sequence of ints, numpy ints too) as a tuple of ints."""
    dims = (shape,) if isinstance(shape, (int, np.integer)) else shape
    if isinstance(dims, (list, tuple, np.ndarray)) and all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in dims):
        return tuple(int(n) for n in dims)
    raise TypeError(f"{who}: normalized_shape must be an int or a sequence of ints, got "
                    f"{shape!r}")


def layer_norm(x: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the last len(normalized_shape) axes of each sample:
    y = γ·(x − μ)/√(σ² + ε) + β, with μ and σ² (population variance) per sample."""
    x = _tensor(x, "layer_norm")
    _number(eps, "layer_norm", "eps")
    weight = None if weight is None else _operand(weight, x, "layer_norm", "weight")
    bias = None if bias is None else _operand(bias, x, "layer_norm", "bias")
    shape = _normalized_shape(normalized_shape, "layer_norm")
    k = len(shape)
    if k == 0 or x.ndim < k or x.shape[-k:] != shape:
        raise ShapeError(f"layer_norm: input shape {x.shape} does not end with "
                         f"normalized_shape {shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != shape:
            raise ShapeError(f"layer_norm: {name} has shape {t.shape}, expected {shape}")
    axes = tuple(range(x.ndim - k, x.ndim))
    centered = x - ops.mean(x, axis=axes, keepdims=True)
    var = ops.mean(centered.square(), axis=axes, keepdims=True)
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


# ====================================================================== penalties
def _params(params: Tensor | Iterable[Tensor], who: str) -> list[Tensor]:
    ps = [params] if isinstance(params, Tensor) else list(params)
    if not ps:
        raise ValueError(f"{who}: no tensors given")
    for k, p in enumerate(ps):
        if not isinstance(p, Tensor):
            raise TypeError(f"{who}: item {k} is {type(p).__name__}, not a Tensor")
    return ps


def l1_penalty(params: Tensor | Iterable[Tensor]) -> Tensor:
    """Ω = ‖w‖₁ = Σ_i |w_i| over every given tensor (multiply by your λ)."""
    terms = [p.abs().sum() for p in _params(params, "l1_penalty")]
    return sum(terms[1:], terms[0])


def l2_penalty(params: Tensor | Iterable[Tensor]) -> Tensor:
    """Ω = ½‖w‖² = ½ Σ_i w_i² over every given tensor (the lecture's form; its gradient is w,
    so adding λ·Ω is weight decay λ)."""
    terms = [p.square().sum() for p in _params(params, "l2_penalty")]
    return sum(terms[1:], terms[0]) * 0.5
