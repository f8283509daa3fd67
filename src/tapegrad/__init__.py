"""tapegrad: a tape-based autograd engine on numpy, with graphs you can look at."""

import inspect as _inspect

from . import autograd, data, functional, nn, ops, optim, training, viz
from .functional import log_softmax, softmax
from .gradcheck import GradcheckError, gradcheck
from .higher import hessian, hvp
from .random import Generator, get_rng_state, manual_seed, set_rng_state
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
    allclose,
    arange,
    bool_,
    cat,
    concatenate,
    device,
    einsum,
    empty,
    eye,
    float16,
    float32,
    float64,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    int32,
    int64,
    is_tensor,
    linspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
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


def _function(name: str):
    """tg.name(input, *args, **kwargs): the method Tensor.name of input (made a Tensor if it is
    not one), as PyTorch's torch.name."""
    method = getattr(Tensor, name)

    def fn(input, *args, **kwargs):
        return method(input if isinstance(input, Tensor) else Tensor(input), *args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = method.__doc__ or f"Elementwise {name} (the method Tensor.{name})."
    first, *rest = _inspect.signature(method).parameters.values()
    fn.__signature__ = _inspect.signature(method).replace(
        parameters=[first.replace(name="input"), *rest])
    return fn


(exp, log, sqrt, sin, cos, tanh, sigmoid, relu, abs, sum, mean, var, std, max, min, argmax,
 argmin, logsumexp, norm, clamp, clip, pow, neg, reciprocal, sign, numel, t, mm, bmm, gather,
 split, chunk, unbind, masked_fill, flip, roll, argsort, sort, topk, cumsum, outer, diag, trace,
 tril, triu, isclose, squeeze, unsqueeze, reshape, transpose, permute, flatten, clone, square,
 log1p, rsqrt, dot, amax, amin, clamp_min, clamp_max, index_select, isnan, isinf, isfinite, all,
 any, prod, floor, ceil, round, trunc, frac, log2, log10, expm1, exp2, tan, asin, acos, atan,
 sinh, cosh, asinh, atanh, logical_and, logical_or, logical_xor, logical_not, masked_select,
 scatter_add, multinomial, bernoulli, var_mean, std_mean) = map(_function, """exp log sqrt sin
    cos tanh sigmoid relu abs sum mean var std max min argmax argmin logsumexp norm clamp clip
    pow neg reciprocal sign numel t mm bmm gather split chunk unbind masked_fill flip roll
    argsort sort topk cumsum outer diag trace tril triu isclose squeeze unsqueeze reshape
    transpose permute flatten clone square log1p rsqrt dot amax amin clamp_min clamp_max
    index_select isnan isinf isfinite all any prod floor ceil round trunc frac log2 log10 expm1
    exp2 tan asin acos atan sinh cosh asinh atanh logical_and logical_or logical_xor logical_not
    masked_select scatter_add multinomial bernoulli var_mean std_mean""".split())


def _or_pairwise(reduce, pairwise, name: str):
    """tg.max/tg.min: PyTorch's torch.max(input, other) with a Tensor other is the
    elementwise maximum(input, other) (minimum); any other call is the reduction."""

    def fn(input, *args, **kwargs):
        if "other" in kwargs and not args and len(kwargs) == 1:
            return pairwise(input, kwargs["other"])
        if len(args) == 1 and not kwargs and isinstance(args[0], Tensor):
            return pairwise(input, args[0])
        return reduce(input, *args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"{reduce.__doc__}\n\n{name}(input, other) with a Tensor other is "
                  f"tg.{pairwise.__name__}(input, other), as torch.{name}(input, other).")
    fn.__signature__ = reduce.__signature__
    return fn


max, min = _or_pairwise(max, maximum, "max"), _or_pairwise(min, minimum, "min")
# all, any and round stay out of `import *`: the builtins take generators (round a number),
# tg.all(x) takes a tensor
__all__ = [n for n in dir() if not n.startswith("_") and n not in ("all", "any", "round")]

# PyTorch's dtype aliases (tg.tensor(y, dtype=tg.long), t.to(tg.float)); the names that are
# Python builtins stay out of __all__, so `from tapegrad import *` does not shadow float()
float, double, half, long, int, bool = float32, float64, float16, int64, int32, bool_
__all__ += ["double", "half", "long"]
