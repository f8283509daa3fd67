"""tapegrad: a tape-based autograd engine on numpy, with graphs you can look at."""

from . import data, functional, nn, ops, optim, training, viz
from .functional import log_softmax, softmax
from .gradcheck import GradcheckError, gradcheck
from .higher import hessian, hvp
from .random import get_rng_state, manual_seed, set_rng_state
from .serialization import load, save
from .tape import (
    Node,
    ShapeError,
    Step,
    Tape,
    TapeError,
    TapegradIndexError,
    backward_steps,
    detect_anomaly,
    enable_grad,
    grad,
    inference_mode,
    is_grad_enabled,
    name_scope,
    no_grad,
    set_grad_enabled,
)
from .tensor import (
    Tensor,
    arange,
    bool_,
    concatenate,
    eye,
    float16,
    float32,
    float64,
    full,
    int32,
    int64,
    ones,
    ones_like,
    rand,
    randn,
    stack,
    tensor,
    zeros,
    zeros_like,
)

__version__ = "0.1.0"


def matmul(a, b) -> Tensor:
    """a @ b with numpy's rules: 1-D, 2-D, and batched with broadcast batch axes."""
    return ops.matmul(a, b)


def where(condition, a, b) -> Tensor:
    """Elementwise a where condition holds, else b (the gradient flows to the chosen side)."""
    cond = condition.numpy() if isinstance(condition, Tensor) else condition
    return ops.where(Tensor(cond, dtype=bool_), a, b)


def maximum(a, b) -> Tensor:
    return ops.maximum(a, b)


def minimum(a, b) -> Tensor:
    return ops.minimum(a, b)


def logsumexp(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    """log Σ exp(x) over `axis`, computed stably (the max is subtracted first)."""
    return x.logsumexp(axis, keepdims)


def _unary(name: str):
    def fn(x: Tensor) -> Tensor:
        return getattr(x if isinstance(x, Tensor) else Tensor(x), name)()

    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} (the method Tensor.{name})."
    return fn


exp, log, sqrt, sin, cos, tanh, sigmoid, relu, abs = (
    _unary(n) for n in ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs"))
__all__ = [n for n in dir() if not n.startswith("_")]
